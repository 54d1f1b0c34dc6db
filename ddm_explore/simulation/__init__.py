"""Simulation of any system (a target SDE or a rate network): the kernel, input schedules, xarray out.

The package is ``ddm_explore.simulation``; its main function is re-exported as ``ddm.simulate``.
"""

from ._inputs import Schedule as Schedule
from ._simulate import check_stable_dt as check_stable_dt
from ._simulate import simulate as simulate
