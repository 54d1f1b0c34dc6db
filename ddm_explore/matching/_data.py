"""Training points for drift–diffusion matching: latent samples, inputs, the target's fields there,
and the network's rates, in internal coordinates (METHOD.md section 3)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ._private_noise import smoothed_rates


@dataclass(frozen=True)
class TrainingData:
    """Training points in internal coordinates (float64 unless said): ``z`` (n, d), inputs ``U``
    (n, k), target drift ``F`` (n, d) and ``S = g g^T`` (n, d, d), and the network's float32
    ``rates`` phi(x0 + M z) (n, N); with private noise the smoothed rates ``E[phi(x0 + M z + e)]``
    and their ``variances`` over the off-manifold fluctuation e (else None). For networks too large to
    hold all rates (n x N), ``rates`` is None and ``template`` (the network whose rates they are)
    recomputes them block by block: :meth:`rate_rows`, :meth:`rate_blocks`."""

    z: np.ndarray
    U: np.ndarray
    F: np.ndarray
    S: np.ndarray
    rates: np.ndarray | None
    variances: np.ndarray | None = None
    variance_penalty: float = 1.0
    template: Any = None

    @property
    def n(self) -> int:
        return self.z.shape[0]

    @property
    def dim(self) -> int:
        return self.z.shape[1]

    @property
    def input_dim(self) -> int:
        return self.U.shape[1]

    @property
    def n_neurons(self) -> int:
        return self.template.n_neurons if self.rates is None else self.rates.shape[1]

    @property
    def streamed(self) -> bool:
        """True when the rates are recomputed per block instead of stored."""
        return self.rates is None

    def rate_rows(self, a: int, b: int) -> np.ndarray:
        """The float32 rates of points a..b (b - a, N): stored, or recomputed (the same float32
        function of the points as the stored ones)."""
        if self.rates is not None:
            return self.rates[a:b]
        return np.asarray(_rates(self.template, jnp.asarray(self.z[a:b], jnp.float32)))

    def rate_blocks(self, block_rows: int):
        """``(a, b, rates[a:b])`` over the points in blocks of ``block_rows`` (float32 rates)."""
        for a in range(0, self.n, block_rows):
            b = min(a + block_rows, self.n)
            yield a, b, self.rate_rows(a, b)

    def readout_penalty(self):
        """Per-neuron weight of the readout penalty (N,): the mean variance of the smoothed rates
        times ``variance_penalty`` (None without private noise)."""
        return None if self.variances is None else self.variance_penalty * self.variances.mean(0)

    def as_batch(self) -> dict:
        """The points as float32 device arrays, the batch of :func:`matching_loss`."""
        if self.rates is None:
            raise ValueError(f"the optax routes need all {self.n} x {self.n_neurons} rates at once; fit with "
                             f"solver=ddm.ClosedForm() or fewer neurons (streamed rates are for the closed form)")
        return {name: jnp.asarray(a, jnp.float32) for name, a in
                dict(zi=self.z, U=self.U, Phi=self.rates, F=self.F, S=self.S).items()}


def draw_inputs(target, key, n):
    """Inputs u (n, k) uniform in the target's input region."""
    k = target.input_dim
    if k == 0:
        return jnp.zeros((n, 0), jnp.float32)
    lo, hi = target.input_region
    return jax.random.uniform(key, (n, k), minval=jnp.asarray(lo, jnp.float32), maxval=jnp.asarray(hi, jnp.float32))


@jax.jit
def _target_fields(target, Z, U):
    g = target.noise_loading(Z)
    return target.latent_drift(Z, U), g @ jnp.swapaxes(g, -1, -2)


def evaluate_target(target, Z, U):
    """Drift (n, d) and g g^T (n, d, d) of the target at the points, with a clear error if non-finite."""
    F, S = _target_fields(target, Z, U)
    F, S = np.asarray(F, np.float64), np.asarray(S, np.float64)
    for name, arr in (("drift", F), ("diffusion", S)):
        bad = ~np.all(np.isfinite(arr.reshape(arr.shape[0], -1)), axis=1)
        if bad.any():
            i = int(np.argmax(bad))
            raise ValueError(f"the target's `{name}` is non-finite at z={np.asarray(Z[i]).tolist()}"
                             f" ({int(bad.sum())} of {bad.size} sampled points): shrink the sampling region or fix the function")
    return F, S


@jax.jit
def _rates(template, zi):
    return template.manifold_rates(zi)


def training_data(target, template, Z, U, sigma=None, variance_penalty: float = 1.0, *,
                  store_rates: bool = True) -> TrainingData:
    """The target at the points Z (n, d) with inputs U, in the internal coordinates of the network
    ``template`` (its embedding, centre and scale), with the template's own float32 rates; with
    ``sigma`` (N,), the off-manifold standard deviations of private noise, the smoothed rates
    (and ``variance_penalty``, the weight of their variance as a readout penalty). Without
    ``store_rates`` the rates are not computed here but per block where they are used (never n x N
    at once: the closed form of large networks)."""
    F, S = evaluate_target(target, Z, U)
    centre, scale = np.asarray(template.centre, np.float64), np.asarray(template.scale, np.float64)
    zi = (np.asarray(Z, np.float64) - centre) / scale
    if not store_rates:
        if sigma is not None:
            raise ValueError("private noise needs the smoothed rates of every point stored: fit with "
                             "solver=ddm.ClosedForm(streaming=False) (or fewer neurons) when `private_noise` > 0")
        rates, variances = None, None
    elif sigma is None:
        rates, variances = np.asarray(_rates(template, jnp.asarray(zi, jnp.float32))), None
    else:
        rates, variances = smoothed_rates(template, zi, sigma)
    return TrainingData(z=zi, U=np.asarray(U, np.float64), F=F / scale, S=S / np.outer(scale, scale), rates=rates,
                        variances=variances, variance_penalty=float(variance_penalty),
                        template=None if store_rates else template)

