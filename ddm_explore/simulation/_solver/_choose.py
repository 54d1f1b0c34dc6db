"""A solver from the ``solver=`` argument: a name or a solver object."""

from __future__ import annotations

from ..._checks import _show
from ._base import AbstractSolver
from ._euler import Euler
from ._heun import Heun
from ._milstein import Milstein

#: the names ``solver=`` accepts and the solver (default settings) each selects
SOLVERS = {"euler": Euler, "heun": Heun, "milstein": Milstein}


def as_solver(name: str, value) -> AbstractSolver:
    """A solver object from a name in :data:`SOLVERS` or a solver object, else a ValueError naming
    the argument.

    >>> as_solver("solver", "heun")
    Heun()
    """
    if isinstance(value, AbstractSolver):
        return value
    choices = ", ".join(repr(k) for k in SOLVERS)
    if isinstance(value, str):
        if value.lower() in SOLVERS:
            return SOLVERS[value.lower()]()
        raise ValueError(f"`{name}` must be one of {choices} or a solver object such as ddm.Heun(); got {value!r}")
    raise ValueError(f"`{name}` must be a solver name ({choices}) or a solver object such as ddm.Heun(), "
                     f"got {_show(value)} of type {type(value).__name__}")
