"""The noise of the Euler–Maruyama kernel: mean, variance, independence (fixed keys, stated margins)."""

import jax
import jax.numpy as jnp
import numpy as np

import ddm_explore as ddm


def _moments_ok(x, n_sigma=5.0):
    """Sample mean 0 and variance 1 within n_sigma standard errors (var of s^2 is 2/n for normals)."""
    n = x.size
    assert abs(x.mean()) < n_sigma / np.sqrt(n), x.mean()
    assert abs(x.var() - 1.0) < n_sigma * np.sqrt(2.0 / n), x.var()


def _leaky_net(N, *, private, gamma):
    """A network with J = 0: drift -x + b, so the noise of each step can be read off exactly."""
    rng = np.random.default_rng(0)
    M, x0 = ddm.network.make_embedding(jax.random.key(0), N, 2)
    f32 = lambda a: jnp.asarray(a, jnp.float32)  # noqa: E731
    return ddm.Network(M=f32(M), x0=f32(x0), W=f32(np.zeros((N, 2))), J_full=None, b=f32(rng.normal(size=N)),
                       B=f32(np.zeros((N, 0))), gamma0=f32(gamma * np.eye(2)), Gamma=None,
                       private_noise=f32(private), centre=f32(np.zeros(2)), scale=f32(np.ones(2)),
                       region_low=f32(-np.ones(2)), region_high=f32(np.ones(2)))


def test_private_noise_of_the_kernel_has_the_stated_mean_variance_and_independence():
    N, T, dt, s = 64, 512, 0.01, 0.3
    net = _leaky_net(N, private=s, gamma=0.0)
    kw = dict(t_max=2 * dt, dt=dt, n_trials=T, z0=np.zeros(2), record_every=1, record_neurons=True, progress=False)
    x = ddm.simulate(net, key=jax.random.key(3), **kw).x.values.astype(np.float64)  # (T, 3, N)
    xd = ddm.simulate(net, key=jax.random.key(3), deterministic=True, **kw).x.values.astype(np.float64)
    e1 = x[:, 1] - xd[:, 1]                      # s sqrt(dt) xi_1
    e2 = x[:, 2] - xd[:, 2] - (1 - dt) * e1      # s sqrt(dt) xi_2 (linear drift)
    xi1, xi2 = e1 / (s * np.sqrt(dt)), e2 / (s * np.sqrt(dt))
    # margins: 5 standard errors; the float32 state rounds xi at ~1e-4, far below them
    _moments_ok(xi1)
    _moments_ok(xi2)
    n = xi1.size
    assert abs(np.corrcoef(xi1.ravel(), xi2.ravel())[0, 1]) < 5 / np.sqrt(n)          # across steps
    assert abs(np.corrcoef(xi1[:, :-1].ravel(), xi1[:, 1:].ravel())[0, 1]) < 5 / np.sqrt(n)  # across neurons
    assert abs(np.corrcoef(xi1[:-1].ravel(), xi1[1:].ravel())[0, 1]) < 5 / np.sqrt(n)        # across trials


def test_latent_noise_of_the_kernel_lives_in_span_M_with_variance_gamma_squared_dt():
    N, T, dt, g = 64, 4096, 0.01, 0.5
    net = _leaky_net(N, private=0.0, gamma=g)
    kw = dict(t_max=dt, dt=dt, n_trials=T, z0=np.zeros(2), record_every=1, record_neurons=True, progress=False)
    e = (ddm.simulate(net, key=jax.random.key(4), **kw).x.values[:, 1]
         - ddm.simulate(net, key=jax.random.key(4), deterministic=True, **kw).x.values[:, 1]).astype(np.float64)
    M = np.asarray(net.M, np.float64)
    w = e @ M / N / (g * np.sqrt(dt))  # latent increments, standard normal
    off = e - w @ M.T * g * np.sqrt(dt)
    assert np.max(np.abs(off)) < 1e-5  # nothing off the manifold (float32 rounding only)
    for c in range(2):
        _moments_ok(w[:, c])
    assert abs(np.corrcoef(w[:, 0], w[:, 1])[0, 1]) < 5 / np.sqrt(T)


def test_private_noise_of_paired_steps_is_independent_across_the_pair():
    # record_every = 2: the two steps of a pair take the two output words of one Threefry call
    N, T, dt, s = 64, 512, 0.01, 0.3
    net = _leaky_net(N, private=s, gamma=0.0)
    kw = dict(t_max=4 * dt, dt=dt, n_trials=T, z0=np.zeros(2), record_every=2, record_neurons=True, progress=False)
    ds = ddm.simulate(net, key=jax.random.key(5), **kw)
    det = ddm.simulate(net, key=jax.random.key(5), deterministic=True, **kw)
    # every second state is recorded; with J = 0 the noise of two steps adds up linearly:
    # e_2 = s sqrt(dt) ((1 - dt) xi_1 + xi_2), and likewise for steps 3-4
    e = (ds.x.values - det.x.values).astype(np.float64) / (s * np.sqrt(dt))  # (T, 3, N)
    sd = np.sqrt((1 - dt) ** 2 + 1)
    a = e[:, 1] / sd                                   # pair 0, standardised
    b = (e[:, 2] - (1 - dt) ** 2 * e[:, 1]) / sd       # pair 1, standardised
    _moments_ok(a)
    _moments_ok(b)
    n = a.size
    assert abs(np.corrcoef(a.ravel(), b.ravel())[0, 1]) < 5 / np.sqrt(n)


def test_counter_normals_match_the_normal_distribution():
    from scipy import stats

    from ddm_explore.simulation._noise import counter_normal_pair, counter_normals, key_words

    k0, k1 = key_words(jax.random.key(11))
    za, zb = (np.asarray(z, np.float64).ravel() for z in counter_normal_pair(k0, k1, jnp.uint32(7), (256, 512)))
    zc = np.asarray(counter_normals(k0, k1, jnp.uint32(7), (255, 512)), np.float64).ravel()  # odd row count
    for z in (za, zb, zc):
        _moments_ok(z)
        assert stats.kstest(z, "norm").pvalue > 1e-3  # fixed key: a deterministic check at the 0.1% level
        # tails: P(|z| > 3) = 0.0027, within 5 binomial standard errors
        p = np.mean(np.abs(z) > 3.0)
        assert abs(p - 0.0027) < 5 * np.sqrt(0.0027 * (1 - 0.0027) / z.size)
        assert np.all(np.isfinite(z)) and np.abs(z).max() < 5.5
    n = za.size
    assert abs(np.corrcoef(za, zb)[0, 1]) < 5 / np.sqrt(n)  # the two words of one counter
    # Box-Muller's pair shares one radius: independence shows in the squares too
    assert abs(np.corrcoef(za**2, zb**2)[0, 1]) < 5 / np.sqrt(n)
    # another step's counters give other numbers
    zd = np.asarray(counter_normal_pair(k0, k1, jnp.uint32(8), (256, 512))[0], np.float64).ravel()
    assert abs(np.corrcoef(za, zd)[0, 1]) < 5 / np.sqrt(n)


def test_threefry_matches_jax():
    from jax.extend.random import threefry_2x32

    from ddm_explore.simulation._noise import threefry2x32

    rng = np.random.default_rng(1)
    k = rng.integers(0, 2**32, size=2, dtype=np.uint32)
    x = rng.integers(0, 2**32, size=2000, dtype=np.uint32)
    a, b = threefry2x32(jnp.uint32(k[0]), jnp.uint32(k[1]), jnp.asarray(x[:1000]), jnp.asarray(x[1000:]))
    np.testing.assert_array_equal(np.concatenate([a, b]), np.asarray(threefry_2x32(k, x)))


def test_box_muller_parts_are_float32_accurate_on_every_input():
    # all 2^23 values the top 23 bits of a word can take, against float64 numpy
    from ddm_explore.simulation._noise import _cos_sin, _radius

    k = np.arange(2**23, dtype=np.uint32)
    w = (k << np.uint32(9)) | np.uint32(0x1FF)  # the 9 low bits are ignored
    u = (k + 0.5) * 2.0**-23
    r_ref = np.sqrt(-2.0 * np.log(u))
    r = np.asarray(jax.jit(_radius)(w), np.float64)
    assert np.max(np.abs(r - r_ref) / r_ref) < 4e-7  # float32 epsilon is 1.2e-7
    theta = (k >> 21) * (np.pi / 2) + ((k & 0x1FFFFF) + 0.5) * (np.pi / 2 * 2.0**-21) - np.pi / 4
    c, s = (np.asarray(a, np.float64) for a in jax.jit(_cos_sin)(w))
    assert np.max(np.abs(c - np.cos(theta))) < 3e-7 and np.max(np.abs(s - np.sin(theta))) < 3e-7
    # the angles cover the circle uniformly: every 1/64 turn holds the same number of them
    counts = np.histogram(np.arctan2(s, c) % (2 * np.pi), bins=64, range=(0, 2 * np.pi))[0]
    assert counts.min() == counts.max() == 2**23 // 64


def test_private_noise_does_not_depend_on_segmentation_or_block_size(monkeypatch):
    # the pair counters are global step indices and a segment restarts the carried normals from them
    from ddm_explore.simulation import _simulate

    kw = dict(t_max=0.6, dt=0.01, n_trials=5, z0=np.zeros(2), record_every=6, record_neurons=True, progress=False)
    for gamma, attr, value in ((0.2, "_SEGMENT_BUDGET", 5 * (2 + 16) * 3),  # 3 records a segment
                               (0.0, "_DRAW_BUDGET", 5 * 2 * 2)):  # private noise only: 2-step blocks
        net = _leaky_net(16, private=0.3, gamma=gamma)
        one = ddm.simulate(net, key=jax.random.key(6), **kw)
        with monkeypatch.context() as m:
            m.setattr(_simulate, attr, value)
            many = ddm.simulate(net, key=jax.random.key(6), **kw)
        np.testing.assert_array_equal(many.x.values, one.x.values)


def test_private_noise_does_not_depend_on_record_every():
    # odd record_every runs in chunks of two records, so every record_every pairs the private noise
    net = _leaky_net(16, private=0.3, gamma=0.0)
    kw = dict(t_max=0.33, dt=0.01, n_trials=3, z0=np.zeros(2), record_neurons=True, key=jax.random.key(7), progress=False)
    every = ddm.simulate(net, record_every=1, **kw).x.values  # 33 steps: an odd number of records
    for k in (2, 3, 11):
        np.testing.assert_array_equal(ddm.simulate(net, record_every=k, **kw).x.values, every[:, ::k])


def test_odd_record_every_runs_as_many_segments_as_it_needs(monkeypatch):
    # one record a segment rounds up to two (a chunk): 3 records take 2 segments, not 3
    from ddm_explore.simulation import _simulate

    net = _leaky_net(16, private=0.3, gamma=0.0)
    kw = dict(t_max=0.03, dt=0.01, n_trials=2, z0=np.zeros(2), record_every=1, record_neurons=True,
              key=jax.random.key(1), progress=False)
    one = ddm.simulate(net, **kw).x.values
    monkeypatch.setattr(_simulate, "_SEGMENT_BUDGET", 2 * (2 + 16))
    calls = []
    segment = _simulate._segment
    monkeypatch.setattr(_simulate, "_segment", lambda *a, **k: calls.append(a[3]) or segment(*a, **k))
    np.testing.assert_array_equal(ddm.simulate(net, **kw).x.values, one)
    assert calls == [1, 2]  # first chunk of each segment
