"""Simulation of any system (a target SDE or a rate network): the kernel, its solvers, input
schedules, the time-step check, xarray out.

The package is ``ddm_explore.simulation``; its main function is re-exported as ``ddm.simulate``.
"""

from ._check_dt import AccuracyWarning as AccuracyWarning
from ._check_dt import DtReport as DtReport
from ._check_dt import check_dt as check_dt
from ._check_dt import check_stable_dt as check_stable_dt
from ._inputs import Schedule as Schedule
from ._path import simulate_path as simulate_path
from ._simulate import simulate as simulate
from ._solver import AbstractSolver as AbstractSolver
from ._solver import Euler as Euler
from ._solver import Heun as Heun
from ._solver import Milstein as Milstein
