"""Target systems: the SDE type and the built-in library."""

from . import systems as systems
from ._sde import SDE as SDE
from ._host import CallbackDriftWarning as CallbackDriftWarning
