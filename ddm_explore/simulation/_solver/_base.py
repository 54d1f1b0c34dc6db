"""The solver interface: an object with its settings whose ``step`` advances one step."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class AbstractSolver:
    """Base of the fixed-step solvers of :func:`ddm_explore.simulate` (``ddm.Euler``, ``ddm.Heun``,
    ``ddm.Milstein``).

    A solver is a frozen (hashable) object: its settings are part of the compiled program.
    ``step(terms, x, dw, zp)`` maps the state x (n, state_dim) to the next one, given the step's
    terms (:class:`~ddm_explore.simulation._solver._terms.StepTerms`), the latent Brownian
    increments dw (n, m) and the private normals zp; the loop, the recording and the noise
    stream live outside it, so every solver sees the same Brownian path.

    Class attributes: ``name`` (the string that selects it), ``method`` (its name in results'
    attrs), ``ode_order`` (order on a noise-free system), ``strong_order`` and ``weak_order`` as
    ``(additive noise, state-dependent noise)`` pairs (what the tests measure).
    """

    name: ClassVar[str] = ""
    method: ClassVar[str] = ""
    ode_order: ClassVar[int] = 1
    strong_order: ClassVar[tuple] = (1.0, 0.5)
    weak_order: ClassVar[tuple] = (1.0, 1.0)

    def step(self, terms, x, dw, zp):
        raise NotImplementedError(f"{type(self).__name__} does not define `step`")
