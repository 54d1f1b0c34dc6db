"""The closed-form fit in pure JAX: traceable, so ``jax.jit`` and ``jax.vmap`` run over fits (over
keys and over a target's traced parameters) and :func:`ddm_explore.sweep` shards them over devices.

The same steps as ``ddm.fit`` with ``ClosedForm`` (METHOD.md section 3), from the same key split,
so with equal arguments both draw the same embedding, training and held-out points: the embedding
(QR of a Gaussian draw), box sampling, the target's fields, the network's rates, then the ridge
regression of the drift and the diffusion loading. The regression runs in the default float
dtype (float32; float64 where ``jax_enable_x64`` is on) on centred features (the unpenalised
intercept taken out exactly) by a QR factorisation of the design, whose condition number is the
square root of the Gram matrix's: in float32 it reaches the held-out error of the float64 fit
without a refinement step (README, "Sweeps of whole experiments", has the measurements).
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.linalg import solve_triangular

from .._checks import _show, check_choice, check_int, check_key, check_positive
from .._system import check_sde
from .._threads import one_blas_thread
from ..network._network import NOISE_MODES, Network
from ._data import draw_inputs
from ._errors import _error_sums
from ._samplers import Sampler, default_sampler
from ._solvers import Embedding

HIGHEST = jax.lax.Precision.HIGHEST  # no TF32 / bf16 passes on GPUs: the solve needs every float32 bit


def fit_traceable(target, n_neurons: int = 256, *, key, theta=None, diffusion=None, ridge: float = 1e-9,
                  noise: str = "additive", sampler: Sampler | None = None, embedding: Embedding | None = None,
                  n_samples: int | None = None, n_test: int = 2048):
    """The closed-form fit of a low-rank network in pure JAX: jit- and vmap-able over keys and traced
    target parameters.

    The same fit as ``ddm.fit(target, n_neurons, key=key, solver=ddm.ClosedForm(ridge))`` (the same
    embedding, training and held-out points for the same key), computed in JAX's default float
    dtype: float32, or float64 when ``jax_enable_x64`` is on. In float32 the held-out eps_f is
    within 2% (relative) of the float64 fit's on the tested targets and sizes (README, "Sweeps of whole
    experiments"). Use it inside ``jax.jit``, ``jax.vmap`` or :func:`ddm_explore.sweep`;
    ``n_neurons``, ``n_samples``, ``noise``, ``sampler`` and ``embedding`` are static (Python
    values), everything else can be traced.

    Parameters
    ----------
    target : SDE
        A target whose functions are JAX (``target.backend == "jax"``).
    n_neurons : int
        N, at least the latent dimension.
    key : PRNG key
        The same role as in ``ddm.fit``.
    theta : dict, optional
        Values replacing entries of ``target.theta`` (traced: e.g. ``dict(mu=mu)`` for
        ``van_der_pol``, ``dict(c=c)`` for ``ring_wells``), the target's other entries kept.
    diffusion : (d, m) array, optional
        Replaces a constant noise loading g (in the target's own time units, like the
        ``diffusion=`` of ``ddm.SDE``): e.g. ``sigma * jnp.eye(2)``.
    ridge : float
        As in ``ddm.ClosedForm``.
    noise : {"additive", "multiplicative"}
    sampler : Sampler, optional
        Default a box over ``target.region``.
    embedding : Embedding, optional
    n_samples, n_test : int
        Training and held-out points (default n_samples = max(4096, 8 N)).

    Returns
    -------
    net : Network
        A low-rank network, usable by ``ddm.simulate`` (under ``vmap``, every leaf has the batch
        axis in front).
    errors : dict
        Held-out ``eps_f`` and ``eps_D`` (0-d arrays; eps_D is NaN when the target has no noise).

    Examples
    --------
    >>> import jax, jax.numpy as jnp, ddm_explore as ddm
    >>> vdp = ddm.systems.van_der_pol()
    >>> net, err = ddm.fit_traceable(vdp, 64, key=jax.random.key(0))
    >>> bool(err["eps_f"] < 0.05)
    True
    >>> fits = jax.jit(jax.vmap(lambda mu, k: ddm.fit_traceable(vdp, 64, key=k, theta=dict(mu=mu))[1]["eps_f"]))
    >>> fits(jnp.array([0.5, 1.0, 1.5]), jax.random.split(jax.random.key(0), 3)).shape
    (3,)
    """
    spec = _check(target, n_neurons, sampler, embedding, noise, n_samples, n_test)
    key = key if isinstance(key, jax.core.Tracer) else check_key("key", key)
    target = traced_target(target, theta=theta, diffusion=diffusion)
    ridge = ridge if isinstance(ridge, jax.Array) else check_positive("ridge", ridge, allow_zero=True)
    return _run(target, key, jnp.asarray(ridge, jnp.result_type(float)), spec=spec)


@one_blas_thread  # LAPACK's QR on CPU goes through the BLAS that spin-waits on a busy machine
def _run(target, key, ridge, *, spec):
    return _fit(target, key, ridge, spec=spec)


class _Spec:
    """The static settings of a fit: compared (and hashed) by what shapes the compiled program, so
    fits with equal settings share it. A box or Gaussian sampler is compared by its kind and
    extent (they define its draws); an occupation sampler by identity (its recorded states)."""

    __slots__ = ("N", "noise", "sampler", "embedding", "n_samples", "n_test", "_key")

    def __init__(self, N, noise, sampler, embedding, n_samples, n_test):
        self.N, self.noise, self.sampler, self.embedding = N, noise, sampler, embedding
        self.n_samples, self.n_test = n_samples, n_test
        lo, hi = (np.asarray(e, np.float64) for e in sampler.extent)
        which = id(sampler) if sampler.kind not in ("box", "gaussian") else (lo.tobytes(), hi.tobytes())
        self._key = (N, noise, embedding, n_samples, n_test, sampler.kind, sampler.dim, which)

    def __eq__(self, other):
        return isinstance(other, _Spec) and self._key == other._key

    def __hash__(self):
        return hash(self._key)


def _check(target, n_neurons, sampler, embedding, noise, n_samples, n_test) -> _Spec:
    """The static settings, checked."""
    check_sde("target", target)
    if target.backend != "jax":
        raise ValueError(f"`target` must be written in JAX to be traced (its functions run as {target.backends}): "
                         f"use ddm.fit for host functions")
    N = check_int("n_neurons", n_neurons)
    if N < target.dim:
        raise ValueError(f"`n_neurons` must be >= the latent dimension {target.dim}, got {N}")
    check_choice("noise", noise, NOISE_MODES)
    sampler = default_sampler(target, sampler)
    if not isinstance(sampler, Sampler):
        raise ValueError(f"`sampler` must come from ddm.box, ddm.gaussian or ddm.occupation, got {type(sampler).__name__}")
    if sampler.dim != target.dim:
        raise ValueError(f"`sampler` draws {sampler.dim}-dimensional points but the target has dim={target.dim}")
    embedding = Embedding() if embedding is None else embedding
    if not isinstance(embedding, Embedding):
        raise ValueError(f"`embedding` must be ddm.Embedding(...), got {_show(embedding)}")
    n_samples = check_int("n_samples", n_samples if n_samples is not None else max(4096, 8 * N), minimum=2)
    return _Spec(N, noise, sampler, embedding, n_samples, check_int("n_test", n_test, minimum=2))


def traced_target(target, *, theta=None, diffusion=None):
    """``target`` with entries of its ``theta`` and its constant noise loading replaced by (possibly
    traced) values, through its pytree leaves: nothing is re-checked or re-compiled.

    >>> import ddm_explore as ddm
    >>> vdp = traced_target(ddm.systems.van_der_pol(), theta=dict(mu=2.0))
    >>> vdp.latent_drift(jnp.array([1.0, 1.0])).tolist()
    [1.0, -1.0]
    """
    if theta is None and diffusion is None:
        return target
    th, g0, T = target.tree_flatten()[0]
    if theta is not None:
        if not isinstance(theta, dict) or not isinstance(th, dict) or set(theta) - set(th):
            known = sorted(th) if isinstance(th, dict) else []
            raise ValueError(f"`theta` must be a dict of entries of the target's theta {known}, got {_show(theta)}")
        th = {**th, **{k: jnp.asarray(v, jnp.asarray(th[k]).dtype) for k, v in theta.items()}}
    if diffusion is not None:
        if g0 is None:
            raise ValueError("`diffusion` replaces a constant noise loading, but the target's diffusion is a function of z")
        g = jnp.asarray(diffusion, jnp.float32)
        if g.shape != g0.shape:
            raise ValueError(f"`diffusion` must have the shape of the target's loading {tuple(g0.shape)}, got {tuple(g.shape)}")
        g0 = g if T is None else g / jnp.sqrt(T)
    return type(target).tree_unflatten(target.tree_flatten()[1], (th, g0, T))


def embedding_draw(key, n_neurons: int, dim: int, offset_scale: float):
    """``make_embedding`` in JAX: M (N, d) with ``M^T M = N I`` from the orthonormalised columns of a
    Gaussian draw (the Q of its QR with R's diagonal positive, the sign convention of
    ``make_embedding``), x0 uniform on [-offset_scale, offset_scale] projected off span(M)."""
    k_m, k_x = jax.random.split(key)
    M = jnp.sqrt(n_neurons) * orthonormal_columns(jax.random.normal(k_m, (n_neurons, dim)))
    x0 = jax.random.uniform(k_x, (n_neurons,), minval=-offset_scale, maxval=offset_scale)
    return M, x0 - M @ jnp.dot(M.T, x0, precision=HIGHEST) / n_neurons


def orthonormal_columns(A):
    """Gram–Schmidt run twice over the d columns of A (N, d): the Q of A's QR with a positive
    diagonal of R, orthonormal to rounding ("twice is enough"): d^2 dot products in plain JAX ops
    instead of one more LAPACK call per fit (on CPU those go through OpenBLAS; see ``ddm.sweep``
    on several CPU devices).

    >>> Q = orthonormal_columns(jnp.array([[3.0, 1.0], [4.0, 2.0], [0.0, 5.0]]))
    >>> bool(jnp.allclose(Q.T @ Q, jnp.eye(2), atol=1e-6))
    True
    """
    cols = []
    for j in range(A.shape[1]):
        v = A[:, j]
        for _ in range(2):
            for q in cols:
                v = v - q * jnp.dot(q, v, precision=HIGHEST)
        cols.append(v / jnp.linalg.norm(v))
    return jnp.stack(cols, axis=1)


def ridge_regression(Xp, Xu, Y, ridge):
    """``min ||Xp a + Xu c + 1 e - Y||^2 / n + ridge ||a||^2`` (only a, the first block, penalised),
    by a QR factorisation: accurate in float32 where the normal equations are not.

    Centring the columns removes the unpenalised intercept exactly. The centred design, with the
    targets as extra columns and ``sqrt(ridge)`` rows below the penalised block, is reduced to its
    triangular factor R = [[R11, R12], [0, R22]] (no Q is formed); then ``R11 beta = R12``. The
    condition number is that of the design, the square root of the Gram matrix's, so float32 keeps
    the digits that a float32 Cholesky of the Gram matrix loses (measured: a 4-20x larger held-out
    drift error, and no factor at N = 1024). Returns (a, c, e)."""
    n, p_pen = Xp.shape
    X = jnp.concatenate([Xp, Xu], axis=1)
    p, m = X.shape[1], Y.shape[1]
    mx, my = X.mean(0), Y.mean(0)
    rows = jnp.concatenate([X - mx, Y - my], axis=1) / jnp.sqrt(jnp.asarray(n, X.dtype))
    sqrt_pen = jnp.concatenate([jnp.full(p_pen, 1.0, X.dtype), jnp.zeros(p - p_pen, X.dtype)]) * jnp.sqrt(ridge)
    penalty_rows = jnp.concatenate([jnp.diag(sqrt_pen), jnp.zeros((p, m), X.dtype)], axis=1)
    R = jnp.linalg.qr(jnp.concatenate([rows, penalty_rows]), mode="r")
    beta = solve_triangular(R[:p, :p], R[:p, p:], lower=False)
    return beta[:p_pen], beta[p_pen:], my - jnp.dot(mx, beta, precision=HIGHEST)


def psd_sqrt(S):
    """Symmetric PSD square roots of a stack of symmetric matrices (..., d, d), by eigh."""
    w, V = jnp.linalg.eigh(0.5 * (S + jnp.swapaxes(S, -1, -2)))
    return (V * jnp.sqrt(jnp.clip(w, 0.0, None))[..., None, :]) @ jnp.swapaxes(V, -1, -2)


@partial(jax.jit, static_argnames=("spec",))
def _fit(target, key, ridge, *, spec):
    with jax.default_matmul_precision("float32"):  # full float32 products on GPUs too (no TF32)
        return _fit_body(target, key, ridge, spec)


def _fit_body(target, key, ridge, spec):
    N, sampler, n_samples, d = spec.N, spec.sampler, spec.n_samples, target.dim
    dtype = jnp.result_type(float)
    k_embed, k_train, k_test, k_utrain, k_utest, _, _ = jax.random.split(key, 7)  # the split of ddm.fit
    M, x0 = embedding_draw(k_embed, N, d, spec.embedding.offset_scale)
    template = _template(target, spec, M, x0)
    Z = _draw(sampler, "train")(k_train, n_samples)
    U = draw_inputs(target, k_utrain, n_samples)
    g = target.noise_loading(Z)
    F, S = target.latent_drift(Z, U), g @ jnp.swapaxes(g, -1, -2)
    scale = template.scale
    zi = template.to_internal(Z)
    rates = template.manifold_rates(zi).astype(dtype)  # the network's own float32 rates, as in ddm.fit
    W, B_lat, b_lat = ridge_regression(rates, U.astype(dtype), (F / scale + zi).astype(dtype), ridge)
    S_int = (S / jnp.outer(scale, scale)).astype(dtype)
    if spec.noise == "additive":
        gamma0, Gamma = psd_sqrt(S_int.mean(0)), None
    else:  # G(r) = gamma0 + Gamma r: a regression of the square root of S on the rates
        coef, _, c0 = ridge_regression(rates, jnp.zeros((n_samples, 0), dtype), psd_sqrt(S_int).reshape(n_samples, d * d),
                                       ridge)
        gamma0, Gamma = c0.reshape(d, d), coef.T.reshape(d, d, N)
    f32 = partial(jnp.asarray, dtype=jnp.float32)
    net = template.replace(W=f32(W), b=f32(x0 + M @ b_lat), B=f32(M @ B_lat.T), gamma0=f32(gamma0),
                           Gamma=None if Gamma is None else f32(Gamma))
    Zt = _draw(sampler, "test")(k_test, spec.n_test)
    sums = _error_sums(net, target, Zt, draw_inputs(target, k_utest, spec.n_test))
    eps_D = jnp.where(sums[3] > 0, jnp.sqrt(sums[2] / jnp.where(sums[3] > 0, sums[3], 1.0)), jnp.nan)
    return net, dict(eps_f=jnp.sqrt(sums[0] / sums[1]), eps_D=eps_D)


def _draw(sampler, part):
    """The sampler's training or test draws. Those of a box or a Gaussian are rebuilt from its
    extent with numpy constants (the same draws as ``ddm.box`` / ``ddm.gaussian``), so a sampler
    made inside someone else's trace (the default box, made per call) leaks no tracer into the
    compiled fit; an occupation sampler's recorded states become constants of the program."""
    lo, hi = (np.asarray(e, np.float64) for e in sampler.extent)
    if sampler.kind == "box":
        lo32, hi32 = lo.astype(np.float32), hi.astype(np.float32)
        return lambda key, n: jax.random.uniform(key, (n, sampler.dim), minval=lo32, maxval=hi32)
    if sampler.kind == "gaussian":  # extent = mean -+ 2.5 std
        mean, std = ((lo + hi) / 2).astype(np.float32), ((hi - lo) / 5).astype(np.float32)
        return lambda key, n: mean + std * jax.random.normal(key, (n, sampler.dim))
    return (sampler.draw_train if part == "train" else sampler.draw_test) or sampler.draw


def _template(target, spec, M, x0) -> Network:
    """A low-rank network with the embedding (M, x0), scaled to the sampler's extent, and zero
    connectivity: the fields of ``ddm.fit``'s template."""
    lo, hi = (np.asarray(e, np.float64) for e in spec.sampler.extent)
    N, d, k = spec.N, target.dim, target.input_dim
    f32 = partial(jnp.asarray, dtype=jnp.float32)
    return Network(M=f32(M), x0=f32(x0), W=jnp.zeros((N, d), jnp.float32), J_full=None, b=f32(x0),
                   B=jnp.zeros((N, k), jnp.float32), gamma0=jnp.eye(d, dtype=jnp.float32),
                   Gamma=None if spec.noise == "additive" else jnp.zeros((d, d, N), jnp.float32),
                   private_noise=jnp.float32(0.0), centre=f32((lo + hi) / 2),
                   scale=f32((hi - lo) / 2 / spec.embedding.latent_gain), region_low=f32(lo), region_high=f32(hi),
                   connectivity="low_rank", noise=spec.noise, nonlinearity=spec.embedding.nonlinearity,
                   name=f"{target.name} network", time_scale=float(target.time_scale))
