"""Analysis: limit cycles, metrics, fixed points, transitions, decompositions (pure, xarray out)."""

from ..matching._fit import matching_errors as matching_errors
from ._cycles import limit_cycle as limit_cycle
