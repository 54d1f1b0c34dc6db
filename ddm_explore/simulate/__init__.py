"""Euler–Maruyama kernel, input schedules, xarray packaging."""

from ._inputs import Schedule as Schedule
from ._simulate import check_stable_dt as check_stable_dt
from ._simulate import simulate as simulate
