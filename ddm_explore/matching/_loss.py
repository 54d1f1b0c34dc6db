"""The drift–diffusion matching loss (METHOD.md section 3), built from the Network itself."""

from __future__ import annotations

import jax.numpy as jnp

#: fields of a Network that training never changes (the embedding, coordinates, noise level)
FROZEN = ("M", "x0", "private_noise", "centre", "scale", "region_low", "region_high")


def partition(net):
    """Split a network into its trainable part (frozen fields set to None) and the frozen fields,
    so optimisers see only the connectivity, biases, input weights and noise loading."""
    return net.replace(**{name: None for name in FROZEN}), {name: getattr(net, name) for name in FROZEN}


def combine(trainable, frozen):
    """The network of :func:`partition`'s two parts."""
    return trainable.replace(**frozen)


def effective(net, symmetric: bool):
    """The network the loss evaluates: a symmetric network is trained through ``J = (A + A^T) / 2``."""
    return net.replace(J_full=0.5 * (net.J_full + net.J_full.T)) if symmetric else net


def matching_loss(net, batch, *, weights, symmetric: bool = False):
    """The drift–diffusion matching loss L of a network on a batch of latent points.

    ``batch`` holds internal coordinates ``zi`` (n, d), inputs ``U`` (n, k), the network's rates on
    the manifold ``Phi`` (n, N), target drift ``F`` (n, d) and ``S = g g^T`` (n, d, d); ``weights``
    holds ``s_f2``, ``s_D2``, ``lambda_D``, ``lambda_inv``, ``l2``. The drift, the diffusion and the
    off-manifold drift are the Network's own methods. Returns (loss, parts).
    """
    net = effective(net, symmetric)
    f = net.latent_drift_internal(batch["zi"], batch["U"], rates=batch["Phi"])
    drift = jnp.mean(jnp.sum((f - batch["F"]) ** 2, -1)) / weights["s_f2"]
    G = net.noise_matrix_latent(batch["Phi"])
    diff = jnp.mean(jnp.sum((G @ jnp.swapaxes(G, -1, -2) - batch["S"]) ** 2, (-1, -2))) / weights["s_D2"]
    if net.W is not None:  # low rank: the manifold is invariant by construction
        inv = jnp.zeros(())
        norm = jnp.sum(net.W**2)
    else:
        inv = jnp.mean(jnp.sum(net.off_manifold_drift(batch["Phi"]) ** 2, -1)) / net.n_neurons
        norm = jnp.sum(net.J_full**2)
    loss = drift + weights["lambda_D"] * diff + weights["lambda_inv"] * inv + weights["l2"] * norm
    return loss, dict(drift=drift, diffusion=diff, invariance=inv)
