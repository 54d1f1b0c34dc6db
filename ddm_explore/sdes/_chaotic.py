"""Chaotic flows: Lorenz-63 and Rössler, with optional additive noise and a time rescaling."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from .._checks import check_positive
from ._sde import SDE

#: largest Lyapunov exponents of the classic parameter sets, in the systems' original time units
LORENZ_EXPONENT = 0.906
ROSSLER_EXPONENT = 0.0714


def lorenz63(*, sigma: float = 10.0, rho: float = 28.0, beta: float = 8.0 / 3.0, time_scale: float = 10.0,
             noise: float = 0.0, region=((-25.0, -30.0, 0.0), (25.0, 30.0, 55.0))) -> SDE:
    """Lorenz-63 (d = 3), slowed down by ``time_scale`` so a tau = 1 network can follow it.

    With s the original Lorenz time and t = time_scale * s the simulation time (units of the
    neuronal time constant),

        dz1 = sigma (z2 - z1) / T dt,  dz2 = (z1 (rho - z3) - z2) / T dt,  dz3 = (z1 z2 - beta z3) / T dt

    plus ``noise * sqrt(1 / T) dW`` on each coordinate (T = time_scale; the noise is ``noise dW_s``
    in original time). At (10, 28, 8/3) the flow is chaotic with largest Lyapunov exponent
    ~0.906 per original time unit (METHOD.md section 6), i.e. ``0.906 / T`` per unit of t:
    multiply an exponent measured in simulation time by T to report it in original units. The
    attractor lies in about [-20, 20] x [-27, 27] x [0, 50]; fit on the occupation measure of
    simulated trajectories (``ddm.occupation``), not the box.

    Parameters
    ----------
    sigma, rho, beta : float
        The Lorenz parameters (Prandtl number, Rayleigh number, aspect), > 0.
    time_scale : float
        T > 0: one original time unit lasts T units of simulation time (default 10, so the
        fastest rates are O(1) and ``dt = 0.01`` is accurate).
    noise : float
        Additive noise amplitude in original time units (0: deterministic).
    region : (low, high)
        Box around the attractor (default [-25, 25] x [-30, 30] x [0, 55]), used for plots,
        starting points and as the occupation sampler's fallback.

    Examples
    --------
    >>> sde = lorenz63(time_scale=1.0)
    >>> [round(v, 4) for v in sde.latent_drift(jnp.array([1.0, 1.0, 1.0])).tolist()]
    [0.0, 26.0, -1.6667]
    """
    sigma = check_positive("sigma", sigma)
    rho = check_positive("rho", rho)
    beta = check_positive("beta", beta)
    T = check_positive("time_scale", time_scale)
    noise = check_positive("noise", noise, allow_zero=True)

    # the drift and noise in original time; the SDE applies the time scale (METHOD-style rule in README)
    return SDE(drift=_lorenz_drift, diffusion=noise * np.eye(3), dim=3, noise_dim=3, name="Lorenz-63",
               region=region, params=dict(sigma=sigma, rho=rho, beta=beta, time_scale=T, noise=noise),
               theta=dict(sigma=sigma, rho=rho, beta=beta), time_scale=T)


def _lorenz_drift(z, u, p):
    x, y, w = z[0], z[1], z[2]
    return jnp.stack([p["sigma"] * (y - x), x * (p["rho"] - w) - y, x * y - p["beta"] * w])


def rossler(*, a: float = 0.2, b: float = 0.2, c: float = 5.7, time_scale: float = 1.0, noise: float = 0.0,
            region=((-12.0, -13.0, 0.0), (14.0, 10.0, 24.0))) -> SDE:
    """Rössler attractor (d = 3), optionally slowed down by ``time_scale``.

    With T = time_scale,

        dz1 = (-z2 - z3) / T dt,  dz2 = (z1 + a z2) / T dt,  dz3 = (b + z3 (z1 - c)) / T dt

    plus ``noise * sqrt(1 / T) dW`` per coordinate. At (0.2, 0.2, 5.7) the flow is chaotic with
    largest Lyapunov exponent ~0.071 per original time unit (``0.071 / T`` in simulation time)
    and mean rotation period ~5.9. The orbit spirals out in the (z1, z2) plane (about
    [-10, 12] x [-11, 8]) and makes rare excursions in z3 up to ~23; fit on the occupation
    measure of simulated trajectories.

    Parameters
    ----------
    a, b, c : float
        The Rössler parameters, > 0.
    time_scale : float
        T > 0: one original time unit lasts T units of simulation time.
    noise : float
        Additive noise amplitude in original time units (0: deterministic).
    region : (low, high)
        Box around the attractor (default [-12, 14] x [-13, 10] x [0, 24]).

    Examples
    --------
    >>> sde = rossler()
    >>> [round(v, 4) for v in sde.latent_drift(jnp.array([1.0, 1.0, 1.0])).tolist()]
    [-2.0, 1.2, -4.5]
    """
    a = check_positive("a", a)
    b = check_positive("b", b)
    c = check_positive("c", c)
    T = check_positive("time_scale", time_scale)
    noise = check_positive("noise", noise, allow_zero=True)

    return SDE(drift=_rossler_drift, diffusion=noise * np.eye(3), dim=3, noise_dim=3, name="Rössler",
               region=region, params=dict(a=a, b=b, c=c, time_scale=T, noise=noise), theta=dict(a=a, b=b, c=c),
               time_scale=T)


def _rossler_drift(z, u, p):
    x, y, w = z[0], z[1], z[2]
    return jnp.stack([-y - w, x + p["a"] * y, p["b"] + w * (x - p["c"])])
