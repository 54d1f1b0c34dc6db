"""Held-out matching errors eps_f and eps_D (METHOD.md section 3)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ._data import _target_fields


def matching_errors(net, target, Z, U=None):
    """Relative drift and diffusion errors of a network against a target at points Z (n, d).

    ``eps_f = sqrt(E||f_net - f||^2 / E||f||^2)``, ``eps_D`` likewise with D (METHOD.md section 3);
    eps_D is NaN when the target's diffusion is zero.
    """
    Z = jnp.asarray(Z, jnp.float32)
    U = jnp.zeros((Z.shape[0], target.input_dim), jnp.float32) if U is None else jnp.asarray(U, jnp.float32)
    sums = np.asarray(_error_sums(net, target, Z, U), np.float64)
    eps_f = float(np.sqrt(sums[0] / sums[1])) if sums[1] > 0 else float("nan")
    eps_D = float(np.sqrt(sums[2] / sums[3])) if sums[3] > 0 else float("nan")
    return eps_f, eps_D


@jax.jit
def _error_sums(net, target, Z, U):
    """Squared drift and diffusion errors and norms at the points, summed: one compiled call."""
    f, S = _target_fields(target, Z, U)
    D = 0.5 * S
    fn, Dn = net.latent_drift(Z, U), net.latent_diffusion(Z)
    return jnp.stack([jnp.sum((fn - f) ** 2), jnp.sum(f**2), jnp.sum((Dn - D) ** 2), jnp.sum(D**2)])
