"""The Train panel's "example recorded data" route, driven in-process as a student drives it: switch
the source to data, press Retrain, and the network learnt from the recording matches the truth's
drift (written here in numpy, independently of the package) where the data go."""

import jax
import numpy as np
import pytest

import ddm_explore as ddm
from ddm_explore.panels import PanelState, Recording, TrainPanel, TrajectoryPanel, TransitionPanel


def vdp_drift(z, mu=1.0):
    """Van der Pol's drift (z2, mu (1 - z1^2) z2 - z1), written out."""
    return np.stack([z[:, 1], mu * (1.0 - z[:, 0] ** 2) * z[:, 1] - z[:, 0]], -1)


def relative_error(f_net, f):
    return float(np.sqrt(np.sum((f_net - f) ** 2) / np.sum(f**2)))


def flat(trace, name):
    a = np.asarray(getattr(trace, name), float)
    return a[np.isfinite(a)]


@pytest.fixture(scope="module")
def vdp_panel():
    state = PanelState("van_der_pol")
    panel = TrainPanel(state)
    panel.source.value = "data"
    panel.retrain.click()
    return state, panel


def test_retrain_from_data_learns_the_drift_where_the_data_go(vdp_panel):
    state, panel = vdp_panel
    assert panel.error is None, panel.error
    assert state.fit_recording == Recording() == Recording(n_trials=32, t_max=100.0, delta=0.02)
    assert state.report.attrs["data_route"] == 1 and state.report.attrs["n_trials"] == 32
    assert state.report.attrs["delta"] == pytest.approx(0.02)
    # the recording: 32 trials of 100 tau every 0.02 tau, the same for any state with the same key
    data = state.recording(Recording())
    assert data.shape == (32, 5001, 2) and float(data.time[1] - data.time[0]) == pytest.approx(0.02)
    np.testing.assert_array_equal(data.values, PanelState("van_der_pol").recording(Recording()).values)
    # the drift error against the formulas, at the recorded states (every 10th of them): below 0.05.
    # Measured 0.0096 (the report says 0.0096 too); the noise alone predicts about 0.01, so the
    # bound is a margin of 5x over what the estimate's variance allows.
    z = data.values[:, ::10].reshape(-1, 2).astype(np.float64)
    f_net = np.asarray(state.net.latent_drift(z.astype(np.float32)), np.float64)
    err = relative_error(f_net, vdp_drift(z))
    assert err < 0.05, err
    assert abs(err - float(state.report.eps_f)) < 0.01  # the readout's number is the same measurement
    assert f"eps_f = {float(state.report.eps_f):.4f}" in panel.eps.value and "learnt from a recording" in panel.eps.value
    # a network fitted to 8 short trials is worse than one fitted to 32 long ones (fewer data)
    few = state.fit_network(256, recording=Recording(n_trials=8, t_max=25.0))
    f_few = np.asarray(few.net.latent_drift(z.astype(np.float32)), np.float64)
    assert relative_error(f_few, vdp_drift(z)) > err


def test_the_figure_shows_the_data_beside_the_network_and_its_drift_against_the_truth(vdp_panel):
    state, panel = vdp_panel
    res, fig = panel.result, panel.figure
    assert fig.layout.meta["source"] == "data"
    assert [t.name for t in fig.data] == ["true drift (the formulas)", "network drift (learnt from data)",
                                         "relative error", "recorded data", "network from the same starts"]
    # the recorded trials drawn are the recording's first three, over the first 30 tau
    data = state.recording(Recording())
    shown = data.values[:3, :1501]
    np.testing.assert_allclose(res.z_data.values, shown)
    np.testing.assert_allclose(flat(fig.data[3], "x"), shown[..., 0].ravel(), rtol=1e-6)
    # the network's own paths start where those trials start and stay on the cycle's scale
    zn = res.z_network.values
    np.testing.assert_allclose(zn[:, 0], shown[:, 0], atol=1e-5)
    assert zn.shape == shown.shape and np.all(np.isfinite(zn)) and np.abs(zn).max() < 4.0
    # the drawn network drift on the grid is the network's, and the error map is against the formulas
    grid = np.stack(np.meshgrid(res.z0.values, res.z1.values, indexing="ij"), -1).reshape(-1, 2)
    f_grid = np.asarray(state.net.latent_drift(grid.astype(np.float32)), np.float64)
    np.testing.assert_allclose(res.drift_network.values.reshape(-1, 2), f_grid, rtol=1e-5, atol=1e-5)
    f_true = vdp_drift(grid)
    expect = np.linalg.norm(f_grid - f_true, axis=-1) / np.sqrt(np.mean(np.sum(f_true**2, -1)))
    np.testing.assert_allclose(res.error.values.ravel(), expect, rtol=1e-4, atol=1e-6)


def test_data_controls_appear_with_the_data_and_a_new_recording_asks_for_retrain():
    state = PanelState("double_well")
    panel = TrainPanel(state)
    assert panel.data_box.children == () and not panel.ridge.disabled
    panel.source.value = "data"
    assert panel.trials in panel.data_box.children and panel.ridge.disabled
    assert "recording: 32 trials of 100 tau" in panel.eps.value and "press <b>Retrain</b>" in panel.eps.value
    assert panel.result.z_data.shape[0] == 3 and "drift_network" not in panel.result  # the data, no network yet
    panel.retrain.click()
    assert panel.error is None and "learnt from a recording" in panel.eps.value
    # 1-D: the network's drift curve is the network's drift at the grid points (float32, another
    # compiled program: equal to 1e-3 on a drift of size 1-5)
    z = panel.result.z0.values
    np.testing.assert_allclose(flat(panel.figure.data[1], "y"),
                               np.asarray(state.net.latent_drift(z[:, None].astype(np.float32)))[:, 0], rtol=1e-4, atol=1e-3)
    panel.trials.value = 8
    assert panel.result.attrs["n_recorded_trials"] == 8 and "not learnt from this recording" in panel.eps.value
    panel.reset.click()
    assert panel.source.value == "formulas" and panel.data_box.children == () and panel.error is None


def test_a_few_data_say_so_in_words():
    state = PanelState("van_der_pol")
    panel = TrainPanel(state)
    panel.source.value, panel.trials.value, panel.length.value = "data", 8, 25.0
    panel.n_neurons.value = 1024
    panel.retrain.click()
    assert panel.error is None and state.fit_notes and "increments for 1025 features" in state.fit_notes
    assert "record more or longer trials" in panel.eps.value


def test_a_recording_of_a_target_with_inputs_and_of_a_3d_target():
    state = PanelState("ring_wells", c=0.5)
    panel = TrainPanel(state)
    transitions = TransitionPanel(state)
    panel.source.value = "data"
    panel.n_neurons.value = 128
    panel.retrain.click()
    assert panel.error is None, panel.error
    assert state.net.input_dim == 0 and state.target.input_dim == 2  # recorded without cues
    # the error map compares with the target's drift at u = 0 (the recording's input)
    grid = np.stack(np.meshgrid(panel.result.z0.values, panel.result.z1.values, indexing="ij"), -1).reshape(-1, 2)
    f_true = np.asarray(state.target.latent_drift(grid.astype(np.float32), np.zeros((len(grid), 2), np.float32)))
    np.testing.assert_allclose(panel.result.drift_target.values.reshape(-1, 2), f_true, rtol=1e-5, atol=1e-5)
    assert np.all(np.isfinite(panel.result.error.values))
    # a cue needs an input channel: the transitions panel simulates the target and says so
    assert transitions.error is None and transitions.result.attrs["simulated"] == "target"
    # the trajectory panel runs the network; a fit for private noise needs the formulas
    trajectories = TrajectoryPanel(state)
    assert trajectories.error is None
    trajectories.private_noise.value, trajectories.fitted.value = 0.05, True
    assert "learnt from recorded data" in trajectories.error
    # Lorenz: the recorded trial and the network from its start, in 3-D
    state.set_target("lorenz63")
    assert panel.figure.data[0].type == "scatter3d" and panel.figure.data[0].name == "recorded data"
    panel.retrain.click()
    assert panel.error is None and len(flat(panel.figure.data[1], "x")) > 100
    z0 = panel.result.z_data.values[0, 0]
    np.testing.assert_allclose(panel.result.z_network.values[0, 0], z0, atol=1e-4)


@pytest.mark.parametrize("kw,name", [(dict(delta=0.013), "delta"), (dict(n_trials=1), "n_trials"),
                                     (dict(t_max=0.01), "t_max"), (dict(delta=-0.02), "delta")])
def test_a_bad_recording_names_its_argument(kw, name):
    with pytest.raises(ValueError, match=f"`{name}`"):
        Recording(**kw)


def test_the_state_wants_a_recording_object():
    with pytest.raises(TypeError, match="`recording`"):
        PanelState("double_well").recording(dict(n_trials=8))


def test_a_recording_is_what_ddm_simulate_gives_with_its_key():
    """The recording is ``ddm.simulate`` of the target at dt = 0.005, observed every Delta, with the
    state's key folded with the recording seed: the documented way to make the same data outside."""
    from ddm_explore.panels import _recording

    state = PanelState("double_well", key=jax.random.key(3))
    rec = Recording(n_trials=4, t_max=10.0, delta=0.05)
    z = state.recording(rec)
    ref = ddm.simulate(state.target, t_max=10.0, dt=0.005, n_trials=4, record_every=10, progress=False,
                       key=jax.random.fold_in(jax.random.key(3), _recording.RECORDING_SEED))
    np.testing.assert_array_equal(z.values, ref.z.values)
