"""Drift–diffusion matching: the methods (closed form, optax), the loss, samplers, fit."""

from ._errors import matching_errors as matching_errors
from ._fit import fit as fit
from ._from_data import FromData as FromData
from ._loss import matching_loss as matching_loss
from ._private_noise import PrivateNoise as PrivateNoise
from ._samplers import Sampler as Sampler
from ._samplers import box as box
from ._traceable import fit_traceable as fit_traceable
from ._traceable import traced_target as traced_target
from ._samplers import gaussian as gaussian
from ._samplers import occupation as occupation
from ._solvers import ClosedForm as ClosedForm
from ._solvers import Embedding as Embedding
from ._solvers import Optax as Optax
from ._solvers import Preconditioned as Preconditioned
from ._solvers import RandomStart as RandomStart
from ._solvers import WarmStart as WarmStart
