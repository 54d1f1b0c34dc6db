"""Limit-cycle oscillators."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from .._checks import check_positive
from ._sde import SDE


def van_der_pol(*, mu: float = 1.0, sigma: float = 0.1, region=((-3.0, -3.0), (3.0, 3.0))) -> SDE:
    """Van der Pol oscillator with additive noise (d = 2).

    ``dz1 = z2 dt + sigma dW1``,  ``dz2 = (mu (1 - z1^2) z2 - z1) dt + sigma dW2``.
    A stable limit cycle (period about 6.66 and amplitude about 2.01 in z1 for mu = 1) around an
    unstable focus at the origin: a nonequilibrium steady state that no gradient flow can make.

    Parameters
    ----------
    mu : float
        Nonlinear damping, > 0.
    sigma : float
        Additive noise amplitude on both coordinates (0 for the deterministic flow).
    region : (low, high)
        Sampling box, default [-3, 3]^2.

    Examples
    --------
    >>> sde = van_der_pol()
    >>> sde.latent_drift(jnp.array([1.0, 1.0])).tolist()
    [1.0, -1.0]
    """
    mu = check_positive("mu", mu)
    sigma = check_positive("sigma", sigma, allow_zero=True)

    def drift(z, u):
        return jnp.stack([z[1], mu * (1.0 - z[0] ** 2) * z[1] - z[0]])

    return SDE(drift=drift, diffusion=sigma * np.eye(2), dim=2, noise_dim=2, name="Van der Pol",
               region=region, params=dict(mu=mu, sigma=sigma))
