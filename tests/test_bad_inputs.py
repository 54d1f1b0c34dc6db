"""Bad input gets a ValueError that names the parameter and shows what was received."""

import jax
import jax.numpy as jnp
import numpy as np
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
    ("region missing", lambda: _sde(region=None), r"`region` is required"),
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
