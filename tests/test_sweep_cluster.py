"""ddm.run_grid: whole experiments (fit + simulate + analysis) over a grid on a Dask LocalCluster
of 2 worker processes, against the same points run one after another in this process."""

import functools
import os
import signal

import jax
import numpy as np
import pytest
import xarray as xr

import ddm_explore as ddm
from ddm_explore.experiments import _grid_run

GRID = dict(mu=[0.5, 1.5], seed=[0, 1])


def experiment(mu, seed):
    """A small real experiment: fit Van der Pol, simulate the network, measure its amplitude."""
    net, report = ddm.fit(ddm.systems.van_der_pol(mu=mu), 32, key=jax.random.key(seed), progress=False)
    ds = ddm.simulate(net, t_max=4.0, dt=0.02, n_trials=3, key=jax.random.key(100 + seed), z0=np.array([0.5, 0.0]))
    return xr.Dataset(dict(eps_f=report.eps_f, amplitude=np.abs(ds.z.sel(latent=0)).max("time"),
                           final=ds.z.isel(time=-1)))


def dies_once(mu, seed, *, marker):
    """The experiment, but the first attempt at (mu=1.5, seed=1) kills its own worker process."""
    if mu == 1.5 and seed == 1 and not os.path.exists(marker):
        open(marker, "w").close()
        os.kill(os.getpid(), signal.SIGKILL)
    return experiment(mu, seed)


def raises_for_negative_mu(mu, seed):
    return experiment(mu, seed)  # van_der_pol(mu < 0) raises "`mu` must be > 0, got -1.0"


@pytest.fixture(scope="module")
def serial():
    return ddm.run_grid(experiment, GRID, client="serial", progress=False)


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as c:
            yield c


def test_serial_run_has_the_grid_layout(serial):
    assert serial.eps_f.dims == ("mu", "seed") and serial.amplitude.dims == ("mu", "seed", "trial")
    assert serial.final.dims == ("mu", "seed", "trial", "latent")
    assert not serial.failed.any() and serial.attrs["n_failed"] == 0
    # each point is ddm.fit's own result (the serial runner adds nothing)
    _, rep = ddm.fit(ddm.systems.van_der_pol(mu=1.5), 32, key=jax.random.key(1), progress=False)
    assert float(serial.eps_f.sel(mu=1.5, seed=1)) == float(rep.eps_f)


@pytest.mark.slow
def test_cluster_equals_serial_bitwise(client, serial):
    ds = ddm.run_grid(experiment, GRID, client=client, progress=False)
    for name in ("eps_f", "amplitude", "final"):
        np.testing.assert_array_equal(ds[name].values, serial[name].values)
    assert ds.attrs["executor"].startswith("dask")


@pytest.mark.slow
def test_a_killed_worker_costs_only_its_point(client, serial, tmp_path):
    marker = str(tmp_path / "killed-once")
    ds = ddm.run_grid(functools.partial(dies_once, marker=marker), GRID, client=client, retries=2, progress=False)
    assert os.path.exists(marker)  # the worker really died at that point
    assert not ds.failed.any()
    for name in ("eps_f", "amplitude", "final"):
        np.testing.assert_array_equal(ds[name].values, serial[name].values)


@pytest.mark.slow
def test_a_raising_point_is_recorded_and_the_rest_complete(client, serial):
    ds = ddm.run_grid(raises_for_negative_mu, dict(mu=[-1.0, 1.5], seed=[0, 1]), client=client, progress=False)
    assert ds.failed.sel(mu=-1.0).all() and not ds.failed.sel(mu=1.5).any() and ds.attrs["n_failed"] == 2
    assert "ValueError: `mu` must be > 0, got -1.0" in str(ds.error.sel(mu=-1.0, seed=0).values)
    assert str(ds.error.sel(mu=1.5, seed=0).values) == ""
    assert np.isnan(ds.eps_f.sel(mu=-1.0)).all()
    np.testing.assert_array_equal(ds.eps_f.sel(mu=1.5).values, serial.eps_f.sel(mu=1.5).values)


def test_without_dask_it_runs_serially_with_a_warning(monkeypatch):
    monkeypatch.setattr(_grid_run, "has_dask", lambda: False)
    with pytest.warns(ddm.experiments.SerialFallbackWarning, match=r"ddm_explore\[cluster\]"):
        ds = ddm.run_grid(lambda a: dict(twice=np.float64(2 * a)), dict(a=[1.0, 2.0]), progress=False)
    np.testing.assert_array_equal(ds.twice.values, [2.0, 4.0])
    assert ds.attrs["executor"] == "serial"


def test_dict_outputs_and_failures_in_serial_runs():
    def point(a, b):
        if a == 2:
            raise RuntimeError(f"no result at a={a}")
        return dict(s=a + b, v=np.array([a, b, a * b]), n=np.int64(a))

    ds = ddm.run_grid(point, dict(a=[1, 2], b=[10, 20]), client="serial", progress=False)
    assert ds.v.dims == ("a", "b", "v_dim_0")
    np.testing.assert_array_equal(ds.v.sel(a=1, b=20).values, [1, 20, 20])
    assert ds.failed.sel(a=2).all() and "RuntimeError: no result at a=2" in str(ds.error.sel(a=2, b=10).values)
    assert np.isnan(ds.n.sel(a=2)).all() and float(ds.n.sel(a=1, b=10)) == 1.0  # ints become floats to hold NaN


def test_bad_inputs_name_the_argument():
    ok = lambda a: dict(x=np.float64(a))  # noqa: E731
    with pytest.raises(ValueError, match="`experiment`"):
        ddm.run_grid(3, dict(a=[1.0]))
    with pytest.raises(ValueError, match="`grid`"):
        ddm.run_grid(ok, {})
    with pytest.raises(ValueError, match="`grid`"):
        ddm.run_grid(ok, [1.0, 2.0])
    with pytest.raises(ValueError, match=r"`grid\['a'\]` must be a non-empty 1-D"):
        ddm.run_grid(ok, dict(a=[]))
    with pytest.raises(ValueError, match=r"`grid\['a'\]` must be a non-empty 1-D"):
        ddm.run_grid(ok, dict(a=3.0))
    with pytest.raises(ValueError, match="`grid` keys must be names"):
        ddm.run_grid(ok, {"not a name": [1.0]})
    for bad in (-1, 1.5, True, "2"):
        with pytest.raises(ValueError, match="`retries` must be an integer >= 0"):
            ddm.run_grid(ok, dict(a=[1.0]), retries=bad, client="serial")
    with pytest.raises(ValueError, match="`client`"):
        ddm.run_grid(ok, dict(a=[1.0]), client=3, progress=False)
    with pytest.raises(ValueError, match="`client`"):
        ddm.run_grid(ok, dict(a=[1.0]), client="local", progress=False)
    with pytest.raises(ValueError, match="`n_workers`"):
        ddm.run_grid(ok, dict(a=[1.0]), n_workers=0)
    with pytest.raises(ValueError, match="same variables and shapes"):
        ddm.run_grid(lambda a: dict(x=np.zeros(int(a))), dict(a=[1, 2]), client="serial", progress=False)
    ds = ddm.run_grid(lambda a: "text", dict(a=[1]), client="serial", progress=False)
    assert ds.failed.all() and "xarray.Dataset or a non-empty dict" in str(ds.error.values[0])
