"""Headless tests of the widget panels: set every control in Python, check the figure data."""

import logging

import numpy as np
import pytest

import ddm_explore as ddm
from ddm_explore.panels import SYSTEMS, PanelState, Playground, TrainPanel, TrajectoryPanel, available_systems


def trace_arrays(fig):
    """All numeric trace data of a figure, as one flat float array (NaN gaps dropped)."""
    parts = []
    for t in fig.data:
        for name in ("x", "y", "z"):
            v = getattr(t, name, None)
            if v is not None and len(v):
                a = np.asarray(v, dtype=float).ravel()
                parts.append(a[np.isfinite(a)])
    return np.concatenate(parts) if parts else np.zeros(0)


def changed(before, after):
    return before.shape != after.shape or not np.allclose(before, after)


@pytest.fixture(scope="module")
def state():
    st = PanelState("van_der_pol")
    st.retrain(64)
    return st


@pytest.fixture(scope="module")
def panels(state):
    return Playground(state), TrainPanel(state), TrajectoryPanel(state)


def test_every_playground_slider_changes_the_figure(panels, state):
    pg, _, _ = panels
    state.set_target("van_der_pol")
    assert pg.error is None
    for name, s in pg.sliders.items():
        before = trace_arrays(pg.figure)
        s.value = s.value + 2 * s.step
        after = trace_arrays(pg.figure)
        assert pg.error is None, pg.error
        assert changed(before, after), name
        assert state.target.params[name] == pytest.approx(s.value)
        assert f"'{name}': {s.value}" in pg.result.attrs["system_params"]
    # the drawn drift field is the library's, at the slider values
    expect = ddm.analysis.drift_field(state.target, pg.result.sizes["z0"]).drift
    np.testing.assert_allclose(pg.result.drift.values, expect.values, rtol=1e-6)


def test_playground_drift_arrows_start_on_the_grid_and_point_along_f(panels, state):
    pg, _, _ = panels
    state.set_target("van_der_pol", mu=1.0)
    x, y = (np.asarray(a, float) for a in (pg.figure.data[0].x, pg.figure.data[0].y))
    x0, y0, x1, y1 = x[0::3], y[0::3], x[1::3], y[1::3]
    f = pg.result.drift.values.reshape(-1, 2)
    Z = np.stack(np.meshgrid(pg.result.z0, pg.result.z1, indexing="ij"), -1).reshape(-1, 2)
    np.testing.assert_allclose(np.stack([x0, y0], -1), Z, atol=1e-9)
    d = np.stack([x1 - x0, y1 - y0], -1)
    moving = np.linalg.norm(f, axis=-1) > 1e-6
    cos = np.sum(d[moving] * f[moving], -1) / (np.linalg.norm(d[moving], axis=-1) * np.linalg.norm(f[moving], axis=-1))
    assert np.all(cos > 0.999)


def test_playground_system_and_fixed_point_controls(panels, state):
    pg, _, _ = panels
    # one system per kind of figure (1-D and 2-D here; 3-D in test_three_dimensional_target)
    for name in ("double_well", "ring_wells"):
        before = trace_arrays(pg.figure)
        pg.system.value = name
        assert pg.error is None, (name, pg.error)
        assert state.system == name and set(pg.sliders) == set(SYSTEMS[name]["params"])
        assert pg.result.sizes["latent"] == state.target.dim
        assert changed(before, trace_arrays(pg.figure))
    pg.system.value = "double_well"
    pg.fixed_points.value = True
    assert pg.error is None
    np.testing.assert_allclose(np.sort(pg.result.fixed_point.values[:, 0]), [-1.0, 0.0, 1.0], atol=1e-3)
    # drawn by stability: filled circles the stable states, an open circle the unstable one
    kinds = {t.name.split()[0]: np.sort(np.asarray(t.x, float)) for t in pg.figure.data if t.name.endswith("fixed point")}
    np.testing.assert_allclose(kinds["stable"], [-1.0, 1.0], atol=1e-3)
    np.testing.assert_allclose(kinds["unstable"], [0.0], atol=1e-3)
    assert len(kinds["saddle"]) == 0
    pg.fixed_points.value = False
    assert all(len(t.x) == 0 for t in pg.figure.data if t.name.endswith("fixed point"))


def test_bad_value_shows_in_the_panel_and_keeps_the_last_good_state(panels, state):
    pg, _, _ = panels
    pg.system.value = "van_der_pol"
    before, params = trace_arrays(pg.figure), dict(state.params)
    pg.sliders["mu"].min = -1.0
    pg.sliders["mu"].value = -0.5  # van_der_pol needs mu > 0
    assert "ValueError" in pg.error and "mu" in pg.error and "mu" in pg.message.value
    assert not changed(before, trace_arrays(pg.figure)) and state.params == params
    pg.sliders["mu"].value = 1.5
    assert pg.error is None and pg.message.value == ""
    pg.sliders["mu"].min = 0.2


def test_train_controls_and_retrain_reach_every_panel(panels, state):
    pg, tp, tr = panels
    state.set_target("van_der_pol", mu=1.0, sigma=0.1)
    tp.retrain.click()
    assert tp.error is None and tr.error is None
    seen = {}
    for name, value in (("n_neurons", 128), ("ridge", 1e-4), ("seed", 3), ("noise", "multiplicative")):
        before_fig, before_traj, before_eps = trace_arrays(tp.figure), trace_arrays(tr.figure), tp.eps.value
        getattr(tp, name).value = value
        tp.retrain.click()
        assert tp.error is None, tp.error
        if name != "noise":  # the noise mode changes the diffusion only (constant here): drift and paths stay
            assert changed(before_fig, trace_arrays(tp.figure)), name
            assert changed(before_traj, trace_arrays(tr.figure)), name  # the retrain reached the other panel
        assert tr.result.attrs["n_neurons"] == state.net.n_neurons
        assert tp.eps.value != before_eps, name
        seen[name] = state.report.attrs
    assert seen["n_neurons"]["n_neurons"] == 128 == tr.result.attrs["n_neurons"]
    assert seen["ridge"]["ridge"] == pytest.approx(1e-4)
    assert seen["noise"]["noise"] == "multiplicative"
    assert f"eps_f = {float(state.report.eps_f):.4f}" in tp.eps.value
    # the error map is the library's
    ref = ddm.analysis.drift_error_field(state.net, state.target, tp.result.sizes["z0"])
    np.testing.assert_allclose(np.asarray(tp.figure.data[2].z), ref.error.values.T, rtol=1e-6)
    tp.noise.value, tp.ridge.value, tp.n_neurons.value = "additive", 1e-9, 64


@pytest.mark.slow
def test_train_optax_modes_and_steps(panels, state):
    _, tp, _ = panels
    state.set_target("van_der_pol")
    for conn, steps in (("full", 50), ("symmetric", 100)):
        tp.connectivity.value, tp.steps.value = conn, steps
        tp.retrain.click()
        assert tp.error is None, tp.error
        assert state.net.connectivity == conn and state.report.attrs["steps"] == steps
        assert conn in tp.eps.value
    tp.connectivity.value = "low_rank"
    tp.retrain.click()


def test_trajectory_controls(panels, state):
    _, tp, tr = panels
    state.set_target("van_der_pol")
    tp.retrain.click()
    for w, value in ((tr.seed, 5), (tr.noise, False), (tr.n_shown, 10)):
        before = trace_arrays(tr.figure)
        w.value = value
        assert tr.error is None, tr.error
        assert changed(before, trace_arrays(tr.figure)), w.description
    assert tr.result.rate.shape[1] == 10 and len(tr.figure.data[2].y) == 10
    assert tr.result.attrs["deterministic"] == 1 and tr.result.attrs["seed"] == 5
    # the heatmap shows the network's rates phi(x) of trial 0
    np.testing.assert_allclose(np.asarray(tr.figure.data[2].z), tr.result.rate.values.T)
    tr.noise.value = True


def test_three_dimensional_target(panels, state):
    if "lorenz63" not in available_systems():
        pytest.fail("lorenz63 is missing from ddm.systems")
    pg, tp, tr = panels
    pg.system.value = "lorenz63"
    assert pg.figure.data[0].type == "scatter3d" and pg.error is None
    assert "press Retrain" in tr.error
    tp.n_neurons.value = 64
    tp.retrain.click()
    assert tr.error is None and tr.figure.data[0].type == "scatter3d"
    assert tr.result.z_network.sizes["latent"] == 3
    pg.system.value = "van_der_pol"
    tp.retrain.click()


def test_a_slider_change_compiles_nothing(panels, state, caplog):
    """Same shapes, same objects: no recompilation on slider moves (after the first visit)."""
    import jax

    pg, tp, tr = panels
    state.set_target("van_der_pol", mu=1.0)
    tp.retrain.click()
    tr.seed.value, tp.seed.value = 1, 1
    tp.retrain.click()
    pg.sliders["mu"].value = 1.2
    pg.sliders["mu"].value = 1.0
    with jax.log_compiles(True), caplog.at_level(logging.WARNING):
        caplog.clear()
        tr.seed.value = 2  # new noise and starts
        tp.seed.value = 2
        tp.ridge.value = 1e-6
        tp.retrain.click()  # a new low_rank network of the same size
        pg.sliders["mu"].value = 1.2  # back to a value seen before
    compiles = [r.getMessage() for r in caplog.records if "Compiling" in r.getMessage()]
    assert compiles == []


def test_playground_sliders_follow_parameter_changes_made_elsewhere():
    state = PanelState("ring_wells", c=0.0)
    pg = Playground(state)
    state.set_target(c=0.7)  # e.g. the transitions panel's c slider
    assert pg.sliders["c"].value == 0.7 and pg.error is None
    assert "'c': 0.7" in pg.result.attrs["system_params"]  # the figure was redrawn for the new c
    pg.sliders["D"].value = 0.2  # and the playground still drives the state
    assert state.params["D"] == 0.2 and state.params["c"] == 0.7
