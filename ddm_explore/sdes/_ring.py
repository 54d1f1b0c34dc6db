"""K wells on a ring: associative memory (inputs) and episodic sequences (rotational current)."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from .._checks import check_choice, check_int, check_positive
from ._sde import SDE

_R = jnp.array([[0.0, -1.0], [1.0, 0.0]])  # rotation by 90 degrees


def ring_potential(z, *, K: int = 4, k: float = 1.0, h: float = 0.3):
    """``V(z) = k (|z|^2 - 1)^2 - h Re((z1 + i z2)^K)``: K wells on the unit ring."""
    r2 = z[0] ** 2 + z[1] ** 2
    # Re((z1 + i z2)^K) = r^K cos(K theta), written without complex numbers
    re_w = jnp.real((z[0] + 1j * z[1]) ** K)
    return k * (r2 - 1.0) ** 2 - h * re_w


def ring_wells(*, K: int = 4, k: float = 1.0, h: float = 0.3, c: float = 0.0, D: float = 0.1,
               current: str = "ring", cue_max: float = 1.0, region=((-1.8, -1.8), (1.8, 1.8))) -> SDE:
    """K attractors (memories) on a ring, with an optional nonequilibrium current (d = 2, k = 2 inputs).

    ``V(z) = k (|z|^2 - 1)^2 - h Re((z1 + i z2)^K)`` has K wells at angles ``2 pi j / K`` near the
    unit circle (see :func:`ring_centres`). With ``current="ring"`` (METHOD.md E3/E4)

        dz = (-grad V(z) + c R z + u) dt + sqrt(2 D) dW,

    R the 90-degree rotation: c > 0 drives autonomous anticlockwise visiting of the wells in
    sequence (episodic memory); c = 0 is reversible and the input u (a cue) tilts the landscape
    towards one memory (associative recall). With ``current="potential"`` the drift is
    ``-(I + c R) grad V + u``: stationary density ``exp(-V / D)`` whatever c, and
    ``f_irr = -c R grad V`` — the oracle for the irreversibility decomposition (METHOD.md 6),
    whose current circulates along level sets of V rather than around the ring.

    Parameters
    ----------
    K : int
        Number of wells (>= 2).
    k, h : float
        Ring stiffness and well depth.
    c : float
        Strength of the rotational current.
    D : float
        Diffusion coefficient (isotropic, ``D(z) = D I``).
    current : {"ring", "potential"}
    cue_max : float
        Inputs are sampled from [-cue_max, cue_max]^2 when a network is fitted.
    region : (low, high)
        Sampling box, default [-1.8, 1.8]^2.

    Examples
    --------
    >>> sde = ring_wells(K=4)
    >>> [round(float(v), 4) for v in sde.latent_drift(jnp.array([1.0, 0.0]))]
    [1.2, 0.0]
    """
    K = check_int("K", K, minimum=2)
    k = check_positive("k", k)
    h = check_positive("h", h, allow_zero=True)
    c = float(c)
    if not np.isfinite(c):
        raise ValueError(f"`c` must be finite, got {c}")
    D = check_positive("D", D, allow_zero=True)
    check_choice("current", current, ("ring", "potential"))
    cue_max = check_positive("cue_max", cue_max)
    return SDE(drift=_ring_drift(K, current), diffusion=np.sqrt(2.0 * D) * np.eye(2), dim=2, noise_dim=2, input_dim=2,
               name=f"{K}-well ring", region=region, input_region=(-cue_max * np.ones(2), cue_max * np.ones(2)),
               params=dict(K=K, k=k, h=h, c=c, D=D, current=current), theta=dict(k=k, h=h, c=c))


@functools.lru_cache(maxsize=None)
def _ring_drift(K: int, current: str):
    """The drift f(z, u, theta) for K wells and a current type: one function object per (K, current),
    so SDEs that differ only in k, h, c or D share their compiled programs."""
    def grad_V(z, p):
        return jax.grad(lambda z: ring_potential(z, K=K, k=p["k"], h=p["h"]))(z)

    if current == "ring":
        def drift(z, u, p):
            return -grad_V(z, p) + p["c"] * (_R @ z) + u
    else:
        def drift(z, u, p):
            g = grad_V(z, p)
            return -(g + p["c"] * (_R @ g)) + u
    return drift


def ring_centres(*, K: int = 4, k: float = 1.0, h: float = 0.3) -> np.ndarray:
    """The K minima of the ring potential, (K, 2): at the angles 2 pi j / K (where cos(K theta) = 1),
    at the radius where ``dV/dr = 4 k r (r^2 - 1) - K h r^(K-1)`` vanishes (Newton's method from r = 1,
    in float64).

    >>> ring_centres(K=4).round(3).tolist()[0]
    [1.195, 0.0]
    """
    K = check_int("K", K, minimum=2)
    k = check_positive("k", k)
    h = check_positive("h", h, allow_zero=True)
    r = 1.0
    for _ in range(50):
        F = 4 * k * r * (r * r - 1) - K * h * r ** (K - 1)
        dF = 4 * k * (3 * r * r - 1) - K * (K - 1) * h * r ** (K - 2)
        r = r - F / dF
    th = 2 * np.pi * np.arange(K) / K
    return r * np.stack([np.cos(th), np.sin(th)], axis=-1)
