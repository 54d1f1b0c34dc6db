"""E2: nonequilibrium and chaotic targets: two limit cycles and the Lorenz attractor in a 3-D latent space."""

from __future__ import annotations

import jax
import numpy as np
import xarray as xr

from .._checks import check_int, check_key, check_positive
from ..analysis import limit_cycle, lyapunov_exponent, power_spectrum_distance, state_space_divergence
from ..matching import fit, occupation
from ..sdes import systems
from ..simulation import simulate


def _e2_limit_cycles(key, n_neurons, t_max, dt):
    """Fit Van der Pol and Stuart–Landau, run target and network noise-free from z0 = (1, 0)."""
    targets = {"Van der Pol": systems.van_der_pol(), "Stuart–Landau": systems.stuart_landau(b=0.5)}
    eps_f, z, period, amplitude = [], [], [], []
    for i, sde in enumerate(targets.values()):
        k_fit, k_sim = jax.random.split(jax.random.fold_in(key, i))
        net, report = fit(sde, n_neurons, key=k_fit, progress=False)
        runs = [simulate(s, t_max=t_max, dt=dt, key=k_sim, z0=[1.0, 0.0], record_every=5, deterministic=True,
                         progress=False) for s in (sde, net)]
        cycles = [limit_cycle(r.z, discard=0.5) for r in runs]
        eps_f.append(float(report.eps_f))
        z.append(np.stack([r.z.isel(trial=0).values for r in runs]))
        period.append([float(c.period[0]) for c in cycles])
        amplitude.append([float(c.amplitude[0]) for c in cycles])
    time = runs[0].time.values
    return xr.Dataset(
        dict(cycle_eps_f=("oscillator", eps_f, dict(long_name="held-out relative drift error")),
             cycle_z=(("oscillator", "system", "cycle_time", "plane"), np.stack(z)),
             period=(("oscillator", "system"), period, dict(units="tau")),
             amplitude=(("oscillator", "system"), amplitude, dict(units="latent units", long_name="half peak-to-peak of z1"))),
        coords=dict(oscillator=list(targets), cycle_time=("cycle_time", time, dict(units="tau")), plane=[0, 1]))


def _e2_lorenz(key, n_neurons, ridge, t_max, n_trials, lyapunov_t_max, lyapunov_trials, t_show, dt):
    """Lorenz-63 in a 3-D latent space: fit on the occupation measure, compare attractors, spectra and
    largest Lyapunov exponents of target and noise-free network."""
    sde = systems.lorenz63()
    T = float(sde.params["time_scale"])
    k_occ, k_fit, k_start, k_tgt, k_net, k_lyap, k_show = jax.random.split(key, 7)
    occ = simulate(sde, t_max=1000.0, dt=dt, n_trials=4, key=k_occ, record_every=10, progress=False)
    sampler = occupation(occ.z.sel(time=slice(100.0, None)))
    net, report = fit(sde, n_neurons, key=k_fit, sampler=sampler, ridge=ridge, progress=False)

    # three independent target runs (the sampling floor) and one network run, all from points on the attractor
    starts = np.asarray(sampler.sample(k_start, 4 * n_trials))
    run = dict(t_max=t_max, dt=dt, record_every=10, deterministic=True, progress=False)
    tgt = simulate(sde, n_trials=3 * n_trials, key=k_tgt, z0=starts[:3 * n_trials], **run).z.sel(time=slice(50.0, None))
    model = simulate(net, n_trials=n_trials, key=k_net, z0=starts[3 * n_trials:], **run).z.sel(time=slice(50.0, None))
    refs = [tgt.isel(trial=slice(j * n_trials, (j + 1) * n_trials)) for j in range(3)]
    pairs = [(0, 1), (0, 2), (1, 2)]
    d_stsp = [np.mean([state_space_divergence(r, model) for r in refs]),
              np.mean([state_space_divergence(refs[i], refs[j]) for i, j in pairs])]
    d_h = [np.mean([power_spectrum_distance(r, model) for r in refs]),
           np.mean([power_spectrum_distance(refs[i], refs[j]) for i, j in pairs])]

    # largest Lyapunov exponents of the noise-free flows (the network's in all N neurons), original time units
    lyap_starts = np.asarray(sampler.sample(k_lyap, lyapunov_trials))
    lyap = [lyapunov_exponent(s, key=k_lyap, t_max=lyapunov_t_max, t_transient=50.0, dt=0.05, n_trials=lyapunov_trials,
                              z0=lyap_starts, time_scale=T) for s in (sde, net)]

    # one trajectory of each from the same start on the attractor, to draw
    z0 = np.asarray(sampler.sample(k_show, 1))
    show = [simulate(s, t_max=t_show, dt=dt, key=k_show, z0=z0, record_every=10, deterministic=True, progress=False)
            for s in (sde, net)]
    return xr.Dataset(
        dict(lorenz_eps_f=((), float(report.eps_f), dict(long_name="held-out relative drift error (occupation measure)")),
             D_stsp=("comparison", d_stsp, dict(units="nats", long_name="state-space divergence, mean over 3 target runs")),
             D_H=("comparison", d_h, dict(long_name="power-spectrum Hellinger distance, mean over 3 target runs")),
             lyapunov=("system", [float(r.exponent_original) for r in lyap], dict(units="1/original time unit")),
             lyapunov_sem=("system", [float(r.exponent_sem) * T for r in lyap], dict(units="1/original time unit")),
             lorenz_z=(("system", "lorenz_time", "axis"), np.stack([s.z.isel(trial=0).values for s in show]))),
        coords=dict(comparison=["network", "floor"], lorenz_time=("lorenz_time", show[0].time.values, dict(units="tau")),
                    axis=[0, 1, 2]),
        attrs=dict(lorenz_time_scale=T))


def e2_nonequilibrium_chaos(*, key, n_neurons: int = 256, lorenz_neurons: int = 512, lorenz_ridge: float = 1e-7,
                            t_cycle: float = 160.0, lorenz_t_max: float = 500.0, lorenz_trials: int = 16,
                            lyapunov_t_max: float = 500.0, lyapunov_trials: int = 16, t_show: float = 200.0,
                            dt: float = 0.01, cycle_tolerance: float = 0.03, lyapunov_tolerance: float = 0.05,
                            floor_factor: float = 2.0) -> xr.Dataset:
    """E2: nonequilibrium and chaotic targets: two limit cycles and the Lorenz attractor.

    *Limit cycles.* Van der Pol (mu = 1) and Stuart–Landau (mu = 1, omega = 1, b = 0.5) are each fitted by
    a low-rank network of ``n_neurons`` (closed form, box measure); target and network run noise-free
    from z0 = (1, 0) for ``t_cycle`` and :func:`ddm_explore.analysis.limit_cycle` measures period and
    amplitude on the second half.

    *Lorenz-63* (``time_scale`` 10) is fitted in a 3-D latent space by ``lorenz_neurons`` neurons on the
    occupation measure of 4 x 1000 tau of target runs (ridge ``lorenz_ridge``). Geometry: D_stsp of the
    network's attractor (``lorenz_trials`` trials x ``lorenz_t_max``, first 50 tau dropped) against three
    independent target runs of the same size, averaged, next to the floor (the mean D_stsp between the
    three target runs); D_H likewise. Dynamics: the largest Lyapunov exponent of the noise-free target and
    network (the network's full N-dimensional flow; ``lyapunov_trials`` starts on the attractor, each
    averaged over ``lyapunov_t_max``), RK4 at dt = 0.05, in original time units. For the figure, target
    and network also run ``t_show`` from one common start.

    The check asks: periods and amplitudes within ``cycle_tolerance`` (relative) of the target's; the
    network's exponent within ``lyapunov_tolerance`` (relative) of 0.906; network D_stsp and D_H each at
    most ``floor_factor`` times their floor. Lorenz runs are chaotic, so their numbers change with the
    last bits of floating point (another CPU): the check line gives them as verdicts against the
    thresholds; the numbers are in the Dataset.

    Returns
    -------
    Dataset with ``period``, ``amplitude`` (oscillator, system), ``cycle_eps_f`` (oscillator), trajectories
    ``cycle_z`` (oscillator, system, cycle_time, plane); ``lorenz_eps_f``, ``D_stsp`` and ``D_H``
    (comparison: network, floor), ``lyapunov`` and ``lyapunov_sem`` (system), trajectories ``lorenz_z``
    (system, lorenz_time, axis) of target and network from one common start; check line in attrs.
    """
    key = check_key("key", key)
    n_neurons = check_int("n_neurons", n_neurons, minimum=2)
    lorenz_neurons = check_int("lorenz_neurons", lorenz_neurons, minimum=3)
    lorenz_trials, lyapunov_trials = check_int("lorenz_trials", lorenz_trials), check_int("lyapunov_trials", lyapunov_trials)
    for name, value in (("lorenz_ridge", lorenz_ridge), ("t_cycle", t_cycle), ("lyapunov_t_max", lyapunov_t_max),
                        ("t_show", t_show), ("dt", dt), ("floor_factor", floor_factor)):
        check_positive(name, value)
    if check_positive("lorenz_t_max", lorenz_t_max) <= 50.0:
        raise ValueError(f"`lorenz_t_max` must be longer than the 50 tau transient that is dropped, got {lorenz_t_max}")
    for name, value in (("cycle_tolerance", cycle_tolerance), ("lyapunov_tolerance", lyapunov_tolerance)):
        if not 0 < check_positive(name, value) < 1:
            raise ValueError(f"`{name}` must be in (0, 1), got {value}")
    k_cyc, k_lor = jax.random.split(key)
    cyc = _e2_limit_cycles(k_cyc, n_neurons, t_cycle, dt)
    lor = _e2_lorenz(k_lor, lorenz_neurons, lorenz_ridge, lorenz_t_max, lorenz_trials, lyapunov_t_max,
                     lyapunov_trials, t_show, dt)
    ds = xr.merge([cyc, lor], combine_attrs="drop_conflicts")
    ds = ds.assign_coords(system=["target", "network"])
    ds.attrs.update(n_neurons=n_neurons, lorenz_neurons=lorenz_neurons, lorenz_ridge=lorenz_ridge, t_cycle=t_cycle,
                    lorenz_t_max=lorenz_t_max, lorenz_trials=lorenz_trials, lyapunov_t_max=lyapunov_t_max,
                    lyapunov_trials=lyapunov_trials, dt=dt, lyapunov_reference=systems.LORENZ_EXPONENT)
    ratio_T = ds.period.sel(system="network") / ds.period.sel(system="target")
    ratio_A = ds.amplitude.sel(system="network") / ds.amplitude.sel(system="target")
    cycles_ok = bool(np.all(np.abs(ratio_T - 1) <= cycle_tolerance) and np.all(np.abs(ratio_A - 1) <= cycle_tolerance))
    ref = systems.LORENZ_EXPONENT
    lam = float(ds.lyapunov.sel(system="network"))
    lam_ok = abs(lam - ref) <= lyapunov_tolerance * ref
    stsp_ok = float(ds.D_stsp.sel(comparison="network")) <= floor_factor * float(ds.D_stsp.sel(comparison="floor"))
    dh_ok = float(ds.D_H.sel(comparison="network")) <= floor_factor * float(ds.D_H.sel(comparison="floor"))
    ok = cycles_ok and lam_ok and stsp_ok and dh_ok
    yes = {True: "yes", False: "no"}
    cycles = "; ".join(f"{o}: period ratio {float(ratio_T.sel(oscillator=o)):.3f}, amplitude ratio "
                       f"{float(ratio_A.sel(oscillator=o)):.3f}" for o in ds.oscillator.values)
    ds.attrs["check"] = (f"{cycles} (within {100 * cycle_tolerance:g}%: {yes[cycles_ok]}); Lorenz-63: network "
                         f"lambda_max within {100 * lyapunov_tolerance:g}% of {ref}: {yes[lam_ok]}, "
                         f"D_stsp <= {floor_factor:g} x floor: {yes[stsp_ok]}, D_H <= {floor_factor:g} x floor: {yes[dh_ok]}: "
                         f"{'PASS' if ok else 'FAIL'}")
    ds.attrs["passed"] = int(ok)
    return ds

