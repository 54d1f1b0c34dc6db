"""Input schedules for ``ddm.simulate(..., inputs=...)`` (``ddm.inputs``)."""

from .simulation._inputs import Schedule as Schedule
from .simulation._inputs import constant as constant
from .simulation._inputs import piecewise as piecewise
from .simulation._cues import balanced_cue_design as balanced_cue_design
from .simulation._cues import cue as cue
from .simulation._cues import cue_directions as cue_directions
from .simulation._cues import cue_sequence as cue_sequence
from .simulation._cues import pulses as pulses
from .simulation._cues import superpose as superpose
from .simulation._cues import tilt as tilt
