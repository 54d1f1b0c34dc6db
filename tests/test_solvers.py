"""The method objects of ``fit`` (ClosedForm, Optax, Preconditioned), the old keywords, and the
system interface shared by SDEs and networks."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import ddm_explore as ddm

KEY = jax.random.key(0)
VDP = ddm.systems.van_der_pol(mu=1.0, sigma=0.1)
SMALL = dict(n_samples=512, n_test=128, progress=False)


def test_optax_runs_exactly_the_requested_steps():
    # a constant learning rate: 10 and 50 steps must give different networks (the loop used to
    # round up to whole chunks of 50 steps and report only the first ones)
    opt = optax.adam(1e-3)
    n10, r10 = ddm.fit(VDP, 32, key=KEY, connectivity="full", solver=ddm.Optax(optimizer=opt, steps=10), **SMALL)
    n50, r50 = ddm.fit(VDP, 32, key=KEY, connectivity="full", solver=ddm.Optax(optimizer=opt, steps=50), **SMALL)
    assert r10.sizes["step"] == 10 and r50.sizes["step"] == 50
    assert float(np.abs(np.asarray(n10.J) - np.asarray(n50.J)).max()) > 1e-4
    # the first 10 losses of the longer run are those of the shorter one (same minibatches)
    np.testing.assert_allclose(r50.loss.values[:10], r10.loss.values, rtol=1e-5)


def test_old_keywords_give_the_same_network_as_the_objects():
    old = ddm.fit(VDP, 32, key=KEY, method="adam", init="random", steps=20, batch_size=128, lambda_inv=0.5, **SMALL)[0]
    new = ddm.fit(VDP, 32, key=KEY, solver=ddm.Optax(init=ddm.RandomStart(), steps=20, batch_size=128, lambda_inv=0.5),
                  **SMALL)[0]
    np.testing.assert_array_equal(np.asarray(old.W), np.asarray(new.W))
    a = ddm.fit(VDP, 32, key=KEY, ridge=1e-6, latent_gain=1.2, **SMALL)[0]
    b = ddm.fit(VDP, 32, key=KEY, solver=ddm.ClosedForm(ridge=1e-6), embedding=ddm.Embedding(latent_gain=1.2), **SMALL)[0]
    np.testing.assert_array_equal(np.asarray(a.W), np.asarray(b.W))


def test_low_rank_optax_keeps_the_manifold_invariant():
    net, _ = ddm.fit(VDP, 32, key=KEY, solver=ddm.Optax(steps=20), **SMALL)
    # b = x0 + M b_lat: the off-manifold drift at manifold points vanishes
    z = jnp.asarray(np.random.default_rng(0).uniform(-1, 1, (16, 2)), jnp.float32)
    e = net.off_manifold_drift(net.manifold_rates(z))
    assert float(jnp.abs(e).max()) < 1e-4 * float(jnp.abs(net.b).max() + 1)


@pytest.mark.parametrize("make,match", [
    (lambda: ddm.ClosedForm(ridge=-1.0), r"`ridge` must be >= 0, got -1.0"),
    (lambda: ddm.Optax(steps=0), r"`steps` must be >= 1"),
    (lambda: ddm.Optax(precondition="yes"), r"`precondition` must be True or False"),
    (lambda: ddm.Preconditioned(precondition=1), r"`precondition` must be True or False, got 1"),
    (lambda: ddm.Optax(init="random"), r"`init` must be ddm.WarmStart"),
    (lambda: ddm.Preconditioned(lambda_inv=-2.0), r"`lambda_inv` must be >= 0"),
    (lambda: ddm.WarmStart(bulk=float("nan")), r"`bulk` must be finite"),
    (lambda: ddm.Embedding(nonlinearity="relu"), r"`nonlinearity` must be one of .*'relu'"),
    (lambda: ddm.fit(VDP, 32, key=KEY, solver="adam"), r"`solver` must be ddm.ClosedForm"),
    (lambda: ddm.fit(VDP, 32, key=KEY, connectivity="full", solver=ddm.ClosedForm()), r"`solver`=ClosedForm\(\)"),
    (lambda: ddm.fit(VDP, 32, key=KEY, solver=ddm.Optax(), steps=10), r"inside `solver`"),
    (lambda: ddm.fit(VDP, 32, key=KEY, embedding=ddm.Embedding(), latent_gain=1.0), r"inside `embedding`"),
])
def test_bad_method_settings_name_the_parameter(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_unknown_keyword_is_a_type_error():
    with pytest.raises(TypeError, match=r"unexpected keyword arguments \['stepz'\]"):
        ddm.fit(VDP, 32, key=KEY, stepz=10)


def test_sde_parameters_have_one_source():
    ou = ddm.systems.ornstein_uhlenbeck(w=1.0)
    A3 = np.array([[1.0, -3.0], [3.0, 1.0]])
    ou3 = ou.replace(theta=dict(A=A3))
    # what reports show is what the drift computes with
    assert ou3.params["A"] == A3.tolist()
    np.testing.assert_allclose(np.asarray(ou3.latent_drift(jnp.array([1.0, 0.0]))), -A3 @ [1.0, 0.0])
    _, report = ddm.fit(ou3, 32, key=KEY, **SMALL)
    assert "-3.0" in report.attrs["target_params"]
    with pytest.raises(ValueError, match=r"`replace` takes the fields"):
        ou.replace(c=0.5)


@pytest.mark.parametrize("system", ["sde", "network"])
def test_batched_system_calls_equal_one_point_calls(system, vdp_fit):
    sys_ = VDP if system == "sde" else vdp_fit[0]
    Z = jnp.asarray(np.random.default_rng(1).uniform(-2, 2, (3, 5, 2)), jnp.float32)
    f = sys_.latent_drift(Z)
    g = sys_.noise_loading(Z)
    assert f.shape == (3, 5, 2) and g.shape == (3, 5, 2, 2)
    # float32: a network's drift is a sum of N terms of size |W| ~ 5 whose order differs between a
    # batched and a one-point product; margin 1e-4 of the largest drift
    tol = 1e-4 * float(jnp.abs(f).max())
    for i in range(3):
        for j in range(5):
            np.testing.assert_allclose(np.asarray(f[i, j]), np.asarray(sys_.latent_drift(Z[i, j])), rtol=0, atol=tol)
            np.testing.assert_allclose(np.asarray(g[i, j]), np.asarray(sys_.noise_loading(Z[i, j])), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(sys_.latent_diffusion(Z)), 0.5 * np.einsum("...ij,...kj->...ik", g, g), rtol=1e-5)
