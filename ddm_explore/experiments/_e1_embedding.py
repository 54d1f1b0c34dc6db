"""E1: drift and diffusion embedded for linear, bistable, anisotropic and state-dependent targets."""

from __future__ import annotations

import jax
import numpy as np
import xarray as xr

from .._checks import check_positive
from ..matching import fit
from ..sdes import systems
from ..simulation import simulate


def e1_targets() -> dict:
    """The E1 targets: reversible and nonequilibrium OU, double well, anisotropic and state-dependent diffusion."""
    return {
        "OU (w = 0)": (systems.ornstein_uhlenbeck(w=0.0, s=0.5), "additive"),
        "OU (w = 1)": (systems.ornstein_uhlenbeck(w=1.0, s=0.5), "additive"),
        "double well": (systems.double_well(s=0.1), "additive"),
        "anisotropic OU": (systems.ornstein_uhlenbeck(A=np.eye(2), g=[[0.5, 0.0], [0.2, 0.1]]), "additive"),
        "state-dependent": (systems.state_dependent_ou(), "multiplicative"),
    }


def e1_embedding(*, key, n_neurons: int = 256, n_trials: int = 64, t_max: float = 60.0, dt: float = 0.01,
                 bins: int = 40, eps_f_max: float = 0.01, eps_D_max: float = 0.05,
                 floor_ratio_max: float = 2.0) -> xr.Dataset:
    """E1: drift and diffusion recovered for linear, bistable, anisotropic and state-dependent targets.

    For each target of :func:`e1_targets`, fits a low-rank network (closed form), reports held-out
    eps_f and eps_D, and compares the stationary histogram of z1 from simulations of target and
    network with independent noise (``n_trials`` trials, first 10 time units dropped) against the
    distance between two independent target runs.

    Parameters
    ----------
    key : PRNG key
        Fit and simulation keys are split from it (one fold per target).
    n_neurons, n_trials : int
    t_max, dt : float
        Length and step of every run (time in tau).
    bins : int
        Histogram bins of z1 over the target's region.
    eps_f_max, eps_D_max : float
        Verdict: the largest held-out eps_f and eps_D over the targets must be at most these.
    floor_ratio_max : float
        Verdict: every target's histogram distance must be at most this many times its floor.

    Returns
    -------
    Dataset with ``eps_f``, ``eps_D``, ``hist_target`` / ``hist_network`` (target, bin) and
    ``hist_distance`` (total variation between the two histograms) and ``hist_floor`` (the same
    between two independent target runs: the sampling noise), check line in attrs.
    """
    for name, value in (("eps_f_max", eps_f_max), ("eps_D_max", eps_D_max), ("floor_ratio_max", floor_ratio_max)):
        check_positive(name, value)
    names, eps_f, eps_D, h_t, h_n, tv, floor = [], [], [], [], [], [], []
    edges_all = []
    for i, (name, (sde, noise)) in enumerate(e1_targets().items()):
        # independent noise for target, network and a second target run (the sampling floor)
        k_fit, k_t, k_n, k_floor = jax.random.split(jax.random.fold_in(key, i), 4)
        net, report = fit(sde, n_neurons, key=k_fit, noise=noise, progress=False)
        lo, hi = sde.region[0][0], sde.region[1][0]
        edges = np.linspace(lo, hi, bins + 1)
        hists = []
        for target, k_sim in ((sde, k_t), (net, k_n), (sde, k_floor)):
            ds = simulate(target, t_max=t_max, dt=dt, n_trials=n_trials, key=k_sim, record_every=10, progress=False)
            z1 = ds.z.sel(time=slice(10.0, None)).isel(latent=0).values.ravel()
            hists.append(np.histogram(z1, edges)[0] / z1.size)
        names.append(name)
        eps_f.append(float(report.eps_f))
        eps_D.append(float(report.eps_D))
        h_t.append(hists[0])
        h_n.append(hists[1])
        tv.append(0.5 * float(np.abs(hists[0] - hists[1]).sum()))
        floor.append(0.5 * float(np.abs(hists[0] - hists[2]).sum()))
        edges_all.append(edges)
    ds = xr.Dataset(
        dict(eps_f=("target", eps_f, dict(long_name="held-out relative drift error")),
             eps_D=("target", eps_D, dict(long_name="held-out relative diffusion error")),
             hist_target=(("target", "bin"), np.array(h_t)), hist_network=(("target", "bin"), np.array(h_n)),
             bin_centre=(("target", "bin"), np.array([0.5 * (e[1:] + e[:-1]) for e in edges_all])),
             hist_distance=("target", tv, dict(long_name="total variation between stationary histograms of z1")),
             hist_floor=("target", floor, dict(long_name="same, between two independent target runs"))),
        coords=dict(target=names, bin=np.arange(bins)),
        attrs=dict(n_neurons=n_neurons, n_trials=n_trials, t_max=t_max, dt=dt, burn_in=10.0))
    ratio = max(t / max(f, 1e-12) for t, f in zip(tv, floor))
    ok = max(eps_f) <= eps_f_max and max(eps_D) <= eps_D_max and ratio <= floor_ratio_max
    ds.attrs["check"] = (f"max eps_f = {max(eps_f):.4f} (<= {eps_f_max:g}), max eps_D = {max(eps_D):.3f} "
                         f"(<= {eps_D_max:g}), histogram distance / sampling floor <= {ratio:.1f} "
                         f"(<= {floor_ratio_max:g}): {'PASS' if ok else 'FAIL'}")
    ds.attrs["passed"] = int(ok)
    return ds

