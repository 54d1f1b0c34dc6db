"""Bad input gets a ValueError that names the parameter and shows what was received."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import ddm_explore as ddm

KEY = jax.random.key(0)
VDP = ddm.systems.van_der_pol()


def _sde(**kw):
    base = dict(drift=lambda z, u: -z, diffusion=np.eye(2), dim=2, noise_dim=2, region=([-1, -1], [1, 1]))
    base.update(kw)
    return ddm.SDE(**base)


@pytest.fixture(scope="module")
def net():
    return ddm.fit(VDP, 32, key=KEY, progress=False)[0]


CASES = [
    ("drift shape", lambda: _sde(drift=lambda z, u: jnp.zeros(3)), r"`drift` must return shape \(2,\), got \(3,\)"),
    ("drift nan", lambda: _sde(drift=lambda z, u: z * jnp.nan), r"`drift` returned a non-finite"),
    ("drift raises", lambda: _sde(drift=lambda z, u: z[5] + jnp.zeros(2) + None), r"`drift` failed"),
    ("diffusion shape", lambda: _sde(diffusion=lambda z: jnp.eye(3)), r"`diffusion` must return shape \(2, 2\)"),
    ("diffusion array shape", lambda: _sde(diffusion=np.eye(3)), r"`diffusion` must have shape \(2, 2\)"),
    ("diffusion inf", lambda: _sde(diffusion=np.full((2, 2), np.inf)), r"`diffusion` must be finite"),
    ("region not a pair", lambda: _sde(region=[0, 1, 2]), r"`region` must be a pair \(low, high\)"),
    ("region degenerate", lambda: _sde(region=([0, 0], [0, 1])), r"`region` must have low < high"),
    ("region wrong length", lambda: _sde(region=([0, 0, 0], [1, 1, 1])), r"`region` must hold two length-2"),
    ("dim zero", lambda: _sde(dim=0), r"`dim` must be >= 1, got 0"),
    ("noise_dim float", lambda: _sde(noise_dim=2.5), r"`noise_dim` must be an integer"),
    ("ou negative s", lambda: ddm.systems.ornstein_uhlenbeck(s=-1.0), r"`s` must be >= 0, got -1.0"),
    ("vdp nan sigma", lambda: ddm.systems.van_der_pol(sigma=float("nan")), r"`sigma` must be finite"),
    ("double well inf s", lambda: ddm.systems.double_well(s=float("inf")), r"`s` must be finite"),
    ("n_neurons < dim", lambda: ddm.fit(VDP, 1, key=KEY), r"`n_neurons` must be >= the latent dimension 2, got 1"),
    ("unknown connectivity", lambda: ddm.fit(VDP, 32, key=KEY, connectivity="dense"), r"`connectivity` must be one of .*'dense'"),
    ("unknown noise", lambda: ddm.fit(VDP, 32, key=KEY, noise="pink"), r"`noise` must be one of .*'pink'"),
    ("unknown method", lambda: ddm.fit(VDP, 32, key=KEY, method="sgd"), r"`method` must be one of .*'sgd'"),
    ("lstsq for full", lambda: ddm.fit(VDP, 32, key=KEY, connectivity="full", method="lstsq"), r"`method`='lstsq'"),
    ("missing key", lambda: ddm.fit(VDP, 32, key=None), r"`key` is required"),
    ("int key", lambda: ddm.fit(VDP, 32, key=0), r"`key` must be a JAX PRNG key"),
    ("negative ridge", lambda: ddm.fit(VDP, 32, key=KEY, ridge=-1.0), r"`ridge` must be >= 0, got -1.0"),
    ("sampler dim", lambda: ddm.fit(VDP, 32, key=KEY, sampler=ddm.box([0], [1])), r"`sampler` draws 1-dimensional"),
    ("optimizer type", lambda: ddm.fit(VDP, 32, key=KEY, method="adam", optimizer="adam"), r"`optimizer` must be an optax"),
    ("optimizer with preconditioned", lambda: ddm.fit(VDP, 32, key=KEY, method="preconditioned", optimizer=optax.adam(1e-3)),
     r"`optimizer` is used by method='adam' only; got method='preconditioned'"),
    ("precondition not bool", lambda: ddm.fit(VDP, 32, key=KEY, method="adam", precondition="yes"), r"`precondition` must be True or False, got 'yes'"),
    ("precondition lstsq", lambda: ddm.fit(VDP, 32, key=KEY, precondition=True), r"`precondition` applies to the optax routes"),
    ("box degenerate", lambda: ddm.box([0, 0], [1, 0]), r"low < high"),
    ("gaussian zero std", lambda: ddm.gaussian([0, 0], [1, 0]), r"`std` must be > 0"),
    ("occupation one point", lambda: ddm.occupation(np.zeros((1, 2))), r"`points` must hold at least 2"),
    ("occupation flat", lambda: ddm.occupation(np.zeros((10, 2))), r"`points` must span a non-degenerate"),
    ("dt zero", lambda: ddm.simulate(VDP, t_max=1.0, dt=0.0, key=KEY), r"`dt` must be > 0, got 0.0"),
    ("dt negative", lambda: ddm.simulate(VDP, t_max=1.0, dt=-0.1, key=KEY), r"`dt` must be > 0"),
    ("dt unstable", lambda: ddm.simulate(VDP, t_max=10.0, dt=1.0, key=KEY), r"`dt`=1.0 is too large"),
    ("t_max nan", lambda: ddm.simulate(VDP, t_max=float("nan"), dt=0.1, key=KEY), r"`t_max` must be finite"),
    ("t_max not multiple", lambda: ddm.simulate(VDP, t_max=1.005, dt=0.01, key=KEY), r"`t_max` must be a positive multiple of `dt`"),
    ("n_trials zero", lambda: ddm.simulate(VDP, t_max=1.0, dt=0.1, n_trials=0, key=KEY), r"`n_trials` must be >= 1"),
    ("z0 shape", lambda: ddm.simulate(VDP, t_max=1.0, dt=0.1, key=KEY, z0=[1.0, 2.0, 3.0]), r"`z0` must have shape \(2,\)"),
    ("z0 nan", lambda: ddm.simulate(VDP, t_max=1.0, dt=0.1, key=KEY, z0=[np.nan, 0.0]), r"`z0` must be finite"),
    ("record_every too big", lambda: ddm.simulate(VDP, t_max=1.0, dt=0.1, key=KEY, record_every=100), r"`record_every`=100 exceeds"),
    ("inputs to input-free", lambda: ddm.simulate(VDP, t_max=1.0, dt=0.1, key=KEY, inputs=[1.0]), r"`inputs` must have width input_dim=0, got width 1"),
    ("record neurons of sde", lambda: ddm.simulate(VDP, t_max=1.0, dt=0.1, key=KEY, record_neurons=True), r"`record_neurons`"),
    ("target type", lambda: ddm.simulate("vdp", t_max=1.0, dt=0.1, key=KEY), r"`target` must be a ddm.SDE"),
    ("piecewise pieces", lambda: ddm.inputs.piecewise([1.0], [[0.0]]), r"`values` must hold len\(breaks\) \+ 1 = 2"),
    ("piecewise order", lambda: ddm.inputs.piecewise([2.0, 1.0], [[0.0], [1.0], [2.0]]), r"`breaks` must be strictly increasing"),
    ("load missing file", lambda: ddm.load("/nonexistent/net.ddm"), r"`path` does not name a file"),
    ("D not positive definite (irreversibility)",
     lambda: ddm.analysis.irreversibility(_sde(diffusion=np.array([[1.0, 0.0], [0.0, 0.0]])), n_grid=10),
     r"diffusion matrix must be positive definite"),
    ("D not positive definite (linear)", lambda: ddm.analysis.linear_irreversibility(np.eye(2), -np.eye(2)),
     r"`D` must be symmetric positive definite, got eigenvalues \[-1.0, -1.0\]"),
    ("theta bool", lambda: _sde(drift=lambda z, u, th: -z, theta={"on": True}), r"`theta` values must be numbers"),
    ("theta not a pytree of numbers", lambda: _sde(drift=lambda z, u, th: -z, theta={"rate": "fast"}),
     r"`drift` failed when called as f\(z, u, theta\)|`theta`"),
]


@pytest.mark.parametrize("name,call,match", CASES, ids=[c[0] for c in CASES])
def test_bad_input_raises_value_error_naming_parameter(name, call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_wrong_input_width_for_network():
    sde = ddm.SDE(drift=lambda z, u: -z + u, diffusion=np.eye(1), dim=1, noise_dim=1, input_dim=1,
                  region=([-1.0], [1.0]))
    net = ddm.fit(sde, 16, key=KEY, progress=False)[0]
    with pytest.raises(ValueError, match=r"`inputs` must have width input_dim=1, got width 2"):
        ddm.simulate(net, t_max=1.0, dt=0.1, key=KEY, inputs=[1.0, 2.0])


# ---------------------------------------------------------------------------------------------
# the panels: a bad value shows its message in the panel, and the last good state stays on screen
# ---------------------------------------------------------------------------------------------
NAN = float("nan")


def _slider(name, value, widen=False):
    def act(pg, tp, tr, state):
        s = pg.sliders[name]
        if widen:  # a teacher widening a slider's range from Python
            s.min = min(s.min, value)
        s.value = value
    return act


# (case, system shown first, action, panel, parameter named, received value shown)
PANEL_CASES = [
    ("van der pol mu NaN", "van_der_pol", _slider("mu", NAN), "playground", "`mu`", "nan"),
    ("van der pol mu negative", "van_der_pol", _slider("mu", -0.5, widen=True), "playground", "`mu`", "-0.5"),
    ("van der pol sigma NaN", "van_der_pol", _slider("sigma", NAN), "playground", "`sigma`", "nan"),
    ("double well s NaN", "double_well", _slider("s", NAN), "playground", "`s`", "nan"),
    ("double well s negative", "double_well", _slider("s", -0.1, widen=True), "playground", "`s`", "-0.1"),
    ("OU w NaN", "ornstein_uhlenbeck", _slider("w", NAN), "playground", "`w`", "nan"),
    ("Stuart-Landau omega NaN", "stuart_landau", _slider("omega", NAN), "playground", "`omega`", "nan"),
    ("ring c NaN", "ring_wells", _slider("c", NAN), "playground", "`c`", "nan"),
    ("ring D negative", "ring_wells", _slider("D", -0.05, widen=True), "playground", "`D`", "-0.05"),
    ("ring h NaN", "ring_wells", _slider("h", NAN), "playground", "`h`", "nan"),
    ("Lorenz rho NaN", "lorenz63", _slider("rho", NAN), "playground", "`rho`", "nan"),
    ("Lorenz noise negative", "lorenz63", _slider("noise", -1.0, widen=True), "playground", "`noise`", "-1.0"),
    ("unknown system", "van_der_pol", lambda pg, tp, tr, st: pg.run(st.set_target, "lorenz96"), "playground",
     "`system`", "lorenz96"),
    ("retrain with n_neurons < dim", "van_der_pol", lambda pg, tp, tr, st: tp.run(st.retrain, n_neurons=1), "train",
     "`n_neurons`", "1"),
    ("retrain with negative ridge", "van_der_pol", lambda pg, tp, tr, st: tp.run(st.retrain, 32, ridge=-1.0), "train",
     "`ridge`", "-1.0"),
    ("retrain with NaN ridge", "van_der_pol", lambda pg, tp, tr, st: tp.run(st.retrain, 32, ridge=NAN), "train",
     "`ridge`", "nan"),
    ("retrain with unknown connectivity", "van_der_pol",
     lambda pg, tp, tr, st: tp.run(st.retrain, 32, connectivity="dense"), "train", "`connectivity`", "dense"),
]


@pytest.fixture(scope="module")
def panels():
    from ddm_explore.panels import PanelState, Playground, TrainPanel, TrajectoryPanel

    state = PanelState("van_der_pol")
    state.retrain(32)
    return Playground(state), TrainPanel(state), TrajectoryPanel(state), state


def _figure_data(panel):
    return [np.asarray(v, dtype=float).copy() for t in panel.figure.data for k in ("x", "y", "z")
            if (v := getattr(t, k, None)) is not None and len(v)]


@pytest.mark.parametrize("name,system,act,where,param,received", PANEL_CASES, ids=[c[0] for c in PANEL_CASES])
def test_bad_value_in_a_panel_shows_there_and_keeps_the_last_good_state(panels, name, system, act, where, param,
                                                                         received):
    from ddm_explore.panels import SYSTEMS

    pg, tp, tr, state = panels
    if pg.system.value != system:
        pg.system.value = system
    panel = pg if where == "playground" else tp
    assert panel.error is None, panel.error
    before_fig, before_params, before_net = _figure_data(panel), dict(state.params), state.net
    act(pg, tp, tr, state)
    assert panel.error is not None and "ValueError" in panel.error, name
    assert param in panel.error and received in panel.error, panel.error
    assert param in panel.message.value and "last good state" in panel.message.value
    after = _figure_data(panel)
    assert len(after) == len(before_fig) and all(np.array_equal(a, b, equal_nan=True) for a, b in zip(after, before_fig))
    assert state.params == before_params and state.net is before_net
    # the next good value clears the message
    for pname, spec in SYSTEMS[state.system]["params"].items():
        pg.sliders[pname].min = spec[0]
    pg.run(state.set_target, **{k: v[3] for k, v in SYSTEMS[state.system]["params"].items()})
    tp.run(lambda: None)
    assert pg.error is None and tp.error is None
