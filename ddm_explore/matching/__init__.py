"""Drift–diffusion matching: loss, samplers, fit (closed form and optax)."""

from ._fit import fit as fit
from ._fit import matching_errors as matching_errors
from ._fit import matching_loss as matching_loss
from ._samplers import Sampler as Sampler
from ._samplers import box as box
from ._samplers import gaussian as gaussian
from ._samplers import occupation as occupation
