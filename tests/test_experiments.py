"""ddm.experiments: the shared experiment functions behind e5 and the panels, and verdict thresholds as arguments."""

import jax
import numpy as np
import pytest

import ddm_explore as ddm

KEY = jax.random.key(0)


def ring(c):
    return ddm.systems.ring_wells(c=c, D=0.1, current="potential")


def test_e5_and_entropy_production_vs_current_agree_and_thresholds_decide_the_verdict():
    kw = dict(key=KEY, n_neurons=32, cs=(0.0, 1.0), n_grid=30)
    ds = ddm.experiments.e5_decompositions(**kw)
    sweep = ddm.experiments.entropy_production_vs_current(ring, [0.0, 1.0], key=KEY, n_neurons=32, n_grid=30)
    for v in ("entropy_production_target", "entropy_production_network", "asymmetry"):
        np.testing.assert_array_equal(ds[v].values, sweep[v].values)
    assert sweep.entropy_production_target.values[0] < 1e-6 < sweep.entropy_production_target.values[1]
    # a threshold no network can meet turns the verdict, and the check line shows it
    strict = ddm.experiments.e5_decompositions(**kw, rev_only_ep_max=1e-12)
    assert strict.attrs["passed"] == 0 and strict.attrs["check"].endswith(": FAIL")
    assert "(<= 1e-12)" in strict.attrs["check"]
    assert strict.attrs["check"].split("J_rev-only")[0] == ds.attrs["check"].split("J_rev-only")[0]


def test_entropy_production_vs_current_without_networks_and_bad_inputs():
    ds = ddm.experiments.entropy_production_vs_current(ring, [0.0, 0.5], key=KEY, n_grid=20, fit_networks=False)
    assert np.all(np.isnan(ds.entropy_production_network.values)) and ds.attrs["n_neurons"] == 0
    with pytest.raises(ValueError, match="`factory`"):
        ddm.experiments.entropy_production_vs_current(3, [0.0], key=KEY)
    with pytest.raises(ValueError, match="`factory`"):
        ddm.experiments.entropy_production_vs_current(lambda c: "ring", [0.0], key=KEY)
    with pytest.raises(ValueError, match="`cs`"):
        ddm.experiments.entropy_production_vs_current(ring, [], key=KEY)
    with pytest.raises(ValueError, match="`key`"):
        ddm.experiments.entropy_production_vs_current(ring, [0.0], key=None)


def test_cued_trials_and_recall_readout():
    C = ddm.systems.ring_centres(K=4)
    sde = ddm.systems.ring_wells(c=0.0, D=0.1)
    runs = ddm.experiments.cued_trials(sde, C, cued=2, amplitude=2.0, onset=1.0, duration=10.0, t_max=20.0,
                                       n_trials=8, key=KEY)
    np.testing.assert_allclose(runs.z.isel(time=0).values, C[np.arange(8) % 4], atol=1e-6)  # trial i in well i % 4
    u = runs.u.sel(time=5.0, method="nearest").values
    np.testing.assert_allclose(u, np.broadcast_to(2.0 * C[2] / np.linalg.norm(C[2]), u.shape), atol=1e-6)
    res = ddm.experiments.recall_readout(runs, 0.45)
    with pytest.warns(ddm.SampleSizeWarning):  # 8 trials: recall_readout keeps this note in attrs["notes"]
        ref = ddm.analysis.recall_accuracy(runs.z, C, 0.45, 2)
    assert float(res.accuracy) == float(ref.accuracy) >= 0.75
    np.testing.assert_array_equal(res.labels.values, ddm.analysis.transitions(runs.z, C, 0.45, min_transitions=0).labels)
    assert res.attrs["cue"] == 2 and res.attrs["radius"] == 0.45 and "fewer than 20" in res.attrs["notes"]
    # no cue: a zero pulse of the same shape, no recall variables
    quiet = ddm.experiments.cued_trials(sde, C, t_max=20.0, n_trials=8, key=KEY)
    assert quiet.attrs["cue"] == -1 and np.all(quiet.u.values == 0)
    assert "accuracy" not in ddm.experiments.recall_readout(quiet, 0.45)
    with pytest.raises(ValueError, match="`cued`"):
        ddm.experiments.cued_trials(sde, C, cued=4, key=KEY)
    with pytest.raises(ValueError, match="`trials`"):
        ddm.experiments.recall_readout(runs.drop_vars("centres"), 0.45)
    with pytest.raises(ValueError, match="`radius`"):
        ddm.experiments.recall_readout(runs, 0.0)


@pytest.mark.parametrize("fn, kwargs, name", [
    (ddm.experiments.e1_embedding, dict(eps_f_max=-1.0), "eps_f_max"),
    (ddm.experiments.symmetric_vs_asymmetric, dict(cycle_tolerance=1.5), "cycle_tolerance"),
    (ddm.experiments.e3_associative_memory, dict(recall_min=-1.0), "recall_min"),
    (ddm.experiments.e4_episodic_sequences, dict(reversible_ratio_max=0.5), "reversible_ratio_max"),
    (ddm.experiments.e5_decompositions, dict(ep_difference_max=-0.1), "ep_difference_max"),
])
def test_thresholds_are_checked_before_any_work(fn, kwargs, name):
    with pytest.raises(ValueError, match=name):
        fn(key=KEY, **kwargs)


def test_one_home_per_name():
    for name in ("recall_sweep", "transition_sweep", "embedding_report"):
        assert not hasattr(ddm.analysis, name), name
    assert ddm.sweep is ddm.experiments.sweep
    assert ddm.systems.state_dependent_ou().name == "state-dependent OU"
