"""Live widget panels (ipywidgets + plotly FigureWidget): the only place importing them."""

from ._decompositions import DecompositionPanel as DecompositionPanel
from ._playground import Playground as Playground
from ._recording import Recording as Recording
from ._state import SYSTEMS as SYSTEMS
from ._state import PanelState as PanelState
from ._state import available_systems as available_systems
from ._train import TrainPanel as TrainPanel
from ._trajectories import TrajectoryPanel as TrajectoryPanel
from ._transitions import TransitionPanel as TransitionPanel
