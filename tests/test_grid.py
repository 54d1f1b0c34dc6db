"""One grid for every field on a box: drift maps, error maps, irreversibility and decompositions
share points (cell centres), dimension names and coordinate labels."""

import jax
import numpy as np
import pytest

import ddm_explore as ddm

N_GRID = 7


def _centres(low, high, n):
    """Centres of n equal cells on [low, high], written out independently of the library."""
    h = (high - low) / n
    return np.linspace(low + h / 2, high - h / 2, n)


def _van_der_pol_drift(z1, z2, mu):
    return np.stack([z2, mu * (1.0 - z1**2) * z2 - z1], -1)


@pytest.fixture(scope="module")
def vdp_and_net():
    sde = ddm.systems.van_der_pol(mu=1.5, sigma=0.5)
    net, _ = ddm.fit(sde, 32, key=jax.random.key(0), progress=False)
    return sde, net


def test_every_grid_field_has_the_same_coordinates_and_dims(vdp_and_net):
    sde, net = vdp_and_net
    grids = dict(drift_field=ddm.analysis.drift_field(sde, N_GRID),
                 drift_error_field=ddm.analysis.drift_error_field(net, sde, N_GRID),
                 irreversibility=ddm.analysis.irreversibility(sde, "grid", n_grid=N_GRID),
                 decompose_connectivity=ddm.analysis.decompose_connectivity(net, n_grid=N_GRID))
    fields = dict(drift_field="drift", drift_error_field="drift_network", irreversibility="f",
                  decompose_connectivity="f")
    ref = grids["drift_field"]
    for name, ds in grids.items():
        assert ds[fields[name]].dims == ("z0", "z1", "latent"), name
        for dim in ("z0", "z1", "latent"):
            assert ds[dim].identical(ref[dim]), (name, dim)
    assert grids["drift_error_field"].error.dims == ("z0", "z1")
    for i in range(2):  # cell centres, not end points
        np.testing.assert_allclose(ref[f"z{i}"].values, _centres(-3.0, 3.0, N_GRID), rtol=0, atol=1e-12)
        assert ref[f"z{i}"].attrs == dict(units="latent units", long_name=f"latent coordinate z{i}")


def test_drift_on_the_grid_is_the_formula_at_the_cell_centres(vdp_and_net):
    sde, net = vdp_and_net
    a = _centres(-3.0, 3.0, N_GRID)
    Z1, Z2 = np.meshgrid(a, a, indexing="ij")
    expect = _van_der_pol_drift(Z1, Z2, 1.5)
    np.testing.assert_allclose(ddm.analysis.drift_field(sde, N_GRID).drift.values, expect, rtol=1e-5, atol=1e-5)
    err = ddm.analysis.drift_error_field(net, sde, N_GRID)
    np.testing.assert_allclose(err.drift_target.values, expect, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ddm.analysis.irreversibility(sde, "grid", n_grid=N_GRID).f.values, expect,
                               rtol=1e-5, atol=1e-5)
    # the network's drift map is the network's drift on the same points (float32 sums of 32
    # neurons evaluated in two orders: |f| reaches 25 here)
    np.testing.assert_allclose(err.drift_network.values,
                               ddm.analysis.decompose_connectivity(net, n_grid=N_GRID).f.values, rtol=0, atol=1e-3)


def test_one_dimensional_grid_and_a_region(vdp_and_net):
    sde = ddm.systems.double_well()
    ds = ddm.analysis.drift_field(sde, 5, region=([-2.0], [2.0]))
    a = _centres(-2.0, 2.0, 5)
    assert ds.drift.dims == ("z0", "latent")
    np.testing.assert_allclose(ds.z0.values, a, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ds.drift.values[:, 0], a - a**3, rtol=1e-5, atol=1e-5)
    assert ds.z0.identical(ddm.analysis.irreversibility(sde, "grid", n_grid=5, region=([-2.0], [2.0])).z0)
    with pytest.raises(ValueError, match="n_grid"):
        ddm.analysis.drift_field(sde, 2)


def test_error_map_of_a_network_without_inputs_against_a_target_with_them(vdp_and_net):
    """A network learnt without inputs (a recording at one cue) is compared with the target's drift
    at the given u; a network with another number of inputs is refused."""
    _, net = vdp_and_net  # 2-D, no inputs
    ring = ddm.systems.ring_wells(K=4, c=0.4)  # 2-D, one cue input
    assert net.input_dim == 0 and ring.input_dim > 0
    u = np.full(ring.input_dim, 0.5, np.float32)
    ds = ddm.analysis.drift_error_field(net, ring, N_GRID, u=u)
    a = _centres(*(float(np.asarray(b).ravel()[0]) for b in ring.region), N_GRID)
    Z = np.stack(np.meshgrid(a, a, indexing="ij"), -1).reshape(-1, 2).astype(np.float32)
    # the reference: each system's own drift at each point, one call per point
    f = np.stack([np.asarray(ring.latent_drift(z, u)) for z in Z])
    fn = np.stack([np.asarray(net.latent_drift(z, np.zeros(0, np.float32))) for z in Z])
    np.testing.assert_allclose(ds.drift_target.values.reshape(-1, 2), f, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ds.drift_network.values.reshape(-1, 2), fn, rtol=1e-4, atol=1e-3)
    err = np.linalg.norm(fn - f, axis=-1) / np.sqrt(np.mean(np.sum(f**2, -1)))
    np.testing.assert_allclose(ds.error.values.ravel(), err, rtol=1e-3, atol=1e-4)
    ring_net, _ = ddm.fit(ring, 32, key=jax.random.key(1), progress=False)
    with pytest.raises(ValueError, match=f"`net` takes {ring.input_dim} inputs but `target` takes 0"):
        ddm.analysis.drift_error_field(ring_net, ddm.systems.van_der_pol(), N_GRID)
