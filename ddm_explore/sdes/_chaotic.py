"""Chaotic flows: Lorenz-63, Rössler and Lorenz-96, with optional additive noise and a time rescaling."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from .._checks import check_int, check_positive
from ._sde import SDE

#: largest Lyapunov exponents of the classic parameter sets, in the systems' original time units
LORENZ_EXPONENT = 0.906
ROSSLER_EXPONENT = 0.0714
#: largest Lyapunov exponent of Lorenz-96 at F = 8 per original time unit, by dimension (d = 10, 20:
#: scipy DOP853 on the flow and its tangent, renormalised every 0.5, 3 runs of 1000 time units,
#: 1.177 and 1.542, standard errors ~0.03; d = 40: Lorenz & Emanuel 1998, J. Atmos. Sci. 55, 399)
LORENZ96_EXPONENT = {10: 1.18, 20: 1.54, 40: 1.7}


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


def lorenz96(*, dim: int = 10, F: float = 8.0, time_scale: float = 6.0, noise: float = 0.0,
             region=None) -> SDE:
    """Lorenz-96 (d = ``dim`` >= 4 coordinates on a ring), slowed down by ``time_scale``.

    With T = time_scale and indices modulo d,

        dz_i = ((z_{i+1} - z_{i-2}) z_{i-1} - z_i + F) / T dt  +  noise sqrt(1 / T) dW_i

    (Lorenz 1996; the noise is ``noise dW_s`` in original time). At F = 8 the flow is chaotic in
    the dimensions measured here (6, 10, 20, 40); the largest Lyapunov
    exponent per original time unit is ``LORENZ96_EXPONENT[d]`` (about 1.7 at d = 40; d = 10 and 20
    are this project's DOP853 + QR reference), i.e. that divided by T per unit of simulation time.
    Each coordinate has mean 2.3 and standard deviation 3.7 on the attractor and stays within about
    [-10, 16] (4 runs of 200 original units, d = 6, 10, 20); fit on the
    occupation measure of simulated trajectories (``ddm.occupation``), not the box. The state is
    symmetric under cyclic shifts of the coordinates.

    The default T = 6 is what ``ddm.propose_time_scale`` gives at dt = 0.01 with Euler (5.95 at
    d = 6, 6.00 at d = 10, 6.33 at d = 20): the 0.9 quantile of the Jacobian's spectral radius on
    the attractor is 12-12.7 per original time unit, which T brings to about 2 per tau (the
    step rule asks only T >= 1.8); the dominant period is then ~1.6 x 6 = 9.5 tau.

    Parameters
    ----------
    dim : int
        d >= 4, the number of coordinates (10 and 20 are the documented cases).
    F : float
        The forcing, > 0 (8: the classic chaotic regime).
    time_scale : float
        T > 0: one original time unit lasts T units of simulation time.
    noise : float
        Additive noise amplitude in original time units (0: deterministic).
    region : (low, high), optional
        Box of the attractor's bulk (default [-1.25 F', 1.875 F']^d with F' = max(F, 8):
        [-10, 15]^d at F = 8; rare excursions leave it), used
        for plots, starting points and as the occupation sampler's fallback.

    Examples
    --------
    >>> sde = lorenz96(dim=5, time_scale=1.0)
    >>> [round(v, 4) for v in sde.latent_drift(jnp.array([1.0, 2.0, 3.0, 4.0, 5.0])).tolist()]
    [-3.0, 4.0, 11.0, 13.0, -5.0]
    """
    d = check_int("dim", dim, minimum=4)
    F = check_positive("F", F)
    T = check_positive("time_scale", time_scale)
    noise = check_positive("noise", noise, allow_zero=True)
    if region is None:
        width = max(F, 8.0)
        region = ((-1.25 * width,) * d, (1.875 * width,) * d)

    return SDE(drift=_lorenz96_drift, diffusion=noise * np.eye(d), dim=d, noise_dim=d, name=f"Lorenz-96 (d={d})",
               region=region, params=dict(dim=d, F=F, time_scale=T, noise=noise), theta=dict(F=F), time_scale=T)


def _lorenz96_drift(z, u, p):
    # (z_{i+1} - z_{i-2}) z_{i-1} - z_i + F, indices cyclic: roll(z, -1)[i] = z_{i+1}
    return (jnp.roll(z, -1) - jnp.roll(z, 2)) * jnp.roll(z, 1) - z + p["F"]
