"""Large networks: the streamed Gram matrix, the refined solve, the streamed fit against the stored
one, and a low-rank simulation that never forms J (README, "Performance and scale")."""

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.linalg

import ddm_explore as ddm
from ddm_explore._threads import streamed_gram
from ddm_explore.matching import _closed_form as cf
from ddm_explore.matching._data import draw_inputs, training_data
from ddm_explore.matching._fit import _template
from ddm_explore.matching._solvers import Embedding
from ddm_explore.network import Network, make_embedding
from ddm_explore.simulation._simulate import _plan, _segment

KEY = jax.random.key(0)
VDP = ddm.systems.van_der_pol()


def _data(N, n, *, store, target=VDP, noise="additive", seed=0):
    """Training points of ``target`` for an N-neuron template, rates stored or streamed."""
    from ddm_explore.matching._samplers import default_sampler

    sampler = default_sampler(target, None)
    k = jax.random.split(jax.random.key(seed), 3)
    _, _, template = _template(target, sampler, N, Embedding(), k[0], "low_rank", noise)
    Z, U = sampler.sample_train(k[1], n), draw_inputs(target, k[2], n)
    return training_data(target, template, Z, U, store_rates=store)


@pytest.mark.parametrize("n,block", [(1000, 128), (777, 100), (50, 64)])
def test_streamed_gram_equals_the_plain_gram(n, block):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((n, 37)) * rng.uniform(0.1, 10, 37)
    G = streamed_gram(n, lambda a, b: X[a:b], 37, block_rows=block)
    ref = X.T @ X  # numpy's own product: a different summation
    # float64 sums of n terms of size ~|x|^2: relative 1e-12 is ~ n * 1e-16 with room
    np.testing.assert_allclose(G, ref, rtol=1e-12, atol=1e-12 * np.abs(ref).max())
    assert np.array_equal(G, G.T)
    G32 = streamed_gram(n, lambda a, b: X[a:b], 37, block_rows=block, float32=True)
    # float32 inputs and one block's float32 sums: ~ sqrt(block) * 6e-8 of the largest entry; 1e-5 bounds it
    np.testing.assert_allclose(G32, ref, atol=1e-5 * np.abs(ref).max())


def test_streamed_gram_is_the_same_sum_for_any_number_of_workers(monkeypatch):
    import ddm_explore._threads as threads

    rng = np.random.default_rng(2)
    X = rng.standard_normal((900, 1100))
    monkeypatch.setattr(threads, "GRAM_CHUNK", 128)  # 9 chunks: the workers' shares differ
    results = []
    for workers in (1, 2, 3):
        monkeypatch.setattr(threads, "GRAM_BLOCKS", workers)
        plan = threads._chunk_plan(1100, workers, 128)
        assert sorted(c for share in plan for c in share) == [(a, min(a + 128, 1100)) for a in range(0, 1100, 128)]
        results.append(streamed_gram(900, lambda a, b: X[a:b], 1100, block_rows=200))
    # every entry is the blocks' products summed in block order, whoever computed its chunk
    assert np.array_equal(results[0], results[1]) and np.array_equal(results[1], results[2])


def test_streamed_solve_keeps_one_gram_matrix():
    """The streamed Gram is one float64 accumulator plus chunk temporaries, and the solve factors
    it in place and restores it: numpy's peak allocation (tracemalloc) stays near one G."""
    import tracemalloc

    data = _data(1500, 3000, store=False)
    tracemalloc.start()
    try:
        G = cf.design_gram(data)
        gram_peak = tracemalloc.get_traced_memory()[1]
        before = G.copy()
        tracemalloc.reset_peak()
        held = tracemalloc.get_traced_memory()[0]
        beta, mse = cf.refined_ridge(G, data, 1e-9)
        solve_extra = tracemalloc.get_traced_memory()[1] - held
    finally:
        tracemalloc.stop()
    # the accumulator (1503^2 float64, 18 MiB) and two chunk products of 1503 x 512 (6 MiB each)
    # plus a block of rows (2048 x 1503 float64, 25 MiB): the earlier per-worker accumulators alone were 2 G
    assert gram_peak < 2.0 * G.nbytes + 2048 * 1503 * 8, gram_peak / G.nbytes
    # a copy of G's design block would be ~1 G; what the solve allocates is vectors and the fixed-size
    # index temporaries of restoring G band by band (512 rows: ~3 MiB whatever N)
    assert solve_extra < 0.1 * G.nbytes + 4 * 2**20, solve_extra / G.nbytes
    assert np.array_equal(G, before)  # factored in place, then restored from its untouched lower triangle
    # the solution itself against the copy's Cholesky solve
    p = data.n_neurons + 1
    A = before[:p, :p] / data.n + np.diag(np.r_[np.full(data.n_neurons, 1e-9), 0.0])
    ref = scipy.linalg.cho_solve(scipy.linalg.cho_factor(A), before[:p, p:] / data.n)
    X = np.concatenate([data.rate_rows(0, data.n).astype(np.float64), np.ones((data.n, 1))], 1)
    assert np.sqrt(np.mean((X @ (beta - ref)) ** 2) / np.mean((X @ ref) ** 2)) < 1e-6
    Y = data.F + data.z
    direct = float(np.mean(np.sum((X @ beta - Y) ** 2, 1)))
    assert abs(mse - direct) < 1e-6 * float(np.mean(np.sum(Y**2, 1))), (mse, direct)


def test_design_gram_streamed_equals_stored():
    stored, streamed = _data(300, 5000, store=True), _data(300, 5000, store=False)
    assert streamed.rates is None and streamed.n_neurons == 300
    G0, G1 = cf.design_gram(stored), cf.design_gram(streamed)
    # the same float32 rates (recomputed per block) in float64 sums of 5000 rows
    np.testing.assert_allclose(G1, G0, rtol=1e-11, atol=1e-11 * np.abs(G0).max())
    X = np.concatenate([stored.rates.astype(np.float64), stored.U, np.ones((stored.n, 1)), stored.F + stored.z], 1)
    np.testing.assert_allclose(G1, X.T @ X, rtol=1e-11, atol=1e-11 * np.abs(G0).max())


def test_device_gram_equals_the_host_gram():
    data = _data(300, 9000, store=False)  # two device blocks, the second partial
    G0, G1 = cf.design_gram(data), cf.device_design_gram(data)
    # float64 on both sides (JAX's default device here is the CPU); another order of summation
    np.testing.assert_allclose(G1, G0, rtol=1e-11, atol=1e-11 * np.abs(G0).max())


@pytest.mark.parametrize("float32,refine", [(False, 0), (False, 3), (True, 60)])
def test_refined_solve_matches_scipy_lstsq(float32, refine):
    data = _data(64, 3000, store=False)
    ridge = 1e-6
    G = cf.design_gram(data, float32=float32)
    beta, mse = cf.refined_ridge(G, data, ridge, refine=refine)
    # the reference: the same ridge problem as one stacked least-squares system, solved by scipy (SVD)
    n, N = data.n, data.n_neurons
    X = np.concatenate([data.rate_rows(0, n).astype(np.float64), data.U, np.ones((n, 1))], 1) / np.sqrt(n)
    reg = np.zeros((N, N + 1))
    reg[:, :N] = np.sqrt(ridge) * np.eye(N)
    Y = (data.F + data.z) / np.sqrt(n)
    ref = scipy.linalg.lstsq(np.vstack([X, reg]), np.vstack([Y, np.zeros((N, 2))]), lapack_driver="gelsd")[0]
    ref_mse = float(np.sum((X @ ref - Y) ** 2))
    # the fitted drift on the training points is what the fit needs: 1e-6 of its RMS with float64 G;
    # the float32 Gram reaches it after CG steps on the exact residual (1e-4: stated, measured ~1e-5)
    tol = 1e-6 if not float32 else 1e-4
    fit_diff = np.sqrt(np.mean((X @ (beta - ref)) ** 2) / np.mean((X @ ref) ** 2))
    assert fit_diff < tol, fit_diff
    assert abs(mse - ref_mse) < 1e-3 * ref_mse + 1e-12


def test_streamed_fit_equals_the_stored_fit_at_moderate_N():
    kw = dict(key=KEY, progress=False)
    ref_net, ref = ddm.fit(VDP, 512, **kw)
    net, rep = ddm.fit(VDP, 512, solver=ddm.ClosedForm(streaming=True), **kw)
    # the same float64 problem summed in another order: weights to 1e-5 of their largest (the
    # normal equations' condition ~1e12 amplifies the rounding), eps_f to 0.1%
    W0 = np.asarray(ref_net.W, np.float64)
    assert np.abs(np.asarray(net.W, np.float64) - W0).max() < 1e-5 * np.abs(W0).max()
    assert abs(float(rep.eps_f) - float(ref.eps_f)) < 1e-3 * float(ref.eps_f)
    assert abs(float(rep.loss[0]) - float(ref.loss[0])) < 1e-3 * float(ref.loss[0])
    assert rep.attrs["solver"] == "ClosedForm(ridge=1e-09, streaming=True)"
    dev_net, dev = ddm.fit(VDP, 512, solver=ddm.ClosedForm(streaming=True, device=True), **kw)
    assert np.abs(np.asarray(dev_net.W, np.float64) - W0).max() < 1e-5 * np.abs(W0).max()
    assert abs(float(dev.eps_f) - float(ref.eps_f)) < 1e-3 * float(ref.eps_f)
    assert ref.attrs["solver"] == "ClosedForm(ridge=1e-09)"  # the default's report is unchanged


def test_streamed_multiplicative_fit_equals_the_stored_fit():
    target = ddm.systems.multiplicative_ou()
    kw = dict(key=KEY, noise="multiplicative", progress=False, n_samples=6000)
    ref_net, ref = ddm.fit(target, 128, **kw)
    net, rep = ddm.fit(target, 128, solver=ddm.ClosedForm(streaming=True), **kw)
    # the diffusion loading from the design Gram's rate block and streamed cross products: the
    # same loading g_net(z) (1e-4 of its largest value) and eps_D (1%; it is ~1e-3 itself)
    Z = jnp.linspace(-2.0, 2.0, 64)[:, None]
    g0, g1 = np.asarray(ref_net.noise_loading(Z)), np.asarray(net.noise_loading(Z))
    assert np.abs(g1 - g0).max() < 1e-4 * np.abs(g0).max()
    assert abs(float(rep.eps_D) - float(ref.eps_D)) < 1e-2 * float(ref.eps_D)
    assert abs(float(rep.eps_f) - float(ref.eps_f)) < 1e-3 * float(ref.eps_f)
    assert abs(float(rep.loss[0]) - float(ref.loss[0])) < 1e-3 * float(ref.loss[0])


def test_streaming_is_opt_in_below_the_threshold_and_refuses_private_noise():
    assert not ddm.ClosedForm().streams(4096, 0.0) and ddm.ClosedForm().streams(4097, 0.0)
    assert not ddm.ClosedForm().streams(16384, 0.1)  # private noise keeps the stored rates
    with pytest.raises(ValueError, match=r"private_noise=0.1"):
        ddm.fit(VDP, 64, key=KEY, solver=ddm.ClosedForm(streaming=True), private_noise=0.1, progress=False)
    data = _data(32, 100, store=False)
    with pytest.raises(ValueError, match="optax routes"):
        data.as_batch()


@pytest.mark.parametrize("kwargs,message", [
    (dict(streaming="yes"), r"`streaming` must be None, True or False, got 'yes'"),
    (dict(precision="float16"), r"`precision`"),
    (dict(refine=-1), r"`refine` must be >= 0, got -1"),
    (dict(refine=1.5), r"`refine` must be an integer"),
    (dict(device=1), r"`device` must be None, True or False, got 1"),
])
def test_closed_form_options_are_checked(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ddm.ClosedForm(**kwargs)


def _largest_array(jaxpr) -> int:
    """The most elements of any value in a jaxpr, its sub-jaxprs (scan, cond, pjit bodies) included."""
    best = max([int(np.prod(v.aval.shape)) for v in jaxpr.invars + jaxpr.constvars + jaxpr.outvars
                if hasattr(v.aval, "shape")] + [0])
    for eqn in jaxpr.eqns:
        for v in eqn.outvars:
            best = max(best, int(np.prod(v.aval.shape)) if hasattr(v.aval, "shape") else 0)
        for p in eqn.params.values():
            for sub in (p if isinstance(p, (list, tuple)) else [p]):
                inner = getattr(sub, "jaxpr", sub)
                if hasattr(inner, "eqns"):
                    best = max(best, _largest_array(inner))
    return best


@pytest.mark.parametrize("private,record_neurons", [(False, False), (True, True)])
def test_low_rank_simulation_never_forms_an_n_by_n_array(private, record_neurons):
    N, trials = 4096, 4
    rng = np.random.default_rng(0)
    M, x0 = make_embedding(KEY, N, 2, offset_scale=2.5)
    f32 = lambda a: jnp.asarray(a, jnp.float32)  # noqa: E731
    net = Network(M=f32(M), x0=f32(x0), W=f32(rng.standard_normal((N, 2)) / N), J_full=None, b=f32(x0),
                      B=jnp.zeros((N, 0)), gamma0=0.1 * jnp.eye(2), Gamma=None, private_noise=f32(0.1 if private else 0.0),
                      centre=jnp.zeros(2), scale=jnp.ones(2), region_low=-jnp.ones(2), region_high=jnp.ones(2))
    full = net.replace(W=None, J_full=net.M @ net.W.T, connectivity="full")

    def largest(system):
        plan = _plan(system, trials, 20, 5, False, record_neurons, N)[0]
        x = system.initial_state(jnp.zeros((trials, 2)))
        args = (system, x, KEY, 1, jnp.zeros((0,)), jnp.zeros((1, 1, 0)), jnp.float32(0.01))
        return _largest_array(jax.make_jaxpr(partial(_segment, plan=plan))(*args).jaxpr)

    # the records (20 x trials x N with record_neurons) are the largest arrays; J alone is N^2
    assert largest(net) <= 20 * trials * N < N * N // 16
    assert largest(full) >= N * N  # the check sees J when it is there
