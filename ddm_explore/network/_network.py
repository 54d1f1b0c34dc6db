"""The rate network  dx = [-x + J phi(x) + B u + b] dt + Sigma(x) dW  (METHOD.md section 2).

This module holds the model formula, once: rates on the manifold, the latent drift and
diffusion, the off-manifold drift. Training (matching/) and analysis use these methods.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Optional

import jax
import jax.numpy as jnp
import numpy as np

from .._system import System
from ..sdes._sde import SDE

#: the rate nonlinearities phi: (JAX function, numpy function for float64 analysis)
NONLINEARITIES = {"tanh": (jnp.tanh, np.tanh)}
CONNECTIVITIES = ("low_rank", "full", "symmetric")
NOISE_MODES = ("additive", "multiplicative")


@jax.tree_util.register_dataclass
@dataclass(frozen=True, eq=False)
class Network(System):
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
    affine map to user coordinates;  region_low, region_high : the region it was fitted on;
    time_scale : the fitted target's ``time_scale`` (simulation time per original time unit).
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
    #: simulation time per original time unit of the target it was fitted to (``SDE.time_scale``)
    time_scale: float = field(default=1.0, metadata=dict(static=True))

    has_neurons = True
    leak_rate = 1.0  # the neurons' leak -x: a rate every integrator must resolve

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

    @property
    def state_dim(self) -> int:
        return self.n_neurons

    @property
    def constant_diffusion(self) -> bool:
        """True for additive noise (a constant latent loading)."""
        return self.Gamma is None

    def phi(self, x):
        return firing_rates(x, nonlinearity=self.nonlinearity)

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

    # the model on the manifold (METHOD.md section 2), internal coordinates -------------------
    def manifold_rates(self, z_int):
        """Rates ``phi(x0 + M z)`` (..., N) at internal latent points: the network's features."""
        return firing_rates(self.x0 + z_int @ self.M.T, nonlinearity=self.nonlinearity)

    def latent_drift_internal(self, z_int, u, rates=None):
        """``-z + M^T (J r + b + B u) / N`` at internal points z_int (..., d), with the rates r on
        the manifold (computed when not given)."""
        r = self.manifold_rates(z_int) if rates is None else rates
        total = self.recurrent_input(r) + self.b
        if self.input_dim:
            total = total + u @ self.B.T
        return -z_int + total @ self.M / self.n_neurons

    def readout_weights(self):
        """The latent readout of each neuron's rate, (N, d) internal: ``W`` for a low-rank
        network, ``J^T M / N`` otherwise (the drift's dependence on the rates is ``r @ this``)."""
        return self.W if self.W is not None else self.J_full.T @ self.M / self.n_neurons

    def off_manifold_drift(self, rates):
        """The drift off the manifold at manifold points, ``(I - P)(J r + b) - x0`` (..., N): zero
        for a low-rank J with ``b = x0 + M b_lat`` (the manifold is invariant)."""
        e = self.recurrent_input(rates) + self.b - self.x0
        return e - (e @ self.M) @ self.M.T / self.n_neurons

    # the latent SDE on the manifold, user coordinates ----------------------------------------
    def latent_drift(self, z, u=None):
        """Network latent drift ``f_net(z, u)`` in user coordinates; z (..., d), u (..., k)."""
        z = jnp.asarray(z, jnp.float32)
        u = jnp.zeros(z.shape[:-1] + (self.input_dim,), jnp.float32) if u is None else jnp.asarray(u, jnp.float32)
        return self.scale * self.latent_drift_internal(self.to_internal(z), u)

    def noise_loading(self, z):
        """Network latent noise loading ``g_net(z)`` (..., d, d) in user coordinates."""
        z = jnp.asarray(z, jnp.float32)
        G = self.noise_matrix_latent(self.manifold_rates(self.to_internal(z)))
        return self.scale[:, None] * G

    def latent_sde(self) -> SDE:
        """The network's latent SDE on its manifold, ``dz = f_net(z, u) dt + g_net(z) dW``, as an SDE.

        For a low-rank network without private noise it is the same process as the readout of
        the full simulation, at d dimensions instead of N; for full or symmetric J, or with private
        noise, it is the idealised equation, not the network that runs.
        """
        if self.Gamma is None:  # additive noise: a constant loading
            diffusion = np.asarray(self.scale, np.float64)[:, None] * np.asarray(self.gamma0, np.float64)
        else:
            diffusion = _net_loading
        # the network is a traced parameter: latent SDEs of networks of one shape share compiled code
        # params["time_scale"] records the time scale that the network's drift already runs in
        params = dict(time_scale=self.time_scale) if self.time_scale != 1.0 else {}
        return SDE(drift=_net_drift, diffusion=diffusion, dim=self.dim, noise_dim=self.dim, input_dim=self.input_dim,
                   name=f"{self.name} (latent SDE)", region=self.region, theta=dict(net=self), params=params)

    # the system interface (ddm_explore/_system.py) -------------------------------------------
    def initial_state(self, z):
        """Neuron states on the manifold for latent starts z (n, d)."""
        return self.embed(z)

    def state_drift(self, x, u):
        return self.neuron_drift(x, u)

    def state_noise(self, x, dw):
        return self.neuron_noise(x, dw)

    def fused_noise_columns(self):
        """``M gamma0`` (N, d) for additive noise: the simulation adds it column by column."""
        return self.M @ self.gamma0 if self.Gamma is None else None

    def describe(self) -> dict:
        return dict(system=self.name, system_kind="network", n_neurons=self.n_neurons,
                    connectivity=self.connectivity, noise=self.noise, private_noise=float(self.private_noise))

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


def firing_rates(x, *, nonlinearity: str = "tanh"):
    """``phi(x)``: numpy float64 arrays in float64 (analysis), anything else with JAX (the network)."""
    jax_fn, numpy_fn = NONLINEARITIES[nonlinearity]
    return numpy_fn(x) if isinstance(x, np.ndarray) and x.dtype == np.float64 else jax_fn(x)


def _net_drift(z, u, p):
    return p["net"].latent_drift(z, u)


def _net_loading(z, p):
    return p["net"].noise_loading(z)


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
