"""Limit-cycle oscillators."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from .._checks import as_array, check_positive
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

    return SDE(drift=_vdp_drift, diffusion=sigma * np.eye(2), dim=2, noise_dim=2, name="Van der Pol",
               region=region, params=dict(mu=mu, sigma=sigma), theta=dict(mu=mu))


def _vdp_drift(z, u, p):
    return jnp.stack([z[1], p["mu"] * (1.0 - z[0] ** 2) * z[1] - z[0]])


def stuart_landau(*, mu: float = 1.0, omega: float = 1.0, b: float = 0.0, sigma: float = 0.1,
                  region=((-2.0, -2.0), (2.0, 2.0))) -> SDE:
    """Stuart–Landau oscillator, the normal form of a supercritical Hopf bifurcation (d = 2).

    In complex form ``w = z1 + i z2``:  ``dw = [(mu + i omega) w - (1 + i b) |w|^2 w] dt + sigma dW``
    (dW complex, i.e. independent noise ``sigma dW1``, ``sigma dW2`` on z1, z2). For mu > 0 the
    deterministic flow has a circular limit cycle of radius ``sqrt(mu)`` (amplitude in z1) with
    angular frequency ``omega - b mu``, period ``2 pi / |omega - b mu|``, around an unstable
    focus at the origin; for mu < 0 the origin is a stable focus.

    Parameters
    ----------
    mu : float
        Bifurcation parameter (growth rate at the origin).
    omega : float
        Angular frequency at the origin.
    b : float
        Shear (amplitude-dependent frequency).
    sigma : float
        Additive noise amplitude on both coordinates, >= 0.
    region : (low, high)
        Sampling box, default [-2, 2]^2.

    Examples
    --------
    >>> sde = stuart_landau(mu=1.0, omega=1.0)
    >>> sde.latent_drift(jnp.array([1.0, 0.0])).tolist()
    [0.0, 1.0]
    """
    mu = float(as_array("mu", mu, ndim=0))
    omega = float(as_array("omega", omega, ndim=0))
    b = float(as_array("b", b, ndim=0))
    sigma = check_positive("sigma", sigma, allow_zero=True)

    return SDE(drift=_stuart_landau_drift, diffusion=sigma * np.eye(2), dim=2, noise_dim=2, name="Stuart–Landau",
               region=region, params=dict(mu=mu, omega=omega, b=b, sigma=sigma), theta=dict(mu=mu, omega=omega, b=b))


def _stuart_landau_drift(z, u, p):
    mu, omega, b = p["mu"], p["omega"], p["b"]
    r2 = z[0] ** 2 + z[1] ** 2
    return jnp.stack([(mu - r2) * z[0] - (omega - b * r2) * z[1],
                      (omega - b * r2) * z[0] + (mu - r2) * z[1]])
