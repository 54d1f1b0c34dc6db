"""Input schedules for ``ddm.simulate(..., inputs=...)`` (``ddm.inputs``)."""

from .simulate._inputs import Schedule as Schedule
from .simulate._inputs import constant as constant
from .simulate._inputs import piecewise as piecewise
