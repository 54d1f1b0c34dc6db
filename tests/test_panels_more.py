"""Headless tests of the transitions and decompositions panels: set every control in Python and
check the figure data against the library."""

import jax
import numpy as np
import pytest

import ddm_explore as ddm
from ddm_explore.panels import DecompositionPanel, PanelState, TransitionPanel
from ddm_explore.panels import _transitions as transitions_module


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


def trace(fig, name):
    return next(t for t in fig.data if t.name == name)


@pytest.fixture(scope="module")
def state():
    st = PanelState("ring_wells", c=0.5, D=0.1, h=0.3)
    st.retrain(64)
    return st


@pytest.fixture(scope="module")
def panels(state):
    return TransitionPanel(state), DecompositionPanel(state)


def centres(state):
    p = state.target.params
    return ddm.systems.ring_centres(K=p["K"], k=p["k"], h=p["h"])


# ---------------------------------------------------------------------------------------------
# transitions
# ---------------------------------------------------------------------------------------------
def test_transition_controls_change_the_figure(panels, state):
    tp, _ = panels
    state.set_target("ring_wells", c=0.5)
    state.retrain(64)
    assert tp.error is None and tp.result.attrs["simulated"] == "network"
    C = centres(state)
    for name, value in (("cue", 1), ("amplitude", 2.0), ("duration", 6.0), ("radius", 0.5), ("seed", 4)):
        w = getattr(tp, name)
        before, z_before = trace_arrays(tp.figure), tp.result.z.values.copy()
        w.value = value
        assert tp.error is None, (name, tp.error)
        assert changed(before, trace_arrays(tp.figure)), name
        a = tp.result.attrs
        assert {"cue": a["cue"], "amplitude": a["cue_amplitude"], "duration": a["cue_duration"], "radius": a["radius"],
                "seed": a["seed"]}[name] == pytest.approx(value)
        # the radius changes the analysis only: the same paths, other circles and labels
        assert (name == "radius") == np.array_equal(z_before, tp.result.z.values), name
    res = tp.result
    # the input is the library's cue: amplitude 2 towards well 1 on [ONSET, ONSET + 6)
    u = res.u.sel(time=transitions_module.ONSET + 3.0, method="nearest").values
    np.testing.assert_allclose(u, np.broadcast_to(2.0 * C[1] / np.linalg.norm(C[1]), u.shape), atol=1e-6)
    assert np.all(res.u.sel(time=transitions_module.ONSET + 6.5, method="nearest").values == 0)
    cue_x = np.asarray(trace(tp.figure, "cue on").x, float)
    np.testing.assert_allclose([cue_x.min(), cue_x.max()], [transitions_module.ONSET, transitions_module.ONSET + 6.0])
    # the drawn labels and counts are the library's on the drawn paths
    ref = ddm.analysis.transitions(res.z, C, 0.5, min_transitions=0)
    np.testing.assert_array_equal(np.asarray(trace(tp.figure, "well").z), ref.labels.values)
    np.testing.assert_array_equal(np.asarray(trace(tp.figure, "counts").z), ref.counts.values)
    x, y = (np.asarray(v, float) for v in (trace(tp.figure, "paths").x, trace(tp.figure, "paths").y))
    np.testing.assert_allclose(x[np.isfinite(x)], res.z.values[..., 0].ravel(), rtol=1e-6)
    np.testing.assert_allclose(y[np.isfinite(y)], res.z.values[..., 1].ravel(), rtol=1e-6)
    # a cue of amplitude 2 held for 10 tau recalls the cued well (fixed key; chance 1/4)
    tp.amplitude.value, tp.duration.value, tp.seed.value = 2.0, 10.0, 0
    state.set_target(c=0.0)
    assert tp.result.attrs["simulated"] == "target" and float(tp.result.accuracy) >= 0.75
    tp.amplitude.value = 0.0  # no input: trials mostly stay where they start (2 of 8 in well 1);
    # barrier crossings at c = 0, D = 0.1 are rare: at most one of the 8 trials changes well
    assert abs(float(tp.result.accuracy) - 0.25) <= 0.125
    tp.cue.value = -1
    assert len(trace(tp.figure, "cue on").x) == 0 and "accuracy" not in tp.result
    tp.amplitude.value, tp.duration.value, tp.radius.value, tp.seed.value = 1.5, 3.0, 0.45, 0


def test_the_network_is_simulated_when_fitted_to_the_target_else_the_target(panels, state):
    tp, _ = panels
    state.set_target("ring_wells", c=0.5)
    state.retrain(64)
    tp.seed.value = 2
    res = tp.result
    assert res.attrs["simulated"] == "network" and "network" in tp.readout.value and "network" in tp.figure.layout.title.text
    C = centres(state)
    n = transitions_module.N_TRIALS
    ref = ddm.simulate(state.net, t_max=transitions_module.T_MAX, dt=transitions_module.DT, n_trials=n,
                       key=jax.random.fold_in(state.key, 2), z0=C[np.arange(n) % len(C)],
                       inputs=ddm.inputs.cue(0, 0.0, transitions_module.ONSET, transitions_module.CUE_DURATION[3], centres=C),
                       record_every=transitions_module.RECORD_EVERY, progress=False)
    np.testing.assert_allclose(res.z.values, ref.z.values, rtol=1e-6, atol=1e-6)
    tp.c.value = 1.0  # a new target: the network no longer matches it
    assert state.params["c"] == 1.0 and not state.network_is_current
    assert tp.result.attrs["simulated"] == "target" and "target" in tp.readout.value and "Retrain" in tp.readout.value
    assert "target" in tp.figure.layout.title.text
    state.retrain(64)
    assert tp.result.attrs["simulated"] == "network"
    tp.seed.value = 0


def test_c_drives_autonomous_sequences_and_follows_the_shared_state(panels, state):
    tp, _ = panels
    state.set_target("ring_wells", c=0.5)
    tp.cue.value = -1
    counts = {}
    for c in (0.0, 1.0):
        before = trace_arrays(tp.figure)
        tp.c.value = c
        assert tp.error is None and state.params["c"] == c
        assert changed(before, trace_arrays(tp.figure))
        counts[c] = (int(tp.result.n_forward), int(tp.result.n_backward))
    # fixed key: at c = 0 (no current) barrier crossings at D = 0.1 are rare, at most 2 per 8 trials of
    # 40 tau; at c = 1 tens of forward turns, few backward
    assert sum(counts[0.0]) <= 2 * transitions_module.N_TRIALS / 8
    assert counts[1.0][0] >= 30 and counts[1.0][1] <= counts[1.0][0] / 10
    # a change of c elsewhere (the playground, a script) moves this slider without a second change of target
    seen = []
    state.observe(lambda s: seen.append(s.params.get("c")), "target")
    state.set_target(c=0.3)
    assert tp.c.value == pytest.approx(0.3) and seen == [0.3]
    seen.clear()
    assert "'c': 0.3" in tp.result.attrs["system_params"]


def test_transition_panel_needs_ring_wells_and_switches_to_it(panels, state):
    tp, _ = panels
    state.set_target("ring_wells", c=0.5)
    before, result = trace_arrays(tp.figure), tp.result
    state.set_target("van_der_pol")
    assert "ring of wells" in tp.error and "ring of wells" in tp.message.value
    assert not changed(before, trace_arrays(tp.figure)) and tp.result is result
    tp.c.value = 0.8  # the c slider cannot drive another system
    assert "ring of wells" in tp.error and state.system == "van_der_pol"
    tp.use_ring.click()
    assert state.system == "ring_wells" and tp.error is None
    assert tp.c.value == state.params["c"]


def test_transition_bad_value_shows_in_the_panel_and_keeps_the_last_figure(panels, state):
    tp, _ = panels
    state.set_target("ring_wells", c=0.5)
    before, result = trace_arrays(tp.figure), tp.result
    tp.radius.min = 0.0
    tp.radius.value = 0.0
    assert "ValueError" in tp.error and "radius" in tp.error and "radius" in tp.message.value
    assert not changed(before, trace_arrays(tp.figure)) and tp.result is result
    tp.radius.value = 0.45
    assert tp.error is None and tp.message.value == ""
    tp.radius.min = 0.2
    tp.cue.value = 0
    tp.duration.min = -5.0
    tp.duration.value = -1.0
    assert "ValueError" in tp.error and "duration" in tp.error
    tp.duration.value = 3.0
    tp.duration.min = 0.5
    assert tp.error is None
    tp.cue.value = -1


# ---------------------------------------------------------------------------------------------
# decompositions
# ---------------------------------------------------------------------------------------------
def test_decomposition_heatmaps_and_fields_are_the_library_results(panels, state):
    _, dp = panels
    state.set_target("ring_wells", c=0.5)
    state.retrain(64)
    dp.fields_of.value, dp.n_grid.value, dp.n_shown.value = "network", 40, 64
    assert dp.error is None, dp.error
    net = state.net
    conn = ddm.analysis.decompose_connectivity(net, n_grid=3)
    _, _, rep = ddm.analysis.decompose_network(net, n_grid=40)
    n = dp.n_shown.value
    for name, ref in (("J", conn.J), ("J_S", conn.J_S), ("J_A", conn.J_A), ("J_rev", rep.J_rev), ("J_irr", rep.J_irr)):
        np.testing.assert_allclose(np.asarray(trace(dp.figure, name).z), ref.values[:n, :n], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(dp.result.J.values, dp.result.J_S.values + dp.result.J_A.values, atol=1e-9)
    J = dp.result.J.values
    assert np.abs(J - dp.result.J_rev.values - dp.result.J_irr.values).max() <= 1e-5 * np.abs(J).max()
    assert f"{ddm.analysis.asymmetry_index(np.asarray(net.J)):.3f}" in dp.readout.value
    assert float(dp.result.entropy_production_network) == pytest.approx(float(rep.entropy_production))
    # the network carries the target's current: e_p within 10%, and J_rev alone is reversible
    ep_target = float(ddm.analysis.irreversibility(state.target, n_grid=40).entropy_production)
    assert float(dp.result.entropy_production_network) == pytest.approx(ep_target, rel=0.1)
    assert float(dp.result.entropy_production_rev) < 0.05 * float(dp.result.entropy_production_network)
    # the drawn density is the library's stationary density of the network
    ir = ddm.analysis.irreversibility(net, n_grid=40)
    np.testing.assert_allclose(np.asarray(trace(dp.figure, "stationary density p").z), ir.p.values.T, rtol=1e-6)
    np.testing.assert_allclose(dp.result.current.values, ir.current.values, rtol=1e-6, atol=1e-12)


def test_decomposition_controls_change_the_figure(panels, state):
    _, dp = panels
    state.set_target("ring_wells", c=0.5)
    dp.fields_of.value, dp.n_grid.value, dp.n_shown.value = "network", 40, 64
    for name, value in (("fields_of", "target"), ("n_grid", 30), ("n_shown", 16)):
        before = trace_arrays(dp.figure)
        getattr(dp, name).value = value
        assert dp.error is None, (name, dp.error)
        assert changed(before, trace_arrays(dp.figure)), name
    assert dp.result.attrs["fields_of"] == "target" and dp.result.sizes["z0"] == 30
    assert np.asarray(trace(dp.figure, "J_irr").z).shape == (16, 16)
    ref = ddm.analysis.irreversibility(state.target, n_grid=30)
    assert float(dp.result.entropy_production) == pytest.approx(float(ref.entropy_production))
    np.testing.assert_allclose(dp.result.f_irr.values, ref.f_irr.values, rtol=1e-6, atol=1e-9)
    # a retrain reaches the panel: new matrices
    before = trace_arrays(dp.figure)
    state.retrain(64, seed=1)
    assert dp.error is None and changed(before, trace_arrays(dp.figure))
    assert dp.result.attrs["fitted_to"] == str(("ring_wells", state.params))
    dp.fields_of.value, dp.n_grid.value, dp.n_shown.value = "network", 40, 64


def test_entropy_production_against_c_on_the_sweep_button(panels, state):
    _, dp = panels
    state.set_target("ring_wells", c=0.5)
    state.retrain(64)
    dp.n_grid.value = 40
    dp.c_max.value, dp.n_c.value, dp.with_networks.value = 1.0, 3, False
    before = trace_arrays(dp.figure)
    dp.sweep.click()
    assert dp.error is None, dp.error
    assert changed(before, trace_arrays(dp.figure))
    cs = np.asarray(trace(dp.figure, "e_p of the target").x, float)
    np.testing.assert_allclose(cs, [0.0, 0.5, 1.0])
    ep = np.asarray(trace(dp.figure, "e_p of the target").y, float)
    ref = ddm.analysis.irreversibility(ddm.systems.ring_wells(c=1.0, D=0.1, h=0.3), n_grid=40).entropy_production
    assert ep[-1] == pytest.approx(float(ref))
    assert ep[0] < 1e-6 and ep[1] < ep[2]  # detailed balance at c = 0, growing with c
    assert np.all(np.isnan(dp.result.entropy_production_fitted.values))
    # the current network at the current c is marked on the same axes
    np.testing.assert_allclose(trace(dp.figure, "e_p of this network").x, [0.5])
    # networks fitted at each c carry the target's e_p (within 10% where it is not ~0)
    dp.c_max.value, dp.n_c.value, dp.with_networks.value = 0.8, 3, True
    dp.sweep.click()
    assert dp.error is None, dp.error
    np.testing.assert_allclose(np.asarray(trace(dp.figure, "e_p of the target").x, float), [0.0, 0.4, 0.8])
    fitted = np.asarray(trace(dp.figure, "e_p of a network fitted at each c").y, float)
    target = np.asarray(trace(dp.figure, "e_p of the target").y, float)
    np.testing.assert_allclose(fitted[1:], target[1:], rtol=0.1)
    # the sweep belongs to the target's other parameters: a new D clears it
    state.set_target(D=0.12)
    assert "entropy_production_target" not in dp.result and len(trace(dp.figure, "e_p of the target").x) == 0
    state.set_target(D=0.1)


def test_decomposition_errors_show_in_the_panel_and_keep_the_last_figure(panels, state):
    _, dp = panels
    state.set_target("ring_wells", c=0.5)
    state.retrain(64)
    before, result = trace_arrays(dp.figure), dp.result
    dp.n_grid.min = 1
    dp.n_grid.value = 2
    assert "ValueError" in dp.error and "n_grid" in dp.error and "n_grid" in dp.message.value
    assert not changed(before, trace_arrays(dp.figure)) and dp.result is result
    dp.n_grid.value = 40
    dp.n_grid.min = 20
    assert dp.error is None and dp.message.value == ""
    state.set_target("van_der_pol")  # the ring's network is still drawn, marked as fitted to another target
    assert dp.error is None and "press Retrain" in dp.readout.value
    state.set_target("ring_wells", c=0.5)
    dp.sweep.click()
    assert dp.error is None
    state.set_target("double_well")
    state.retrain(32)
    # a 1-D target: its decomposition has no z1 grid coordinate (that once failed the whole panel)
    assert dp.error is None and "entropy production of the network" in dp.readout.value
    dp.sweep.click()  # double_well has no c
    assert "ValueError" in dp.error and "c" in dp.error
    state.set_target("ring_wells", c=0.5)
    state.retrain(64)
    assert dp.error is None


def test_panels_without_a_network_wait_for_retrain():
    st = PanelState("ring_wells", c=0.5)
    dp, tp = DecompositionPanel(st), TransitionPanel(st)
    assert dp.figure is None and "Retrain" in dp.error and dp.result is None
    assert tp.error is None and tp.result.attrs["simulated"] == "target"
    st.retrain(32)
    assert dp.error is None and dp.figure is not None and dp.result.sizes["post"] == 32
    assert tp.result.attrs["simulated"] == "network"
