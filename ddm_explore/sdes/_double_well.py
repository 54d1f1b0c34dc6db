"""The one-dimensional double well."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from .._checks import check_positive
from ._sde import SDE


def double_well(*, s: float = 0.1, region=(-2.0, 2.0)) -> SDE:
    """Double well ``dz = -V'(z) dt + sqrt(2 s) dW``, ``V = z^4/4 - z^2/2`` (d = 1).

    Stable states at z = +-1, a barrier of height 1/4 at z = 0. For s << 1/4 the Kramers rate
    out of each well is ``k ~ sqrt(2) / (2 pi) exp(-1 / (4 s))`` (METHOD.md section 6; see
    :func:`kramers_rate`).

    Parameters
    ----------
    s : float
        Noise intensity (the diffusion coefficient D = s).
    region : (low, high)
        Sampling box, default [-2, 2].

    Examples
    --------
    >>> sde = double_well(s=0.1)
    >>> float(sde.latent_drift(jnp.array([0.5]))[0])
    0.375
    """
    s = check_positive("s", s, allow_zero=True)
    amp = float(np.sqrt(2.0 * s))
    low, high = region
    return SDE(drift=_double_well_drift, diffusion=amp * np.ones((1, 1)), dim=1, noise_dim=1,
               name="double well", region=([low], [high]), params=dict(s=s))


def _double_well_drift(z, u):
    return z - z**3


def kramers_rate(s: float) -> float:
    """Kramers escape rate out of one well of :func:`double_well` at noise s (valid for s << 1/4).

    >>> round(kramers_rate(0.05), 5)
    0.00152
    """
    s = check_positive("s", s)
    return float(np.sqrt(2.0) / (2.0 * np.pi) * np.exp(-1.0 / (4.0 * s)))
