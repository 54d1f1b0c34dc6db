"""Input schedules for ``ddm.simulate(..., inputs=...)`` (``ddm.inputs``)."""

from .simulate._inputs import Schedule as Schedule
from .simulate._inputs import constant as constant
from .simulate._inputs import piecewise as piecewise
from .simulate._cues import balanced_cue_design as balanced_cue_design
from .simulate._cues import cue as cue
from .simulate._cues import cue_directions as cue_directions
from .simulate._cues import cue_sequence as cue_sequence
from .simulate._cues import pulses as pulses
from .simulate._cues import superpose as superpose
from .simulate._cues import tilt as tilt
