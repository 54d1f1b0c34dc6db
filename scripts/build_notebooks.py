"""Write and execute the gallery notebooks (their outputs are committed and nbval re-checks them).

    .venv/bin/python scripts/build_notebooks.py            # all
    .venv/bin/python scripts/build_notebooks.py 01 06      # those whose name starts so
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _notebook_build import build, code, md, show  # noqa: E402

NOTEBOOKS: dict[str, list] = {}

NOTEBOOKS["00_quickstart"] = [
    md("""# 00 · Quickstart: embed Van der Pol in a rate network

**What it shows:** train a 256-neuron rate network by drift–diffusion matching so that its 2-D latent
subspace carries the Van der Pol oscillator, then simulate all 256 neurons and compare the latent
trajectory with the target's. **Time:** about 15 s on 2 CPU cores."""),
    code("""import jax
import numpy as np
import plotly.graph_objects as go
import ddm_explore as ddm

sde = ddm.systems.van_der_pol(mu=1.0, sigma=0.1)
sde"""),
    md("""Fit: the closed-form (ridge) solution for a low-rank network, `J = M W^T`. The report is an
`xarray.Dataset` with the held-out relative errors of drift (`eps_f`) and diffusion (`eps_D`)."""),
    code("""net, report = ddm.fit(sde, n_neurons=256, key=jax.random.key(0), progress=False)
print(f"N = {net.n_neurons}, eps_f = {float(report.eps_f):.4f} (<= 0.005: {float(report.eps_f) <= 0.005}), "
      f"eps_D = {float(report.eps_D):.4f}")"""),
    md("""Simulate the network (all N neurons, Euler–Maruyama) and the target, from the same start and
with noise switched off, then measure the limit cycle."""),
    code("""kw = dict(t_max=80.0, dt=0.01, z0=[1.0, 0.0], record_every=5, deterministic=True, progress=False)
sim_net = ddm.simulate(net, key=jax.random.key(1), **kw)
sim_sde = ddm.simulate(sde, key=jax.random.key(1), **kw)
cyc_net = ddm.analysis.limit_cycle(sim_net.z)
cyc_sde = ddm.analysis.limit_cycle(sim_sde.z)
ratio_T = float(cyc_net.period[0] / cyc_sde.period[0])
ratio_A = float(cyc_net.amplitude[0] / cyc_sde.amplitude[0])
print(f"period ratio = {ratio_T:.3f}, amplitude ratio = {ratio_A:.3f}, within 3%: {abs(ratio_T - 1) < 0.03 and abs(ratio_A - 1) < 0.03}")"""),
    md("""The target is drawn as a wide grey band and the network as a thin dashed red line on top of it:
where they agree the red line runs inside the band. On the right, z1 against time: the network's
cycle keeps the target's period."""),
    show("""from plotly.subplots import make_subplots

fig = make_subplots(1, 2, subplot_titles=("phase plane", "z1 against time"), horizontal_spacing=0.12)
styles = {"target": dict(color="rgba(120, 120, 120, 0.45)", width=7),   # wide grey band, drawn first
          "network": dict(color="#d62728", width=2, dash="dash")}       # thin dashed red, drawn on top
for name, ds in (("target", sim_sde), ("network", sim_net)):
    z = ds.z.isel(trial=0)
    fig.add_scatter(x=z.sel(latent=0).values, y=z.sel(latent=1).values, mode="lines", name=name,
                    line=styles[name], legendgroup=name, row=1, col=1)
    fig.add_scatter(x=ds.time.values, y=z.sel(latent=0).values, mode="lines", name=name, line=styles[name],
                    legendgroup=name, showlegend=False, row=1, col=2)
fig.update_xaxes(title_text="z1", row=1, col=1)
fig.update_yaxes(title_text="z2", row=1, col=1)
fig.update_xaxes(title_text="time (tau)", range=[0, 40], row=1, col=2)
fig.update_yaxes(title_text="z1", row=1, col=2)
fig.update_layout(width=900, height=420, title="Latent trajectories: target and network from the same start",
                  template="plotly_white", legend=dict(orientation="h", y=-0.2))
fig.show()"""),
    md("""With noise on: 8 noisy trials of the network, recording the neurons too."""),
    show("""noisy = ddm.simulate(net, t_max=20.0, dt=0.01, n_trials=8, key=jax.random.key(2), record_every=10,
                     record_neurons=True, progress=False)
print(dict(noisy.sizes))
rates = np.tanh(noisy.x.isel(trial=0).values[:, :40].T)
go.Figure(go.Heatmap(z=rates, x=noisy.time.values, colorscale="RdBu", zmid=0)).update_layout(
    title="rates of 40 neurons, trial 0", xaxis_title="time (tau)", yaxis_title="neuron", height=350).show()"""),
]

NOTEBOOKS["01_e1_embedding"] = [
    md("""# 01 · E1 — Embedding drift and diffusion

**What it shows:** drift–diffusion matching recovers the drift *and* the diffusion of five targets in a
256-neuron network: a reversible OU process (w = 0), a nonequilibrium rotational OU process (w = 1), the
double well, an OU process with anisotropic noise, and one with state-dependent noise (matched by
rate-gated, multiplicative network noise). The check compares held-out errors with their bounds and
the stationary histograms of network and target with the sampling floor (two independent target runs).
**Time:** about 45 s on 2 CPU cores."""),
    code("""import jax
import ddm_explore as ddm
from ddm_explore import experiments
from ddm_explore.panels.paper_figures import plot_e1

ds = experiments.e1_embedding(key=jax.random.key(0))
print(ds.attrs["check"])"""),
    code("""for name in ds.target.values:
    sel = ds.sel(target=name)
    print(f"{str(name):>16}: eps_f = {float(sel.eps_f):.3f}, eps_D = {float(sel.eps_D):.3f}, "
          f"TV = {float(sel.hist_distance):.2f} (floor {float(sel.hist_floor):.2f})")"""),
    show("plot_e1(ds).show()"),
]

NOTEBOOKS["02_e2_cycles_and_chaos"] = [
    md("""# 02 · E2 — Limit cycles and chaos

**What it shows:** rate networks carry dynamics that no equilibrium (gradient) system has. Two limit cycles,
Van der Pol (mu = 1) and Stuart–Landau (mu = 1, omega = 1, shear b = 0.5, so the frequency depends on the
amplitude), each embedded in a 256-neuron network: the period and amplitude of the network's noise-free
cycle against the target's. Then the Lorenz-63 attractor in the 3-D latent space of a 512-neuron network,
fitted on the occupation measure of target runs: the attractor's geometry (state-space divergence D_stsp)
and power spectrum (Hellinger distance D_H), each against the floor between independent target runs, and
the largest Lyapunov exponent of the noise-free network's full 512-dimensional flow, in Lorenz's original
time units, against the known 0.906. **Time:** about 60 s of CPU time on 2 cores (longer on a shared machine)."""),
    code("""import jax
from ddm_explore import experiments
from ddm_explore.panels.paper_figures import plot_e2

ds = experiments.e2_nonequilibrium_chaos(key=jax.random.key(0))
print(ds.attrs["check"])"""),
    md("""The cycles: both runs start at z = (1, 0) without noise; period and amplitude (half the peak-to-peak
range of z1) are measured on the second half of 160 tau."""),
    code("""for o in ds.oscillator.values:
    sel = ds.sel(oscillator=o)
    print(f"{o:>14}: period target {float(sel.period.sel(system='target')):.3f}, "
          f"network {float(sel.period.sel(system='network')):.3f}; amplitude target "
          f"{float(sel.amplitude.sel(system='target')):.3f}, network {float(sel.amplitude.sel(system='network')):.3f}; "
          f"eps_f = {float(sel.cycle_eps_f):.1e}")"""),
    md("""Lorenz-63 is chaotic: two runs that differ in the last bit of one number part after a few Lyapunov
times (the lower-left panel of the figure shows it for target against network). So these numbers change
with the CPU's floating-point details, while their statistics do not: the next cell's output is not
compared by nbval; the check line above holds the verdicts against the stated thresholds."""),
    show("""print(f"held-out eps_f = {float(ds.lorenz_eps_f):.1e} (on the occupation measure)")
for name in ("D_stsp", "D_H"):
    print(f"{name}: network {float(ds[name].sel(comparison='network')):.4f}, "
          f"floor {float(ds[name].sel(comparison='floor')):.4f} (mean over 3 target runs)")
for system in ("target", "network"):
    print(f"lambda_max {system}: {float(ds.lyapunov.sel(system=system)):.3f} "
          f"+- {float(ds.lyapunov_sem.sel(system=system)):.3f} per original time unit (reference 0.906)")"""),
    show("plot_e2(ds).show()"),
    md("""## What to try

- Another draw: `experiments.e2_nonequilibrium_chaos(key=jax.random.key(1))`. The cycle ratios stay at 1.000;
  the Lorenz numbers move within their sampling error and the verdicts hold.
- Break it: `experiments.e2_nonequilibrium_chaos(key=jax.random.key(0), n_neurons=4, lorenz_neurons=8)`: too few
  neurons to carry the drift; the check line says FAIL.
- A relaxation oscillator: fit `ddm.systems.van_der_pol(mu=3.0)` with `ddm.fit` and compare
  `ddm.analysis.limit_cycle` of target and network runs (notebook 00 shows the calls). How many
  neurons does the sharper cycle need?
- Where does chaos begin? `ddm.analysis.lyapunov_exponent(ddm.systems.lorenz63(rho=rho), key=jax.random.key(0),
  t_max=500.0, dt=0.05)` for rho from 10 to 30 (target only, a few seconds each): where does the
  exponent turn positive?
- Symmetric connectivity cannot carry any of this: notebook 06."""),
]

NOTEBOOKS["03_e3_associative_memory"] = [
    md("""# 03 · E3 — Associative memory: cued recall

**What it shows:** four memories as wells on a ring, `V = k (|z|^2 - 1)^2 - h Re((z1 + i z2)^4)` with drift
`f = -grad V + u` and noise D = 0.1, embedded in a 128-neuron network. Each trial starts in one memory; a
cue pulse (the input u, pointing at a memory, from t = 1 for a duration of 2 or 5 tau) tilts the landscape;
recall is where the state sits 5 tau after the cue. Recall accuracy rises from chance (1/4) to nearly 1
with the cue amplitude, the same for target and network. 64 trials per cell in a balanced design (every
start with every cued memory); target and network are driven by the same noise draws, so their
difference measures the network's dynamics, not sampling noise. **Time:** about 35 s of CPU time on 2 cores
(longer on a shared machine)."""),
    code("""import jax
from ddm_explore import experiments
from ddm_explore.panels.paper_figures import plot_e3

ds = experiments.e3_associative_memory(key=jax.random.key(0))
print(ds.attrs["check"])"""),
    code("""print(f"network eps_f = {float(ds.eps_f):.1e}")
for dur in ds.duration.values:
    for amp in ds.amplitude.values:
        acc = ds.accuracy.sel(duration=dur, amplitude=amp)
        print(f"cue {float(dur):g} tau, amplitude {float(amp):.1f}: target {100 * float(acc.sel(system='target')):3.0f}%, "
              f"network {100 * float(acc.sel(system='network')):3.0f}%")"""),
    show("plot_e3(ds).show()"),
    md("""## What to try

- Independent noise for target and network: `ddm.experiments.recall_sweep(..., paired=False)` (the call is in
  `experiments.e3_associative_memory`). The two curves now also differ by sampling noise (the binomial
  standard error of one cell is up to 6 percentage points at 64 trials).
- Shallower wells: `ddm.systems.ring_wells(c=0.0, D=0.1, h=0.15)` in `recall_sweep`. Does a weaker cue
  suffice? What happens to the zero-cue score?
- More noise: `experiments.e3_associative_memory(key=jax.random.key(0), D=0.2)`. Which part of the check
  breaks first?
- Break it: `experiments.e3_associative_memory(key=jax.random.key(0), n_neurons=3)`; the check line says FAIL."""),
]

NOTEBOOKS["04_e4_episodic_sequences"] = [
    md("""# 04 · E4 — Episodic sequences from a nonequilibrium current

**What it shows:** the same four wells on a ring, plus a rotational current around the ring's centre:
`f = -grad V + c R z` (R the 90-degree rotation), noise D = 0.15 and no input. With c = 0 the dynamics
are reversible and the state hops between neighbouring memories as often clockwise as anticlockwise;
with c > 0 it visits them in order, anticlockwise: an autonomous sequence. A 128-neuron network is fitted
to the target at each c and both are simulated with independent noise, 64 trials x 400 tau each; the
check compares forward and backward transitions and the transition rates. (The drift
`-(I + c R) grad V` would not do this: its current circulates along the level sets of V, around each
well, with no net flux around the ring. Notebook 05 uses it for the irreversibility decomposition.)
**Time:** about 45 s of CPU time on 2 cores (longer on a shared machine)."""),
    code("""import jax
import ddm_explore as ddm
from ddm_explore import experiments
from ddm_explore.panels.paper_figures import plot_e4

ds = experiments.e4_episodic_sequences(key=jax.random.key(0))
print(ds.attrs["check"])"""),
    code("""for c in ds.c.values:
    for system in ("target", "network"):
        r = ds.sel(c=c, system=system)
        cycle = f", mean cycle time {float(r.mean_cycle_time):.0f} tau" if c > 0 else ""
        print(f"c = {c:.1f} {system:>7}: {int(r.n_forward):4d} forward, {int(r.n_backward):3d} backward, "
              f"rate {float(r.transition_rate):.3f} / tau{cycle}")"""),
    show("plot_e4(ds).show()"),
    md("""One trial of the target at c = 0 and at c = 0.4 (same noise draws): the last memory visited, over
time. Memories are numbered anticlockwise, so with the current the sequence reads 0, 1, 2, 3, 0, ..."""),
    show("""from plotly.subplots import make_subplots

C = ddm.systems.ring_centres(K=4)
fig = make_subplots(rows=2, cols=1, shared_xaxes=True, subplot_titles=["c = 0", "c = 0.4"])
for row, c in enumerate((0.0, 0.4), start=1):
    run = ddm.simulate(ddm.systems.ring_wells(c=c, D=0.15), t_max=300.0, dt=0.01, key=jax.random.key(1),
                       z0=C[0], record_every=10, progress=False)
    last = ddm.analysis.transitions(run.z, C, radius=0.45, min_transitions=0).last_state.isel(trial=0)
    fig.add_scatter(x=last.time.values, y=last.values, mode="lines", line_shape="hv", showlegend=False, row=row, col=1)
    fig.update_yaxes(title_text="memory", tickvals=[0, 1, 2, 3], row=row, col=1)
fig.update_xaxes(title_text="time (tau)", row=2, col=1)
fig.update_layout(height=420, width=900).show()"""),
    md("""## What to try

- More noise: `experiments.e4_episodic_sequences(key=jax.random.key(0), D=0.1)` and `D=0.2`. How do the number
  of transitions and the forward/backward ratio change? (METHOD.md E4 lists 363 / 3 at D = 0.1 and
  1206 / 58 at D = 0.15 for c = 0.4.)
- A reversed sequence: `cs=(0.0, -0.4)`. Which way round does the state go now, and what does the check
  line say?
- Cycle time against c: `cs=(0.2, 0.3, 0.4, 0.6)` and `ds.mean_cycle_time`.
- Break it: `experiments.e4_episodic_sequences(key=jax.random.key(0), n_neurons=3)`; the check line says FAIL."""),
]

NOTEBOOKS["05_e5_decompositions"] = [
    md("""# 05 · E5 — Irreversibility: reversible and irreversible drift, entropy production

**What it shows:** for four wells on a ring with drift `f = -(I + c R) grad V` (the stationary density is
`exp(-V / D)` for every c; `f_irr = -c R grad V`), the entropy production rate `e_p` of the target and of a
fitted 256-neuron network, from a finite-volume Fokker–Planck solve on an 80 x 80 grid, for c = 0, 0.5, 1.
At c = 1 the network's connectivity is split into `J = J_rev + J_irr`: the network with `J_rev` alone is
reversible (`e_p` near zero) with the same stationary density. **Time:** about 20 s on 2 CPU cores."""),
    code("""import jax
from ddm_explore import experiments
from ddm_explore.panels.paper_figures import plot_e5

ds = experiments.e5_decompositions(key=jax.random.key(0))
print(ds.attrs["check"])"""),
    code("""for c in ds.c.values:
    print(f"c = {c:.1f}: e_p target = {float(ds.entropy_production_target.sel(c=c)):.2f}, "
          f"network = {float(ds.entropy_production_network.sel(c=c)):.2f}, asymmetry index = {float(ds.asymmetry.sel(c=c)):.2f}")
print(f"J_rev alone: e_p = {float(ds.entropy_production_rev):.3f}; J_rev + J_irr / 2: e_p = "
      f"{float(ds.entropy_production_half):.2f} (about e_p / 4: f_irr halves, p barely changes)")
print(f"at ridge {ds.attrs['ridge']:g}: ||J_irr|| / ||J|| = {float(ds.norm_ratio_irr):.2f}, "
      f"alignment of J_irr with J_A (Frobenius cosine) = {float(ds.alignment_irr_A):.2f}")"""),
    md("""What depends on the ridge of the split and what does not: the features of 256 neurons on a 2-D manifold
are nearly collinear, so `J_irr` is fixed only up to their null space (the ridge picks the minimum-norm one
for its fit error). Its norm and its alignment with `J_A` move with the ridge (0.57 / 0.21 / 0.11 and
0.22 / 0.19 / 0.11 at ridge 1e-9 / 1e-7 / 1e-5 for a 256-neuron fit to this ring at c = 1, on a 100 x 100
grid); the e_p of `J_rev` and of
`J_rev + J_irr / 2`, and the drift `J_irr` produces on the manifold, do not. Quote those.

Note the asymmetry index too: for a low-rank `J = M W^T`, `||J_A||^2 / ||J||^2 = (1 - tr((W^T M)^2) / (N ||W||^2)) / 2`,
near 1/2 (index 0.707) whenever the readout `W` is not aligned with the embedding `M`: at c = 0 as well, where
the latent SDE is reversible. The index of a low-rank J tells how its readout lies against its embedding, not
whether the dynamics are irreversible. Asymmetric connectivity and time-irreversibility are not the same thing."""),
    show("plot_e5(ds).show()"),
]

NOTEBOOKS["06_symmetric_vs_asymmetric"] = [
    md("""# 06 · Why Hopfield networks cannot do this

**What it shows:** a network with symmetric connectivity `J = J^T` (the Hopfield class) has a Lyapunov
(energy) function `E(x) = sum_i int_0^{phi(x_i)} phi^{-1}(r) dr - 1/2 phi^T J phi - b^T phi`, which decreases
along every noise-free trajectory. So its dynamics can only settle on fixed points: no limit cycle, no
chaos, no probability currents. We fit an asymmetric low-rank network (closed form) and two symmetric ones
to the Van der Pol oscillator: Adam from a random start with the usual off-manifold penalty, and the best
symmetric drift fit we found, preconditioned descent with no off-manifold penalty (`lambda_inv = 0`,
300 steps), which matches the drift on the manifold to about 1%. Every network is then judged the only
way that counts: simulated without noise in all its neurons, next to the target simulated. We also
simulate each network's on-manifold latent flow `f_net` (`net.latent_sde()`), which shows what the drift
fit alone would promise, and estimate the largest Lyapunov exponent of the full N-dimensional flow.
**Time:** about 40 s on 2 CPU cores."""),
    code("""import jax
from ddm_explore import experiments
from ddm_explore.panels.paper_figures import plot_symmetric_vs_asymmetric

ds = experiments.symmetric_vs_asymmetric(key=jax.random.key(0))
print(ds.attrs["check"])"""),
    md("""The asymmetric network follows the target's limit cycle. The `lambda_inv = 0` symmetric fit has a
small drift error, and its latent flow (grey, dashed) cycles like the target; but the network itself,
with all its neurons, leaves the manifold and settles on a fixed point (black dot), and so does the Adam
fit. Both symmetric networks have a negative largest exponent: their flows contract. A small `eps_f` is
not a certificate of what a network does; only its simulation is. The asymmetry index
`||J_A||_F / ||J||_F` of the symmetric fits is exactly zero."""),
    show("plot_symmetric_vs_asymmetric(ds).show()"),
]

NOTEBOOKS["07_from_data"] = [
    md("""# 07 · Learning from data: trajectories in, network out

**What it shows:** `ddm.fit` on recorded trajectories instead of formulas. The data are 32 noisy
Van der Pol trajectories observed every Delta = 0.02 (as a simulation code or a dimensionality-reduced
recording would give them: an xarray DataArray with dims (trial, time, latent)). The network's readout is the
regression of the increments on its own features, with the O(Delta) bias of the plain Euler regression
removed by a two-step target, the ridge chosen on held-out trials, and the noise loading from the
residuals: no formula of the target is used. We compare the fitted drift and diffusion with the truth,
run the fitted network beside the data, and close the loop through neurons: record a network's own
neurons (with private noise), reduce them by PCA, refit a new network to the latent variable.
**Time:** about 40 s on 2 CPU cores."""),
    code("""import jax
import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots
import ddm_explore as ddm

truth = ddm.systems.van_der_pol(sigma=0.2)
data = ddm.simulate(truth, t_max=100.0, dt=0.005, n_trials=32, key=jax.random.key(1), record_every=4,
                    z0=np.tile([2.0, 0.0], (32, 1)), progress=False).z
print(dict(data.sizes), f"Delta = {float(data.time[1] - data.time[0]):.3f}")"""),
    md("""Fit a 256-neuron network to the data. `truth` is passed only so that the report can measure the
errors against it (on the data's own states); the fit itself sees the trajectories alone."""),
    code("""net, report = ddm.fit(data, 256, key=jax.random.key(0), solver=ddm.FromData(truth=truth))
print(f"eps_f = {float(report.eps_f):.3f} (noise alone predicts {float(report.drift_standard_error):.3f}), "
      f"eps_D = {float(report.eps_D):.3f}")
print(f"held-out one-step error / noise floor = {float(report.held_out_error / report.held_out_floor):.3f}, "
      f"ridge {report.attrs['ridge']:.0e}, {float(report.samples_per_feature):.0f} increments per feature")
print(f"Euler bias measured on the data: {float(report.drift_bias):.3f} (drift), "
      f"{float(report.diffusion_bias):.3f} (diffusion)")
D = report.diffusion.values
print(f"diffusion estimate D = [{D[0, 0]:.4f}, {D[1, 1]:.4f}] (truth {truth.params['sigma'] ** 2 / 2:.4f})")"""),
    md("""The fitted drift against the truth at 400 of the data's states (each component); the noise-free cycle
of the network (all 256 neurons) against the truth's; and the data beside a run of the fitted network from
the same starts, with its own noise. (The period of a noisy run is a noisy number: 32 trials of 100 tau
give it to about 1%, and it moves by 3% between Euler–Maruyama steps of 0.005 and 0.01; the noise-free cycle
is the sharp check.)"""),
    code("""states = data.values.reshape(-1, 2)[::800]
f_true = np.asarray(truth.latent_drift(states))
f_net = np.asarray(net.latent_drift(states))
run = ddm.simulate(net, t_max=100.0, dt=0.01, n_trials=32, key=jax.random.key(2), record_every=2,
                   z0=np.tile([2.0, 0.0], (32, 1)), progress=False).z
kw = dict(t_max=80.0, dt=0.01, z0=[2.0, 0.0], record_every=2, deterministic=True, progress=False)
cycles = [ddm.analysis.limit_cycle(ddm.simulate(s, key=jax.random.key(0), **kw).z) for s in (truth, net)]
ratio_T = float(cycles[1].period[0] / cycles[0].period[0])
ratio_A = float(cycles[1].amplitude[0] / cycles[0].amplitude[0])
print(f"noise-free cycle, network / truth: period ratio {ratio_T:.3f}, amplitude ratio {ratio_A:.3f}, within 1%: "
      f"{abs(ratio_T - 1) < 0.01 and abs(ratio_A - 1) < 0.01}")"""),
    show("""fig = make_subplots(rows=1, cols=2, subplot_titles=("fitted drift against the truth", "data and network run (trial 0)"))
for i, name in enumerate(("f1", "f2")):
    fig.add_scatter(x=f_true[:, i], y=f_net[:, i], mode="markers", marker=dict(size=4), name=name, row=1, col=1)
lim = float(np.abs(f_true).max())
fig.add_scatter(x=[-lim, lim], y=[-lim, lim], mode="lines", line=dict(color="grey", dash="dash"), name="identity", row=1, col=1)
for name, z in (("data", data), ("network", run)):
    z0 = z.isel(trial=0).sel(time=slice(50.0, None))
    fig.add_scatter(x=z0.sel(latent=0).values, y=z0.sel(latent=1).values, mode="lines", name=name, row=1, col=2)
fig.update_layout(width=900, height=420)
fig.show()"""),
    md("""## From neurons

A population recording: a 128-neuron network fitted to the same oscillator, run with private noise in every
neuron, its neurons recorded. `ddm.reduce_neurons` projects the activity on its first two principal
components (the projection is kept in the result's attrs); a new network is fitted to that latent variable
and run from the recording's first states."""),
    code("""import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", ddm.PrivateNoiseWarning)
    source, _ = ddm.fit(truth, 128, key=jax.random.key(3), private_noise=0.03, progress=False)
kw = dict(t_max=100.0, dt=0.01, n_trials=16, record_every=2, progress=False)
recording = ddm.simulate(source, key=jax.random.key(4), record_neurons=True, z0=np.tile([2.0, 0.0], (16, 1)), **kw)
latent = ddm.reduce_neurons(recording.x, 2)
print(f"explained variance of 2 components: {float(latent.attrs['explained_variance_ratio'].sum()):.3f}")
refit, rep = ddm.fit(latent, 128, key=jax.random.key(5))
again = ddm.simulate(refit, key=jax.random.key(6), z0=latent.isel(time=0).values, **kw).z
lc_rec = ddm.analysis.limit_cycle(latent, discard=0.25)
lc_new = ddm.analysis.limit_cycle(again, discard=0.25)
print(f"refit / recording: period ratio {float(lc_new.period.mean() / lc_rec.period.mean()):.3f}, "
      f"amplitude ratio {float(lc_new.amplitude.mean() / lc_rec.amplitude.mean()):.3f}")"""),
    md("""## What to try

- Your own data: any `xarray.DataArray(values, dims=("trial", "time", "latent"), coords={"time": t})` with a
  uniform `t`, or a list of them of different lengths; NaN marks a missing observation (the report counts the
  increments dropped: `report.attrs["n_dropped"]`).
- The bias: `ddm.FromData(order=1)` is the plain Euler regression. Observe every 0.05 instead of 0.02
  (`data.isel(time=slice(None, None, ...))` of a finer recording) and compare `report.eps_f` of orders 1, 2 and 3.
- Too little data: 4 trials of 10 tau at N = 256 give a `ddm.SampleSizeWarning` with the drift error that the
  noise alone predicts.
- Other targets: `ddm.systems.ring_wells(c=0.4)` (count forward and backward transitions of data and network with
  `ddm.analysis.transitions`), `ddm.systems.multiplicative_ou()` with `noise="multiplicative"`."""),
]


if __name__ == "__main__":
    build(NOTEBOOKS, sys.argv[1:])
