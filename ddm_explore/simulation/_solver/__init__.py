"""The fixed-step solvers of the simulation kernel, one per file; ``as_solver`` maps a name to one."""

from ._base import AbstractSolver as AbstractSolver
from ._choose import SOLVERS as SOLVERS
from ._choose import as_solver as as_solver
from ._euler import Euler as Euler
from ._heun import Heun as Heun
from ._milstein import Milstein as Milstein
from ._terms import StepTerms as StepTerms
from ._terms import step_terms as step_terms
