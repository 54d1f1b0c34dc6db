"""The rate network  dx = [-x + J phi(x) + B u + b] dt + Sigma(x) dW  (METHOD.md section 2)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Optional

import jax
import jax.numpy as jnp
import numpy as np

NONLINEARITIES = {"tanh": jnp.tanh}
CONNECTIVITIES = ("low_rank", "full", "symmetric")
NOISE_MODES = ("additive", "multiplicative")


@jax.tree_util.register_dataclass
@dataclass(frozen=True, eq=False)
class Network:
    """A trained rate network whose latent subspace carries a target SDE.

    Internally the latent coordinate is ``z = M^T x / N`` with ``M^T M = N I`` and
    ``M^T x0 = 0``; the user's coordinates are ``z_user = centre + scale * z`` (METHOD.md
    section 2), chosen by :func:`ddm_explore.fit` from the sampling region so that every neuron's
    input is O(1). Every public method takes and returns user coordinates.

    Attributes
    ----------
    M : (N, d) embedding;  x0 : (N,) offset;  W : (N, d) readout weights of a low-rank network
    (``J = M W^T``), or None;  J_full : (N, N) unconstrained connectivity, or None;
    b : (N,) bias;  B : (N, k) input weights;  gamma0 : (d, d) and Gamma : (d, d, N) or None,
    the latent noise loading ``G(r) = gamma0 + Gamma r`` (``Sigma(x) = M G(phi(x))``);
    private_noise : std of independent per-neuron noise (0: none);  centre, scale : (d,)
    affine map to user coordinates;  region_low, region_high : the region it was fitted on.
    """

    M: jax.Array
    x0: jax.Array
    W: Optional[jax.Array]
    J_full: Optional[jax.Array]
    b: jax.Array
    B: jax.Array
    gamma0: jax.Array
    Gamma: Optional[jax.Array]
    private_noise: jax.Array
    centre: jax.Array
    scale: jax.Array
    region_low: jax.Array
    region_high: jax.Array
    connectivity: str = field(default="low_rank", metadata=dict(static=True))
    noise: str = field(default="additive", metadata=dict(static=True))
    nonlinearity: str = field(default="tanh", metadata=dict(static=True))
    name: str = field(default="network", metadata=dict(static=True))

    # sizes -----------------------------------------------------------------------------------
    @property
    def n_neurons(self) -> int:
        return self.M.shape[0]

    @property
    def dim(self) -> int:
        return self.M.shape[1]

    @property
    def input_dim(self) -> int:
        return self.B.shape[1]

    @property
    def noise_dim(self) -> int:
        """Latent noise channels (d); private noise adds N more when ``private_noise > 0``."""
        return self.dim

    @property
    def region(self):
        return (np.asarray(self.region_low), np.asarray(self.region_high))

    @property
    def J(self) -> jax.Array:
        """Connectivity matrix (N, N); materialised as ``M W^T`` for a low-rank network."""
        return self.M @ self.W.T if self.W is not None else self.J_full

    def phi(self, x):
        return NONLINEARITIES[self.nonlinearity](x)

    # coordinates -----------------------------------------------------------------------------
    def to_internal(self, z):
        return (jnp.asarray(z, jnp.float32) - self.centre) / self.scale

    def to_user(self, z_int):
        return self.centre + self.scale * z_int

    def embed(self, z):
        """Neuron state on the manifold, ``x = x0 + M z_int``, for user coordinates z (..., d)."""
        return self.x0 + self.to_internal(z) @ self.M.T

    def readout(self, x):
        """Latent readout ``z = M^T x / N`` in user coordinates, for x (..., N)."""
        return self.to_user(jnp.asarray(x) @ self.M / self.n_neurons)

    # neuron-level dynamics (batched over leading axes) ----------------------------------------
    def recurrent_input(self, r):
        """``J r`` for rates r (..., N), using the factorisation when J is low rank."""
        if self.W is not None:
            return (r @ self.W) @ self.M.T
        return r @ self.J_full.T

    def neuron_drift(self, x, u=None):
        """``-x + J phi(x) + B u + b`` for x (..., N) and u (..., k)."""
        out = -x + self.recurrent_input(self.phi(x)) + self.b
        if u is not None and self.input_dim:
            out = out + u @ self.B.T
        return out

    def noise_matrix_latent(self, r):
        """Latent loading ``G(r)``, shape (..., d, d), internal coordinates."""
        if self.Gamma is None:
            return jnp.broadcast_to(self.gamma0, r.shape[:-1] + self.gamma0.shape)
        return self.gamma0 + jnp.einsum("ijn,...n->...ij", self.Gamma, r)

    def neuron_noise(self, x, dw):
        """``Sigma(x) dw = M G(phi(x)) dw`` for latent increments dw (..., d)."""
        if self.Gamma is None:
            return (dw @ self.gamma0.T) @ self.M.T
        G = self.noise_matrix_latent(self.phi(x))
        return jnp.einsum("...ij,...j->...i", G, dw) @ self.M.T

    # latent SDE on the manifold (METHOD.md section 2) -----------------------------------------
    def _latent_drift_internal(self, z_int, u):
        x = self.x0 + z_int @ self.M.T
        total = self.recurrent_input(self.phi(x)) + self.b
        if self.input_dim:
            total = total + u @ self.B.T
        return -z_int + total @ self.M / self.n_neurons

    def latent_drift(self, z, u=None):
        """Network latent drift ``f_net(z, u)`` in user coordinates; z (..., d), u (..., k)."""
        z = jnp.asarray(z, jnp.float32)
        u = jnp.zeros(z.shape[:-1] + (self.input_dim,), jnp.float32) if u is None else jnp.asarray(u, jnp.float32)
        return self.scale * self._latent_drift_internal(self.to_internal(z), u)

    def noise_loading(self, z):
        """Network latent noise loading ``g_net(z)`` (..., d, d) in user coordinates."""
        z = jnp.asarray(z, jnp.float32)
        G = self.noise_matrix_latent(self.phi(self.embed(z)))
        return self.scale[:, None] * G

    def latent_diffusion(self, z):
        """Network latent diffusion ``D_net(z) = g_net g_net^T / 2`` (..., d, d), user coordinates."""
        g = self.noise_loading(z)
        return 0.5 * g @ jnp.swapaxes(g, -1, -2)

    def off_manifold(self, x):
        """Distance of x (..., N) from the manifold ``x0 + span(M)``, per neuron (RMS)."""
        e = x - self.x0
        e = e - (e @ self.M) @ self.M.T / self.n_neurons
        return jnp.sqrt(jnp.mean(e**2, axis=-1))

    def replace(self, **changes) -> "Network":
        """A copy with some fields replaced (e.g. ``private_noise=0.1``)."""
        return replace(self, **changes)

    def __repr__(self) -> str:
        return (f"Network({self.name!r}, N={self.n_neurons}, d={self.dim}, k={self.input_dim}, "
                f"connectivity={self.connectivity!r}, noise={self.noise!r})")


def make_embedding(key, n_neurons: int, dim: int, *, offset_scale: float = 1.0):
    """Draw an embedding M (N, d) with ``M^T M = N I`` and an offset x0 with ``M^T x0 = 0``.

    M is a random Gaussian matrix with its columns orthonormalised and scaled by sqrt(N), so the
    neurons' input gains ``|m_i|`` vary (chi-distributed with d degrees of freedom) and their
    preferred directions are isotropic. x0 is uniform on [-offset_scale, offset_scale] with its
    component in span(M) removed: the tanh kinks then tile the latent region.
    """
    k_m, k_x = jax.random.split(key)
    R = np.asarray(jax.random.normal(k_m, (n_neurons, dim)), np.float64)
    Q, Rr = np.linalg.qr(R)
    Q = Q * np.sign(np.diag(Rr))  # unique QR: keeps the draw a continuous function of R
    M = np.sqrt(n_neurons) * Q
    x0 = np.asarray(jax.random.uniform(k_x, (n_neurons,), minval=-offset_scale, maxval=offset_scale), np.float64)
    x0 = x0 - M @ (M.T @ x0) / n_neurons
    return M, x0
