"""Higher-dimensional latents: Lorenz-96 as a built-in target and the embedding's row options."""

import jax
import numpy as np
import pytest

import ddm_explore as ddm

S = ddm.systems
KEY = jax.random.key(0)


def _lorenz96_numpy(z, F):
    """dz_i/ds = (z_{i+1} - z_{i-2}) z_{i-1} - z_i + F, written with explicit modular indices."""
    d = len(z)
    return np.array([(z[(i + 1) % d] - z[(i - 2) % d]) * z[(i - 1) % d] - z[i] + F for i in range(d)])


@pytest.mark.parametrize("d", [4, 10, 20])
def test_lorenz96_drift_matches_the_formula(d):
    rng = np.random.default_rng(d)
    Z = rng.normal(2.0, 4.0, size=(16, d))
    for T, F in ((1.0, 8.0), (6.0, 5.5)):
        sde = S.lorenz96(dim=d, F=F, time_scale=T)
        got = np.asarray(sde.latent_drift(Z.astype(np.float32)), np.float64)
        want = np.stack([_lorenz96_numpy(z, F) for z in Z]) / T
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-4)  # float32 kernel
    assert sde.time_scale == 6.0 and sde.dim == d and sde.params["F"] == 5.5


def test_lorenz96_noise_is_rescaled_by_the_time_scale():
    sde = S.lorenz96(dim=6, noise=0.5, time_scale=4.0)
    g = np.asarray(sde.noise_loading(np.zeros((1, 6), np.float32)))[0]
    np.testing.assert_allclose(g, 0.5 / np.sqrt(4.0) * np.eye(6), rtol=1e-6)


@pytest.mark.parametrize("kwargs, match", [
    (dict(dim=3), "`dim` must be >= 4, got 3"),
    (dict(dim=10.0), "`dim` must be an integer, got 10.0"),
    (dict(dim=True), "`dim` must be an integer"),
    (dict(F=0.0), "`F` must be > 0, got 0.0"),
    (dict(F=float("nan")), "`F` must be finite"),
    (dict(time_scale=-1.0), "`time_scale` must be > 0, got -1.0"),
    (dict(noise=-0.1), "`noise` must be >= 0, got -0.1"),
])
def test_lorenz96_bad_inputs(kwargs, match):
    with pytest.raises(ValueError, match=match.replace("(", r"\(").replace(")", r"\)")):
        S.lorenz96(**kwargs)


def test_lorenz96_exponent_d40_matches_the_published_value():
    """Lorenz & Emanuel (1998): lambda_max ~ 1.7 per original time unit at F = 8, d = 40. RK4 at
    dt = 0.01 original units, 4 trials x 200 units; measured 1.680 with standard error 0.011 over
    the trials: the band of 0.1 (6% of the value) covers the published value's rounding."""
    res = ddm.analysis.lyapunov_exponent(S.lorenz96(dim=40, time_scale=1.0), key=KEY, t_max=200.0, t_transient=20.0,
                                         dt=0.01, n_trials=4)
    assert abs(float(res.exponent_original) - 1.7) <= 0.1, float(res.exponent_original)


@pytest.mark.parametrize("d", [10, 20])
def test_lorenz96_exponent_matches_the_scipy_reference(d):
    """Against LORENZ96_EXPONENT (scipy DOP853 on the flow and its tangent, independent of this
    package: 1.177 and 1.542, standard errors ~0.03). The package's RK4 tangent method at the
    default T = 6, dt = 0.06 tau (0.01 original units), 4 trials x 200 original units: measured
    1.160 (d = 10, -1.5%) and 1.532 (d = 20, -0.6%); margin 6% (about 3 combined standard errors)."""
    sde = S.lorenz96(dim=d)
    res = ddm.analysis.lyapunov_exponent(sde, key=KEY, t_max=1200.0, t_transient=120.0, dt=0.06, n_trials=4)
    ref = S.LORENZ96_EXPONENT[d]
    assert abs(float(res.exponent_original) - ref) <= 0.06 * ref, (float(res.exponent_original), ref)


# the row options -----------------------------------------------------------------------------

@pytest.mark.parametrize("k, pattern, N, d", [(1, "random", 100, 10), (2, "random", 256, 10), (3, "random", 256, 10),
                                              (3, "cyclic", 250, 10), (5, "random", 333, 20), (4, "cyclic", 64, 6)])
def test_sparse_rows_are_orthogonal_and_see_k_coordinates(k, pattern, N, d):
    rows = ddm.SparseRows(k=k, pattern=pattern)
    M, x0 = rows.draw(KEY, N, d, offset_scale=2.5)
    np.testing.assert_allclose(M.T @ M / N, np.eye(d), atol=1e-12)
    np.testing.assert_allclose(M.T @ x0, 0.0, atol=1e-9)
    g = rows.group_size
    supports = ddm.network.row_supports(M)
    sizes = np.array([len(s) for s in supports])
    n_left = N % g  # leftovers see one coordinate each
    assert np.sum(sizes == k) == N - n_left and np.sum(sizes == 1) == (N - n_left if k == 1 else n_left)
    if pattern == "cyclic":  # a run of k neighbours on the ring of coordinates
        for s in supports:
            if len(s) == k:
                assert any(set(s.tolist()) == {(a + j) % d for j in range(k)} for a in range(d)), s
    # every coordinate is seen, by N k / d neurons on average (the support starts are cycled)
    per_coordinate = np.count_nonzero(M, axis=0)
    assert per_coordinate.min() >= 0.25 * N * k / d, per_coordinate


def test_sparse_rows_draw_is_deterministic_and_depends_on_the_key():
    a = ddm.SparseRows(k=3).draw(KEY, 128, 10, offset_scale=1.0)
    b = ddm.SparseRows(k=3).draw(KEY, 128, 10, offset_scale=1.0)
    c = ddm.SparseRows(k=3).draw(jax.random.key(1), 128, 10, offset_scale=1.0)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]) and not np.array_equal(a[0], c[0])


def test_dense_rows_are_the_default_bit_for_bit():
    M, x0 = ddm.network.make_embedding(KEY, 200, 5, offset_scale=2.5)
    M2, x02 = ddm.DenseRows().draw(KEY, 200, 5, offset_scale=2.5)
    assert np.array_equal(M, M2) and np.array_equal(x0, x02)
    assert ddm.Embedding().rows == ddm.DenseRows()
    sde = S.van_der_pol()
    net_a, rep_a = ddm.fit(sde, 64, key=KEY)
    net_b, rep_b = ddm.fit(sde, 64, key=KEY, embedding=ddm.Embedding(rows=ddm.DenseRows()))
    assert np.array_equal(np.asarray(net_a.W), np.asarray(net_b.W)) and float(rep_a.eps_f) == float(rep_b.eps_f)
    assert "rows" not in rep_a.attrs


@pytest.mark.parametrize("build, match", [
    (lambda: ddm.SparseRows(k=0), "`k` must be >= 1, got 0"),
    (lambda: ddm.SparseRows(k=2.0), "`k` must be an integer, got 2.0"),
    (lambda: ddm.SparseRows(pattern="ring"), "`pattern` must be one of 'random', 'cyclic'; got 'ring'"),
    (lambda: ddm.Embedding(rows="sparse"), "`rows` must be ddm.DenseRows() or ddm.SparseRows(k=...), got 'sparse'"),
    (lambda: ddm.SparseRows(k=4).draw(KEY, 64, 3, offset_scale=1.0), "`k` of SparseRows must be <= the latent dimension 3, got 4"),
    (lambda: ddm.SparseRows(k=3).draw(KEY, 8, 10, offset_scale=1.0), "`n_neurons` = 8 leaves latent coordinates"),
])
def test_row_option_bad_inputs(build, match):
    with pytest.raises(ValueError, match=match.replace("(", r"\(").replace(")", r"\)")):
        build()


@pytest.fixture(scope="module")
def lorenz96_d10():
    """Lorenz-96 d = 10 on the occupation measure of 4 runs, tested on 2 independent runs."""
    sde = S.lorenz96(dim=10)

    def runs(k, n):
        ds = ddm.simulate(sde, t_max=660.0, dt=0.01, n_trials=n, key=jax.random.key(k), record_every=10, progress=False)
        return ds.z.sel(time=slice(60.0, None))

    return sde, ddm.occupation(runs(1, 4), test=runs(2, 2))


def test_small_gain_and_cyclic_rows_beat_the_default_in_d10(lorenz96_d10):
    """N = 256, two fixed keys. Measured (benchmarks/latent_dim_table.py, 8 x 1200 tau of training
    states, N = 256): the default embedding (dense, latent gain 1.5) 0.27, dense rows at gain 0.2
    0.025 (11x lower), cyclic 3-coordinate rows at gain 0.2 0.0078 (3.2x lower again); the gaps
    widen with N. On this test's shorter runs: 0.31 / 0.029 / 0.0083 (key 0) and 0.31 / 0.027 /
    0.0051 (key 1), ratios 11-12x and 3.5-5.2x. Margins: 4x and 1.5x."""
    sde, sampler = lorenz96_d10
    for seed in (0, 1):
        key = jax.random.key(seed)
        eps = {name: float(ddm.fit(sde, 256, key=key, sampler=sampler, embedding=emb, progress=False)[1].eps_f)
               for name, emb in (("default", ddm.Embedding()), ("dense", ddm.Embedding(latent_gain=0.2)),
                                 ("cyclic", ddm.Embedding(latent_gain=0.2, rows=ddm.SparseRows(k=3, pattern="cyclic"))))}
        assert eps["dense"] * 4 <= eps["default"], eps
        assert eps["cyclic"] * 1.5 <= eps["dense"], eps
