"""D_stsp in any dimension: Gaussian mixtures on the states (method="gmm") next to the bins."""

import warnings

import jax
import numpy as np
import pytest
import xarray as xr

import ddm_explore as ddm
from ddm_explore.analysis import state_space_divergence as D


def _traj(x):
    return xr.DataArray(np.asarray(x, np.float64), dims=("trial", "time", "latent"))


def _gaussian_kl(m0, v0, m1, v1):
    """KL(N(m0, v0 I) || N(m1, v1 I)) in closed form (m0, m1 vectors, v0, v1 scalars)."""
    d = len(m0)
    return 0.5 * (d * v0 / v1 + np.sum((m1 - m0) ** 2) / v1 - d + d * np.log(v1 / v0))


def test_bins_unchanged_for_d_up_to_3():
    """Values of the binned D_stsp as computed before the mixture method existed (same seed)."""
    rng = np.random.default_rng(3)
    a = _traj(rng.normal(size=(2, 3000, 3)))
    b = _traj(rng.normal(size=(2, 3000, 3)) * 1.2 + 0.3)
    c = _traj(rng.normal(size=(1, 5000, 2)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ddm.SampleSizeWarning)
        assert D(a, b) == 0.08984147216558226 and D(a, b).attrs["method"] == "bins"
        assert D(a, b, 12, smoothing=0.5) == 0.22598832430757393
        assert D(c, 2 * c, 20) == 0.5770103549502478 == D(c, 2 * c, 20, method="bins")


@pytest.mark.parametrize("d", [2, 3])
def test_both_methods_order_shifted_and_scaled_sets_alike(d):
    """Fixed seed, 2 x 5000 standard normal states per set: identical sets give 0 with both methods,
    and both order floor < shift 0.5 < shift 1 and floor < scale 1.5."""
    rng = np.random.default_rng(d)
    a, b = _traj(rng.normal(size=(2, 5000, d))), _traj(rng.normal(size=(2, 5000, d)))
    for method in ("bins", "gmm"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ddm.SampleSizeWarning)
            assert D(a, a, method=method) == pytest.approx(0.0, abs=1e-12)
            floor, half, one, wide = (D(a, x, method=method) for x in (b, b + 0.5, b + 1.0, 1.5 * b))
        assert floor < half < one and floor < wide, (method, floor, half, one, wide)


@pytest.mark.parametrize("d", [4, 6])
def test_mixture_divergence_of_gaussians_against_the_closed_form(d):
    """Fixed seed, 2 x 5000 states of N(0, I) against N(mu, s^2 I). In the limit of many states the
    mixtures are the Gaussians smoothed by the kernel (variance + width^2 per dimension; a's
    standard deviation is 1), whose KL has a closed form. Measured (d = 4 / d = 6): floor (two
    samples of N(0, I)) 0.018 / 0.047; shift 1: 1.26 against 1.17 / 1.73 against 1.50; scale 1.5:
    0.28 against 0.25 / 0.32 against 0.30; shift 0.5 and scale 0.7: 0.56 against 0.56 / 0.77
    against 0.65. Margin: from 10% below to 20% above the closed form, plus 2 floors either way
    (the KL of two finite mixtures is biased upwards)."""
    rng = np.random.default_rng(d)
    a, b = _traj(rng.normal(size=(2, 5000, d))), _traj(rng.normal(size=(2, 5000, d)))
    floor = D(a, b)
    assert floor.attrs["method"] == "gmm" and floor.attrs["n_centres"] == 1000
    h = floor.attrs["width"]
    assert h == pytest.approx(2.0 * 1000 ** (-1.0 / (d + 4)))
    assert 0 < floor < 0.1
    zero = np.zeros(d)
    for mu, s in ((1.0, 1.0), (0.0, 1.5), (0.5, 0.7)):
        est = D(a, _traj(s * b.values + mu))
        ref = _gaussian_kl(zero, 1.0 + h**2, np.full(d, mu), s**2 + h**2)
        assert 0.9 * ref - 2 * floor <= est <= 1.2 * ref + 2 * floor, (mu, s, est, ref, floor)


def test_mixture_settings_and_bad_inputs():
    rng = np.random.default_rng(1)
    a, b = _traj(rng.normal(size=(1, 3000, 5))), _traj(rng.normal(size=(1, 3000, 5)))
    wide = D(a, b + 0.5, width=1.0, n_centres=500)
    assert wide.attrs["width"] == 1.0 and wide.attrs["n_centres"] == 500 and wide.attrs["dim"] == 5
    # a wider kernel smooths more: the shifted sets look closer
    assert D(a, b + 0.5, width=2.0, n_centres=500) < wide
    with pytest.warns(ddm.SampleSizeWarning, match=r"fewer than n_centres=5000"):
        D(a, b, n_centres=5000)
    with pytest.raises(ValueError, match=r"`method` must be one of 'bins', 'gmm'; got 'kde'"):
        D(a, b, method="kde")
    with pytest.raises(ValueError, match=r"`width` must be > 0, got -1.0"):
        D(a, b, width=-1.0)
    with pytest.raises(ValueError, match=r"`n_centres` must be >= 2, got 1"):
        D(a, b, n_centres=1)
    with pytest.raises(ValueError, match=r"d=5: use method='gmm'"):
        D(a, b, method="bins")


def test_embedding_report_has_d_stsp_in_four_dimensions():
    """A 4-D rotational OU process (N = 128): D_stsp now comes from the mixtures (it was NaN for
    d > 3). Fixed keys. Measured: network 0.0315 against the floor 0.0316 (bar: 3 x floor, one pair)."""
    ou = ddm.systems.ornstein_uhlenbeck(w=1.0, s=0.5, dim=4)
    net, _ = ddm.fit(ou, 128, key=jax.random.key(0), progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ddm.SampleSizeWarning)
        rep = ddm.experiments.embedding_report(net, ou, key=jax.random.key(1), t_max=200.0, t_transient=10.0,
                                               n_trials=4, lyapunov=False, n_seeds=16)
    floor, model = (float(rep.D_stsp.sel(comparison=c)) for c in ("floor", "network"))
    assert np.isfinite(floor) and 0 < floor and model <= 3 * floor, (model, floor)
