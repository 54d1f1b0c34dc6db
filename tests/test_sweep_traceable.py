"""ddm.fit_traceable: the closed-form fit in pure JAX (jit, vmap, ddm.sweep over fits) against the
float64 ddm.fit, which solves the normal equations by a float64 Cholesky (a different algorithm)."""

import json
import os
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import ddm_explore as ddm

KEY = jax.random.key(3)


@pytest.mark.parametrize("make, noise", [(lambda: ddm.systems.van_der_pol(), "additive"),
                                         (lambda: ddm.systems.ring_wells(c=1.0), "additive"),
                                         (lambda: ddm.systems.multiplicative_ou(), "multiplicative")])
def test_float32_fit_matches_the_float64_fit(make, noise):
    target = make()
    net64, rep = ddm.fit(target, 64, key=KEY, noise=noise, progress=False)
    net32, err = ddm.fit_traceable(target, 64, key=KEY, noise=noise)
    # the same key split: the same embedding (float32 QR of the same draw against float64 QR)
    np.testing.assert_allclose(np.asarray(net32.M), np.asarray(net64.M), atol=1e-5)
    np.testing.assert_allclose(np.asarray(net32.x0), np.asarray(net64.x0), atol=1e-5)
    # held-out errors on the same test points: within 2% (measured: 0.01-0.1% on these targets)
    assert abs(float(err["eps_f"]) / float(rep.eps_f) - 1) < 0.02, (float(err["eps_f"]), float(rep.eps_f))
    if noise == "multiplicative":
        assert abs(float(err["eps_D"]) / float(rep.eps_D) - 1) < 0.05
    # the two networks' drifts agree to well within the fit's own error
    Z = ddm.box(*target.region).sample(jax.random.key(9), 256)
    f32, f64, f = (np.asarray(s.latent_drift(Z)) for s in (net32, net64, target))
    assert np.sqrt(np.mean((f32 - f64) ** 2) / np.mean(f**2)) < 0.2 * float(rep.eps_f)


def test_vmap_over_keys_and_traced_parameters_equals_single_fits():
    vdp = ddm.systems.van_der_pol()
    mus = jnp.array([0.5, 1.0, 2.0])
    keys = jax.random.split(KEY, 3)
    batched = jax.jit(jax.vmap(lambda mu, k: ddm.fit_traceable(vdp, 32, key=k, theta=dict(mu=mu))))(mus, keys)
    for i, mu in enumerate([0.5, 1.0, 2.0]):  # a fresh SDE built with mu: the traced theta is the real parameter
        net, err = ddm.fit_traceable(ddm.systems.van_der_pol(mu=mu), 32, key=keys[i])
        np.testing.assert_allclose(np.asarray(batched[0].W[i]), np.asarray(net.W), rtol=1e-3, atol=1e-4)
        np.testing.assert_allclose(float(batched[1]["eps_f"][i]), float(err["eps_f"]), rtol=1e-3)
    # the ring's current c and its noise level (a constant loading) traced together
    ring = ddm.systems.ring_wells(c=0.0, D=0.1)
    fit = jax.jit(lambda c, D: ddm.fit_traceable(ring, 32, key=KEY, theta=dict(c=c), diffusion=jnp.sqrt(2 * D) * jnp.eye(2)))
    net, err = fit(0.7, 0.05)
    ref, ref_err = ddm.fit_traceable(ddm.systems.ring_wells(c=0.7, D=0.05), 32, key=KEY)
    np.testing.assert_allclose(np.asarray(net.gamma0), np.asarray(ref.gamma0), rtol=1e-5)
    np.testing.assert_allclose(float(err["eps_f"]), float(ref_err["eps_f"]), rtol=1e-4)
    assert float(ref_err["eps_D"]) < 1e-5  # additive noise: the constant loading is matched exactly


def test_the_network_simulates_and_keeps_its_cycle():
    vdp = ddm.systems.van_der_pol()
    net, err = ddm.fit_traceable(vdp, 128, key=KEY)
    assert isinstance(net, ddm.Network) and net.connectivity == "low_rank" and float(err["eps_f"]) < 0.01
    ds = ddm.simulate(net, t_max=20.0, dt=0.02, n_trials=4, key=jax.random.key(1), z0=np.array([0.5, 0.0]))
    amp = float(np.abs(ds.z.sel(latent=0).isel(time=slice(-300, None))).max())
    assert 1.7 < amp < 2.4  # the Van der Pol cycle's amplitude is 2.01 in z1 (noise 0.1: a margin of 0.3)


def test_bad_inputs_name_the_argument():
    vdp = ddm.systems.van_der_pol()
    with pytest.raises(ValueError, match="`theta`.*'mu'"):
        ddm.fit_traceable(vdp, 32, key=KEY, theta=dict(nu=1.0))
    with pytest.raises(ValueError, match=r"`diffusion` must have the shape .*\(2, 2\)"):
        ddm.fit_traceable(vdp, 32, key=KEY, diffusion=jnp.eye(3))
    with pytest.raises(ValueError, match="`n_neurons` must be >= the latent dimension 2"):
        ddm.fit_traceable(vdp, 1, key=KEY)
    with pytest.raises(ValueError, match="`key`"):
        ddm.fit_traceable(vdp, 32, key=None)
    with pytest.raises(ValueError, match="`noise`"):
        ddm.fit_traceable(vdp, 32, key=KEY, noise="pink")
    with pytest.warns(ddm.CallbackDriftWarning):
        host = ddm.SDE(drift=lambda z: -np.asarray(z) + float(np.sum(np.asarray(z))) * 0, dim=1, region=([-1], [1]))
    if host.backend == "callback":
        with pytest.raises(ValueError, match="`target` must be written in JAX"):
            ddm.fit_traceable(host, 32, key=KEY)


SCRIPT = textwrap.dedent("""
    import json, jax, numpy as np, ddm_explore as ddm
    vdp = ddm.systems.van_der_pol()
    fn = lambda mu, seed: ddm.fit_traceable(vdp, 32, key=jax.random.key(seed), theta=dict(mu=mu))[1]
    grid = dict(mu=[0.5, 1.0, 1.5], seed=[0, 1])
    many, one = ddm.sweep(fn, grid), ddm.sweep(fn, grid, devices=jax.devices()[:1])
    ref = [[float(ddm.fit_traceable(ddm.systems.van_der_pol(mu=m), 32, key=jax.random.key(s))[1]["eps_f"])
            for s in grid["seed"]] for m in grid["mu"]]
    print(json.dumps(dict(n_devices=[many.attrs["n_devices"], one.attrs["n_devices"]],
                          many=many.eps_f.values.tolist(), one=one.eps_f.values.tolist(), ref=ref)))
""")


@pytest.mark.slow
def test_sweep_over_fits_on_two_devices_equals_one_device():
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=2", JAX_PLATFORMS="cpu")
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    res = json.loads(out.stdout.strip().splitlines()[-1])
    assert res["n_devices"] == [2, 1]
    # each point's computation is the same on either device count, up to float32 rounding: XLA
    # compiles the batched products for the per-device batch (3 points here, 6 on one device) and
    # may sum in another order (measured: 1.6e-5 relative at most on eps_f; margin 6x)
    np.testing.assert_allclose(res["many"], res["one"], rtol=1e-4)
    np.testing.assert_allclose(res["many"], res["ref"], rtol=1e-3)  # and they are the single fits


X64 = textwrap.dedent("""
    import json, jax, numpy as np, ddm_explore as ddm
    vdp = ddm.systems.van_der_pol()
    net, err = ddm.fit_traceable(vdp, 64, key=jax.random.key(3))
    _, rep = ddm.fit(vdp, 64, key=jax.random.key(3), progress=False)
    print(json.dumps(dict(dtype=str(net.W.dtype), eps=float(err["eps_f"]), ref=float(rep.eps_f))))
""")


@pytest.mark.slow
def test_float64_where_x64_is_enabled():
    env = dict(os.environ, JAX_ENABLE_X64="1", JAX_PLATFORMS="cpu")
    out = subprocess.run([sys.executable, "-c", X64], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    res = json.loads(out.stdout.strip().splitlines()[-1])
    # the solve in float64 (QR against ddm.fit's Cholesky), the network's parameters float32 as
    # ddm.fit's: the held-out errors agree to float32 rounding of the network
    assert res["dtype"] == "float32"
    assert abs(res["eps"] / res["ref"] - 1) < 1e-3, res
