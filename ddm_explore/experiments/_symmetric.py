"""Hopfield-type (symmetric) against asymmetric connectivity: only the asymmetric network carries a limit cycle."""

from __future__ import annotations

import jax
import numpy as np
import xarray as xr

from .._checks import check_positive
from ..analysis import asymmetry_index, limit_cycle
from ..matching import fit
from ..sdes import systems
from ..simulation import simulate


def symmetric_vs_asymmetric(*, key, n_neurons: int = 128, steps: int = 1000, t_max: float = 100.0,
                            dt: float = 0.01, asymmetric_eps_f_max: float = 0.005,
                            symmetric_eps_f_min: float = 0.2) -> xr.Dataset:
    """Hopfield-type (symmetric) against asymmetric connectivity on Van der Pol.

    A symmetric J gives the network a Lyapunov function, so its noise-free dynamics settle on a
    fixed point: the best symmetric fit cannot carry the limit cycle. Fits both modes (low-rank
    closed form; symmetric by Adam), simulates both noise-free from z0 = (1, 0).

    Parameters
    ----------
    key : PRNG key
    n_neurons : int
    steps : int
        Adam steps of the symmetric fit.
    t_max, dt : float
        The noise-free runs (time in tau).
    asymmetric_eps_f_max : float
        Verdict: the asymmetric fit's held-out eps_f must be at most this (and it must oscillate).
    symmetric_eps_f_min : float
        Verdict: the symmetric fit's eps_f must be at least this (and it must not oscillate).

    Returns
    -------
    Dataset with ``eps_f`` (mode), trajectories ``z`` (mode, time, latent), ``period`` and
    ``amplitude`` (mode; NaN when there is no oscillation), asymmetry index ||J_A|| / ||J||.
    """
    check_positive("asymmetric_eps_f_max", asymmetric_eps_f_max)
    check_positive("symmetric_eps_f_min", symmetric_eps_f_min)
    sde = systems.van_der_pol()
    k_a, k_s = jax.random.split(key)
    rows = {}
    for mode, k in (("asymmetric", k_a), ("symmetric", k_s)):
        conn = "low_rank" if mode == "asymmetric" else "symmetric"
        net, report = fit(sde, n_neurons, key=k, connectivity=conn, steps=steps, progress=False)
        sim = simulate(net, t_max=t_max, dt=dt, key=k, z0=[1.0, 0.0], record_every=5, deterministic=True, progress=False)
        cyc = limit_cycle(sim.z)
        J = np.asarray(net.J, np.float64)
        rows[mode] = (float(report.eps_f), sim.z.isel(trial=0).values, float(cyc.period[0]), float(cyc.amplitude[0]),
                      asymmetry_index(J))
    target = simulate(sde, t_max=t_max, dt=dt, key=key, z0=[1.0, 0.0], record_every=5, deterministic=True, progress=False)
    modes = list(rows)
    ds = xr.Dataset(
        dict(eps_f=("mode", [rows[m][0] for m in modes]),
             z=(("mode", "time", "latent"), np.stack([rows[m][1] for m in modes])),
             z_target=(("time", "latent"), target.z.isel(trial=0).values),
             period=("mode", [rows[m][2] for m in modes], dict(units="tau")),
             amplitude=("mode", [rows[m][3] for m in modes]),
             asymmetry=("mode", [rows[m][4] for m in modes], dict(long_name="||J_A||_F / ||J||_F"))),
        coords=dict(mode=modes, time=target.time.values, latent=[0, 1]),
        attrs=dict(n_neurons=n_neurons, steps=steps, t_max=t_max, dt=dt, target="Van der Pol (mu = 1)"))
    a, s = ds.sel(mode="asymmetric"), ds.sel(mode="symmetric")
    ok = (float(a.eps_f) <= asymmetric_eps_f_max and float(s.eps_f) >= symmetric_eps_f_min
          and np.isfinite(float(a.period)) and np.isnan(float(s.period)))
    ds.attrs["check"] = (f"asymmetric: eps_f = {float(a.eps_f):.4f}, oscillates: {bool(np.isfinite(float(a.period)))}; "
                         f"symmetric: eps_f = {float(s.eps_f):.1f}, oscillates: {bool(np.isfinite(float(s.period)))}, "
                         f"asymmetry index = {float(s.asymmetry):.1e}: {'PASS' if ok else 'FAIL'}")
    ds.attrs["passed"] = int(ok)
    return ds

