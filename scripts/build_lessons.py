"""Write and execute the classroom lessons (committed with outputs; nbval re-checks them).

    .venv/bin/python scripts/build_lessons.py          # all three
    .venv/bin/python scripts/build_lessons.py L2       # those whose name starts so

Each lesson: learning goals, a short worked story, a live panel, exercises whose solutions sit in
collapsed cells (they run, so nbval checks them too). Aimed at students who know basic Python
(numpy, a for loop, a function) but neither JAX nor SDEs.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _notebook_build import blanks, build, code, collapsed, describe_widgets, md, show  # noqa: E402

LESSONS: dict[str, list] = {}


def exercise(n: int, text: str, solution: str, starter: str, runs: bool = False) -> list:
    """An exercise: its text, starter code (with ``___`` blanks to fill, not run, unless ``runs``:
    then it is setup the solution uses) and the solution, code and output collapsed."""
    return [md(f"### Exercise {n}\n\n{text}\n\n*Fill in the blanks `___` in the cell below and run it. The "
               "solution is in the collapsed cell after it: click its three dots to see the code, and the "
               "dots under it to see what it prints. Try first!*"),
            code(starter) if runs else blanks(starter),
            collapsed(solution)]


# ---------------------------------------------------------------------------------------------
LESSONS["L1_stochastic_dynamics"] = [
    md("""# Lesson 1 · Stochastic dynamics: drift, noise, and where a system spends its time

**Learning goals.** After this lesson you can
1. read a stochastic differential equation (SDE) `dz = f(z) dt + g dW` as *a deterministic push
   plus random kicks*;
2. simulate one with the Euler–Maruyama method, by hand in numpy and with `ddm.simulate`;
3. predict the stationary histogram of a gradient system, `p(z) ∝ exp(-V(z) / D)`, and check it;
4. tell an equilibrium (reversible) system from a nonequilibrium one that circulates.

**You need:** basic Python and numpy. **Time:** about 30 s to run, 45 minutes to work through."""),
    md("""## 1. A ball in a double well, shaken

The drift `f(z) = z - z^3 = -V'(z)` pushes `z` downhill in the potential `V(z) = z^4/4 - z^2/2`,
which has two valleys (wells) at `z = -1` and `z = +1`. Noise of intensity `s` kicks it:
`dz = (z - z^3) dt + sqrt(2 s) dW`. Without noise the ball stays in its valley forever; with
noise it sometimes hops over the hill at `z = 0`."""),
    code("""import jax
import numpy as np
import plotly.graph_objects as go
import ddm_explore as ddm

sde = ddm.systems.double_well(s=0.1)
print(sde)
print("drift at z = -1.5, 0.5, 1.0:", [round(float(sde.latent_drift(np.array([z]))[0]), 3) for z in (-1.5, 0.5, 1.0)])"""),
    md("""## 2. Euler–Maruyama by hand

Time is cut into steps of length `dt`. Each step adds the drift times `dt` and a Gaussian kick
with standard deviation `sqrt(2 s dt)` (noise grows like the *square root* of time):
`z[n+1] = z[n] + f(z[n]) dt + sqrt(2 s dt) * N(0, 1)`."""),
    code("""rng = np.random.default_rng(0)
dt, n_steps, s = 0.01, 20_000, 0.1
z = np.empty(n_steps + 1)
z[0] = 1.0
for n in range(n_steps):
    z[n + 1] = z[n] + (z[n] - z[n] ** 3) * dt + np.sqrt(2 * s * dt) * rng.normal()
t = np.arange(n_steps + 1) * dt
print(f"fraction of time in the right well (z > 0): {np.mean(z > 0):.2f}")"""),
    show("""go.Figure(go.Scatter(x=t[::10], y=z[::10], mode="lines", line=dict(width=1))).update_layout(
    xaxis_title="time", yaxis_title="z", height=280, margin=dict(t=20, b=40), template="plotly_white")"""),
    md("""## 3. Many trajectories at once, and the stationary histogram

`ddm.simulate` runs the same scheme for many trials in parallel (in JAX). Every random draw takes
an explicit `key`: the same key gives the same numbers. For a gradient system with diffusion
coefficient `D = s` the stationary density is the Boltzmann distribution
`p(z) ∝ exp(-V(z) / s)`. Let us check it: the total-variation distance between the histogram
and the formula should be small."""),
    code("""ds = ddm.simulate(sde, t_max=400.0, dt=0.01, n_trials=64, key=jax.random.key(0), record_every=20, progress=False)
samples = ds.z.sel(time=slice(50.0, None)).values.ravel()   # drop the first 50 time units
edges = np.linspace(-2, 2, 41)
centres = 0.5 * (edges[1:] + edges[:-1])
width = edges[1] - edges[0]
hist, _ = np.histogram(samples, bins=edges, density=True)
boltzmann = np.exp(-(centres**4 / 4 - centres**2 / 2) / 0.1)
boltzmann /= boltzmann.sum() * width
tv = 0.5 * np.sum(np.abs(hist - boltzmann)) * width
print(f"{samples.size} samples; total variation histogram vs exp(-V/s) = {tv:.2f} (< 0.1: {tv < 0.1})")"""),
    show("""fig = go.Figure([go.Bar(x=centres, y=hist, name="simulation", opacity=0.6),
                 go.Scatter(x=centres, y=boltzmann, name="exp(-V/s), normalised", line=dict(color="black"))])
fig.update_layout(xaxis_title="z", yaxis_title="density", height=300, template="plotly_white", margin=dict(t=20))"""),
    md("""## 4. Live: move the sliders

The panel below runs the same library calls. Change the noise `s` and watch the sample paths and
the histogram: at small `s` the paths stay in one well for a long time; at large `s` the two
wells merge into one broad bump. Switch the system to `ornstein_uhlenbeck` and raise `w`: the
arrows start to rotate."""),
    code("""from ddm_explore.panels import PanelState, Playground

playground = Playground(PanelState("double_well"))"""),
    show("playground"),
    md("""## 5. Equilibrium or not?

In the double well the net flow of probability is zero: every hop to the right is balanced by a
hop to the left (detailed balance, *reversibility*). The rotational Ornstein–Uhlenbeck process
`dz = -A z dt + s dW` with `A = [[1, -w], [w, 1]]` is different: for `w > 0` probability
*circulates* around the origin forever. Its stationary histogram does not show that (it is the
same Gaussian for every `w`!), but its trajectories and its entropy production `2 w^2` do."""),
    code("""for w in (0.0, 1.0):
    ep = ddm.analysis.irreversibility(ddm.systems.ornstein_uhlenbeck(w=w, s=0.5), n_grid=40)
    e_p = round(float(ep.entropy_production), 2) + 0.0   # + 0.0: a rounding error never prints as -0.00
    print(f"w = {w}: entropy production = {e_p:.2f} (exact 2 w^2 = {2 * w * w:.2f})")"""),
    md("## Exercises"),
    *exercise(1, """Kramers' law says a particle escapes a well at rate
`k ≈ sqrt(2) / (2 pi) exp(-1 / (4 s))` (`ddm.systems.kramers_rate(s)`). Simulate 32 trials of
400 time units at `s = 0.1` and `s = 0.15`, measure the escape rates with
`ddm.analysis.transitions(z, centres, radius)` (centres `[[-1], [1]]`, radius 0.5), and compare.""",
               """centres = np.array([[-1.0], [1.0]])
for s in (0.1, 0.15):
    run = ddm.simulate(ddm.systems.double_well(s=s), t_max=400.0, dt=0.01, n_trials=32, key=jax.random.key(1),
                       record_every=10, progress=False)
    tr = ddm.analysis.transitions(run.z, centres, 0.5)
    rate = float(tr.escape_rate.mean())
    kramers = ddm.systems.kramers_rate(s)
    print(f"s = {s}: measured escape rate {rate:.3f}, Kramers {kramers:.3f}, ratio {rate / kramers:.1f} (about 1)")""",
               starter="""centres = np.array([[-1.0], [1.0]])
for s in (0.1, 0.15):
    run = ddm.simulate(___, t_max=400.0, dt=0.01, n_trials=32, key=jax.random.key(1), record_every=10,
                       progress=False)                      # ___: the double well with noise s
    tr = ddm.analysis.transitions(run.z, centres, ___)     # ___: the radius of a well
    rate = float(tr.escape_rate.mean())
    print(f"s = {s}: measured escape rate {rate:.3f}, Kramers {___:.3f}")   # ___: ddm.systems.kramers_rate(s)
"""),
    *exercise(2, """For the rotational OU process (`w = 1`, `s = 0.5`) estimate the stationary covariance from a
simulation (`np.cov` of the states after a transient) and compare it with the exact solution of
the Lyapunov equation, `ddm.systems.ou_stationary_covariance(A, g)`. Does the rotation change it?""",
               """ou = ddm.systems.ornstein_uhlenbeck(w=1.0, s=0.5)
run = ddm.simulate(ou, t_max=200.0, dt=0.01, n_trials=64, key=jax.random.key(2), record_every=10, progress=False)
states = run.z.sel(time=slice(20.0, None)).values.reshape(-1, 2)
estimate = np.cov(states.T)
exact = ddm.systems.ou_stationary_covariance(np.array([[1.0, -1.0], [1.0, 1.0]]), 0.5 * np.eye(2))
print("simulated covariance:", np.round(estimate, 2).tolist())
print("exact (s^2/2) I:     ", np.round(exact, 3).tolist())
print("No: the rotation runs along the circles of equal density, so the histogram is the same for every w.")""",
               starter="""ou = ddm.systems.ornstein_uhlenbeck(w=1.0, s=0.5)
run = ddm.simulate(ou, t_max=200.0, dt=0.01, n_trials=64, key=jax.random.key(2), record_every=10, progress=False)
states = run.z.sel(time=slice(20.0, None)).values.reshape(-1, 2)   # every state after the transient
estimate = ___        # the 2 x 2 covariance of `states` (np.cov wants one variable per row)
A, g = ___, ___       # the drift matrix [[1, -w], [w, 1]] and the noise loading s I of this process
exact = ddm.systems.ou_stationary_covariance(A, g)
print("simulated:", np.round(estimate, 2).tolist(), " exact:", np.round(exact, 3).tolist())
"""),
    md("""## What to remember
- An SDE = drift (deterministic push) + diffusion (random kicks); Euler–Maruyama is the simplest
  way to simulate it.
- Gradient systems settle into `exp(-V/D)`; noise sets how often they hop between wells.
- Nonequilibrium systems circulate: you see it in trajectories and entropy production, not in the
  histogram. **Next:** Lesson 2 teaches a neural network to reproduce such dynamics."""),
]

# ---------------------------------------------------------------------------------------------
LESSONS["L2_training_a_network"] = [
    md("""# Lesson 2 · Teaching a recurrent network a dynamical system

**Learning goals.** After this lesson you can
1. write down a continuous-time rate network `dx = (-x + J tanh(x) + b) dt + noise`;
2. explain *drift–diffusion matching*: choose `J` so that, inside a low-dimensional subspace
   (the latent space), the network's drift equals a target's drift, `f(z)`;
3. measure the fit with the held-out relative error `eps_f` and see how it falls with network size;
4. explain why a symmetric (Hopfield-type) network cannot oscillate, while an asymmetric one can;
5. say what each neuron's own (private) noise does to a fitted network, and fit one that holds
   up under it;
6. fit a network to recorded trajectories when there are no formulas, and judge the fit.

**You need:** Lesson 1. **Time:** about 2 minutes to run, 75 minutes to work through."""),
    md("""## 1. The idea, one step at a time

- **Neurons.** The network has N neurons. Neuron i has an *activation* `x_i` (think of its input
  current) and a *firing rate* `tanh(x_i)`, between -1 and 1. The heatmaps below show the rates.
- **The leak and the time constant.** Each activation obeys
  `dx = (-x + J tanh(x) + b) dt + noise`. The `-x` term is the *leak*: left alone, an activation
  decays back towards zero, shrinking by a factor e ≈ 2.7 in one *time constant* tau (for real
  neurons about 10–20 ms). Every time in this package is measured in units of tau.
- **Connections.** `J` (N x N) says how strongly the rate of neuron j drives neuron i; `b` is
  each neuron's constant input.
- **The latent plane.** A fixed N x d matrix `M` (the *embedding*) ties a d-dimensional latent
  state `z` to the neurons: the state `x = x0 + M z` lies on a d-dimensional plane in the
  N-dimensional space of activations, and `z` is read back as `z = M^T x / N`.
- **Low-rank connections keep the state on the plane.** With `J = M W^T` every push `J tanh(x)`
  points along the plane, so a state on the plane stays on it, and `z` obeys
  `dz/dt = -z + W^T tanh(x0 + M z) + ...`: a sum of N tanh *features* of z.
- **Matching is least squares.** Choosing W so that this sum equals the target's drift `f(z)`
  at many sample points is a linear least-squares problem, solved exactly in milliseconds. That
  is drift–diffusion matching for the drift; the noise is matched the same way.

The figure after the next cells shows three of the neurons of a fitted network: their
activations move on the plane, and the arrows are two columns of `M`."""),
    code("""import jax
import numpy as np
import plotly.graph_objects as go
import ddm_explore as ddm

sde = ddm.systems.van_der_pol(mu=1.0, sigma=0.1)   # an oscillator: a limit cycle, not a fixed point
for n in (8, 32, 128):
    net, report = ddm.fit(sde, n, key=jax.random.key(0), progress=False)
    print(f"N = {n:4d}: eps_f = {float(report.eps_f):.3f}")"""),
    md("""The error falls fast with N: 8 tanh features are too few to draw the Van der Pol flow, 128
are plenty. Now run the N = 128 network *in all its neurons*, noise off, and read out z."""),
    code("""run = ddm.simulate(net, t_max=40.0, dt=0.01, z0=[1.0, 0.0], key=jax.random.key(1), record_every=10,
                   record_neurons=True, deterministic=True, progress=False)
ref = ddm.simulate(sde, t_max=40.0, dt=0.01, z0=[1.0, 0.0], key=jax.random.key(1), record_every=10,
                   deterministic=True, progress=False)
gap = float(np.abs(run.z - ref.z).max())
print(f"largest latent difference over 40 time units: {gap:.2f} (the cycle spans about 4)")
# the activations stay on the plane x = x0 + M z, with z = M^T x / N (internal units)
x = run.x[0].values
M, x0 = np.asarray(net.M, np.float64), np.asarray(net.x0, np.float64)
z_int = x @ M / net.n_neurons
print(f"largest distance of x(t) from the plane x0 + M z: {np.abs(x - (x0 + z_int @ M.T)).max():.3f}")"""),
    show("""three = [0, 1, 2]                                    # three of the 128 neurons
lo, hi = z_int.min(0) - 0.3, z_int.max(0) + 0.3
g1, g2 = np.meshgrid(np.linspace(lo[0], hi[0], 12), np.linspace(lo[1], hi[1], 12))
plane = x0[three, None, None] + M[three, 0, None, None] * g1 + M[three, 1, None, None] * g2
fig = go.Figure([go.Surface(x=plane[0], y=plane[1], z=plane[2], opacity=0.35, showscale=False,
                            colorscale=[[0, "#9ecae1"], [1, "#9ecae1"]], name="latent plane x0 + M z", showlegend=True),
                 go.Scatter3d(x=x[:, 0], y=x[:, 1], z=x[:, 2], mode="lines", line=dict(color="#d62728", width=4),
                              name="activations x(t) of the running network")])
for k, colour in enumerate(("#1f77b4", "#2ca02c")):  # the plane's directions: columns of M (shortened)
    end = x0[three] + M[three, k]
    fig.add_scatter3d(x=[x0[0], end[0]], y=[x0[1], end[1]], z=[x0[2], end[2]], mode="lines+markers",
                      line=dict(color=colour, width=6), marker=dict(size=[2, 5]), name=f"column {k + 1} of M (z{k + 1} direction)")
normal = np.cross(M[three, 0], M[three, 1])
normal, along = normal / np.linalg.norm(normal), M[three, 0] / np.linalg.norm(M[three, 0])
eye = 2.2 * (0.8 * normal + 0.6 * along)              # look at the plane from above, slightly tilted
fig.update_layout(scene=dict(xaxis_title="x of neuron 1", yaxis_title="x of neuron 2", zaxis_title="x of neuron 3",
                             aspectmode="data", camera=dict(eye=dict(x=eye[0], y=eye[1], z=eye[2]))),
                  height=460, template="plotly_white", margin=dict(t=30, l=0, r=0, b=0),
                  title="three neurons of 128: the state moves on the latent plane")"""),
    show("""fig = go.Figure([go.Scatter(x=ref.z[0, :, 0], y=ref.z[0, :, 1], name="target", line=dict(color="black")),
                 go.Scatter(x=run.z[0, :, 0], y=run.z[0, :, 1], name="network readout", line=dict(dash="dash"))])
fig.update_layout(xaxis_title="z1", yaxis_title="z2", height=320, width=420, template="plotly_white", margin=dict(t=20))"""),
    show("""go.Figure(go.Heatmap(z=np.tanh(run.x[0, :, :40].values.T), x=run.time.values, colorscale="RdBu",
                      colorbar=dict(title="rate tanh(x)"))).update_layout(
    xaxis_title="time (tau)", yaxis_title="neuron", height=280, template="plotly_white", margin=dict(t=30),
    title="rates of the first 40 neurons")"""),
    md("""Each neuron's rate is a smooth, periodic signal: the oscillation lives in the population,
not in any single neuron.

## 2. Live: train and compare

Choose the network size, connectivity and noise model, press **Retrain**, and see the target and
network drift fields, the error map and the trajectories. `low_rank` uses the closed form (instant);
`full` and `symmetric` run the optimiser with a progress bar."""),
    code("""from ddm_explore.panels import PanelState, TrainPanel, TrajectoryPanel

state = PanelState("van_der_pol")
state.retrain(128)
train, trajectories = TrainPanel(state), TrajectoryPanel(state)"""),
    show("train"),
    show("trajectories"),
    md("""## 3. Private noise: every neuron has its own

So far the only noise was the target's, fed into the latent space. Real neurons are also noisy
on their own: each one gets independent kicks, `dx_i = (...) dt + s dB_i`, with `s` the
*private noise*. Almost all of those N kicks point **off** the latent plane `x = x0 + M z`. A
low-rank network pulls the state back towards the plane at rate 1, so in the long run each
neuron sits about `s / sqrt(2)` away from it. That sounds harmless, but the latent flow
`W^T tanh(x)` now reads slightly wrong rates from every neuron; summed over N neurons this adds
extra latent noise and a bias, and a network fitted on the plane alone stops behaving like its
target.

Two tools: `net.replace(private_noise=s)` runs any network with private noise `s`;
`ddm.fit(sde, N, key=..., private_noise=s)` fits the network *that will run with it* (it
averages each tanh feature over the spread it will have off the plane, keeps the readout from
amplifying the noise, and lowers its own latent noise by what the private noise adds).

The test case is Lesson 3's ring of four wells with a current (`c = 0.4`): the state hops from
well to well, nearly always forwards around the ring. Counting forward and backward turns
shows at once whether a network keeps that behaviour."""),
    code("""import jax.numpy as jnp

ring = ddm.systems.ring_wells(c=0.4)   # four wells on a ring, a current pushing around it
wells = ddm.systems.ring_centres(K=4)
s = 0.05                               # private noise: each neuron's own noise (std per sqrt(time))


def ring_run(system, neurons=False):
    \"\"\"16 trials of 100 time units, trial i starting in well i % 4 (the same key for every system).\"\"\"
    return ddm.simulate(system, t_max=100.0, dt=0.01, n_trials=16, z0=wells[np.arange(16) % 4],
                        key=jax.random.key(1), record_every=20, record_neurons=neurons, progress=False)


def summary(run):
    \"\"\"Forward and backward turns around the ring, and how far |z| strays from the ring.\"\"\"
    tr = ddm.analysis.transitions(run.z, wells, 0.45, cycle=[0, 1, 2, 3], min_transitions=0)
    spread = float(np.linalg.norm(run.z.values, axis=-1).std())
    return f"{int(tr.n_forward):3d} forward, {int(tr.n_backward):3d} backward turns, spread of |z| {spread:.2f}"


plain, _ = ddm.fit(ring, 256, key=jax.random.key(0), progress=False)
aware, aware_report = ddm.fit(ring, 256, key=jax.random.key(0), private_noise=s, progress=False)
networks = {"plain fit, run with noise s": plain.replace(private_noise=jnp.float32(s)), "fitted for noise s": aware}
runs = {"target": ring_run(ring)}
runs.update({name: ring_run(net, neurons=True) for name, net in networks.items()})
for name, run in runs.items():
    print(f"{name:28s}: {summary(run)}")
for name, net in networks.items():
    off = float(net.off_manifold(runs[name].x.sel(time=slice(10.0, None)).values).mean())
    print(f"{name}: each neuron {off:.3f} off the plane (s / sqrt(2) = {s / np.sqrt(2):.3f})")"""),
    show("""from plotly.subplots import make_subplots

fig = make_subplots(1, 3, subplot_titles=list(runs), shared_yaxes=True)
for col, run in enumerate(runs.values(), start=1):
    for trial in range(4):
        fig.add_scatter(x=run.z[trial, :, 0], y=run.z[trial, :, 1], mode="lines", line=dict(width=1),
                        showlegend=False, row=1, col=col)
    fig.add_scatter(x=wells[:, 0], y=wells[:, 1], mode="markers", marker=dict(size=9, color="black"),
                    showlegend=False, row=1, col=col)
fig.update_xaxes(range=[-2, 2], title_text="z1")
fig.update_yaxes(range=[-2, 2], title_text="z2", row=1, col=1)
fig.update_layout(height=340, width=900, template="plotly_white", margin=dict(t=40))"""),
    md("""Both networks leave the plane by the same amount (they get the same noise); what differs is
how their latent flow answers it. The plain fit turns far too often and almost as often
backwards as forwards: the sequence of memories dissolves into noise. The network fitted for the
noise keeps the direction (no backward turn), but it turns less often than the target and strays
less from the ring (a count of about 18 turns scatters by about 4 from one run to the next, so
part of the gap is chance): its training points were spread over a whole box, most of them where
the state never goes, and it lowered its own latent noise by the private noise's average effect
over that box. Exercise 3 trains where the state lives instead. More neurons help too: the
readout spreads over more of them, so each neuron's noise counts for less.

### Live: move the private noise

The panel below runs a 256-neuron network fitted to the ring in all its neurons, with private
noise of the size the **private noise** slider sets. With **plain fit** it is the network
fitted without private noise; with **fitted for this noise** a network fitted for that `s`
(one fit per new value, a fraction of a second; moving back to a value seen before is instant).
Raise the noise with the plain fit and watch the red paths leave the wells; then switch."""),
    code("""ring_state = PanelState("ring_wells", c=0.4)
ring_state.retrain(256)
noisy = TrajectoryPanel(ring_state, private_noise=0.05)   # start with the noise on; then try the switch
print(f"{noisy.readout.value}: drawn trials carry private noise {noisy.result.attrs['private_noise']}")"""),
    show("noisy"),
    md("""## 4. Why symmetric networks cannot do this

If `J` is symmetric, the network has an energy (Lyapunov) function that can only go down along
trajectories, so it must settle at a fixed point: no cycles, no chaos. The asymmetry index
`||J_A|| / ||J||` (0 for symmetric J) measures how far from that a network is."""),
    code("""print(f"asymmetry index of the fitted low-rank J: {ddm.analysis.asymmetry_index(net.J):.2f}")"""),
    md("""## 5. No formulas, only a recording: learning from data

So far every network was fitted to a target written down as formulas. An experiment gives
something else: trajectories `z(t)` *observed* every `Δ` (a recording of a latent variable, say
two principal components of many neurons). Matching still works, because over one step
`z(t + Δ) - z(t) ≈ f(z(t)) Δ + noise`: the increments divided by `Δ` are noisy samples of the
drift, and regressing them on the network's tanh features is the same least-squares problem as
before. Three cares make it honest:

- **The bias of a finite step.** The plain increment estimates `f` plus an error of order `Δ`;
  `ddm.FromData` uses a two-step combination of increments whose error is of order `Δ²`.
- **The ridge is chosen on held-out trials:** a quarter of the trials are kept aside, and the
  penalty that predicts them best wins.
- **The noise** is what the drift does not explain: the spread of the increments around it.

The recording below is simulated from the Van der Pol target (32 trials of 100 tau, observed
every 0.02 tau), but the fit only ever sees the numbers. The formulas are passed as `truth` for
one reason: to score the result (`eps_f`, `eps_D` on the recorded states)."""),
    code("""recording = ddm.simulate(sde, t_max=100.0, dt=0.005, n_trials=32, key=jax.random.key(5), record_every=4,
                         progress=False).z          # (trial, time, latent): all the fit sees
delta = float(recording.time[1] - recording.time[0])
print(f"recording: {recording.sizes['trial']} trials, {recording.sizes['time']} observations each, every {delta:.2f} tau")
data_net, data_report = ddm.fit(recording, 128, key=jax.random.key(0), solver=ddm.FromData(truth=sde), progress=False)
print(f"learnt from the data:  eps_f = {float(data_report.eps_f):.3f}, eps_D = {float(data_report.eps_D):.3f}")
print(f"fitted to the formulas: eps_f = {float(report.eps_f):.3f} (same N = 128)")
print(f"ridge chosen on held-out trials: {data_report.attrs['ridge']:.0e}; "
      f"{float(data_report.samples_per_feature):.0f} increments per feature")"""),
    show("""from plotly.subplots import make_subplots

replay = ddm.simulate(data_net, t_max=30.0, dt=0.01, z0=recording.values[:2, 0], n_trials=2, key=jax.random.key(6),
                      record_every=2, progress=False)
fig = make_subplots(1, 2, subplot_titles=("two recorded trials", "the network learnt from them, same starts"),
                    shared_yaxes=True)
for col, z in ((1, recording.sel(time=slice(0.0, 30.0)).values), (2, replay.z.values)):
    for trial in range(2):
        fig.add_scatter(x=z[trial, :, 0], y=z[trial, :, 1], mode="lines", line=dict(width=1), showlegend=False,
                        row=1, col=col)
fig.update_xaxes(title_text="z1")
fig.update_yaxes(title_text="z2", row=1, col=1)
fig.update_layout(height=340, width=760, template="plotly_white", margin=dict(t=40))"""),
    md("""The network learnt from the recording runs the same rhythm from the recorded starts. Its drift
error, about 1%, is ten times that of the network fitted to the formulas: the increments are
*noisy* samples of the drift, and the error their noise leaves shrinks only as the recording
grows (Exercise 4). The formulas give the drift exactly at every training point; a recording
gives it only on average, and only where the trials went.

### Live: retrain from the recording

The Train panel can learn from an example recording too: **learn from** = *example recorded data*
(already set below). The recording is simulated from the current target with a fixed key, so it
is the same every time. Change **recorded trials**, **trial length** or **observed every**, press
**Retrain**, and watch three things: the drift error `eps_f` in the readout, the error map (the
network is accurate where the recorded trials went, and may be wrong where they never go), and
the network's own paths beside the recorded ones. With very few data the readout says so."""),
    code("""from ddm_explore.panels import Recording

data_state = PanelState("van_der_pol")
data_state.retrain(128, recording=Recording(n_trials=32, t_max=100.0, delta=0.02))
from_data = TrainPanel(data_state, source="data")
print(f"learnt from {from_data.result.attrs['learnt_from']}: eps_f = {from_data.result.attrs['eps_f']:.3f}")"""),
    show("from_data"),
    md("## Exercises"),
    *exercise(1, """Fit networks with `connectivity="symmetric"` (32 neurons, `steps=150`) and simulate them
noise-free from `z0 = [1, 0]` for 60 time units. What are `eps_f`, the asymmetry index, and the
spread of `z1` over the last 20 time units? Compare with the low-rank network.""",
               """sym, sym_report = ddm.fit(sde, 32, key=jax.random.key(0), connectivity="symmetric", steps=150, progress=False)
sym_run = ddm.simulate(sym, t_max=60.0, dt=0.01, z0=[1.0, 0.0], key=jax.random.key(1), record_every=10,
                       deterministic=True, progress=False)
late = sym_run.z.sel(time=slice(40.0, None))[0, :, 0]
print(f"symmetric: eps_f = {float(sym_report.eps_f):.1f} (large), asymmetry index = {ddm.analysis.asymmetry_index(sym.J):.1f}, "
      f"spread of z1 late = {float(late.std()):.2f} (settled: {float(late.std()) < 0.05})")
print("The symmetric network settles at a fixed point: its energy function forbids the cycle.")""",
               starter="""sym, sym_report = ddm.fit(sde, 32, key=jax.random.key(0), connectivity=___, steps=150, progress=False)
sym_run = ddm.simulate(sym, t_max=60.0, dt=0.01, z0=[1.0, 0.0], key=jax.random.key(1), record_every=10,
                       deterministic=True, progress=False)
late = sym_run.z.sel(time=slice(___, None))[0, :, 0]     # z1 over the last 20 time units
print(f"eps_f = {float(sym_report.eps_f):.2f}, asymmetry index = {ddm.analysis.asymmetry_index(sym.J):.2f}, "
      f"spread of z1 late = {float(late.std()):.3f}")
"""),
    *exercise(2, """The closed form also matches the *noise*: `report.eps_D` is the relative error of the
diffusion matrix. Fit the Van der Pol target with `sigma = 0.3` and N = 64, and print `eps_f`
and `eps_D`. Then simulate 64 noisy trials of network and target for 100 time units and compare
the standard deviation of `z1` (after a transient of 20).""",
               """noisy = ddm.systems.van_der_pol(mu=1.0, sigma=0.3)
nnet, nrep = ddm.fit(noisy, 64, key=jax.random.key(3), progress=False)
print(f"eps_f = {float(nrep.eps_f):.3f}, eps_D = {float(nrep.eps_D):.3f}")
spread = []
for system in (noisy, nnet):
    r = ddm.simulate(system, t_max=100.0, dt=0.01, n_trials=64, key=jax.random.key(4), record_every=10, progress=False)
    spread.append(float(r.z.sel(time=slice(20.0, None))[..., 0].std()))
print(f"std of z1: target {spread[0]:.2f}, network {spread[1]:.2f}")""",
               starter="""noisy = ddm.systems.van_der_pol(mu=1.0, sigma=___)
nnet, nrep = ddm.fit(noisy, ___, key=jax.random.key(3), progress=False)
print(f"eps_f = {float(nrep.eps_f):.3f}, eps_D = {float(nrep.eps_D):.3f}")
for name, system in (("target", noisy), ("network", nnet)):
    r = ddm.simulate(system, t_max=100.0, dt=0.01, n_trials=64, key=jax.random.key(4), record_every=10, progress=False)
    print(name, "std of z1 after t = 20:", ___)   # r.z.sel(time=...)[..., 0] and its standard deviation
"""),
    *exercise(3, """The network fitted for the noise in section 3 still turns around the ring more often than the
target. Its training points covered a whole box. Draw them instead where the target really goes:
`sampler=ddm.occupation(target_run)` takes the states of a simulation of the target. Fit a plain
network and a noise-aware one (`private_noise=s`) with this sampler, run both with noise `s`
(`ring_run`) and print their `summary`. Which matters more here, the sampler or fitting for the
noise? (Expect each fit to take a few seconds.)""",
               """sampler = ddm.occupation(target_run)
plain_occ, _ = ddm.fit(ring, 256, key=jax.random.key(0), sampler=sampler, progress=False)
aware_occ, _ = ddm.fit(ring, 256, key=jax.random.key(0), sampler=sampler, private_noise=s, progress=False)
print(f"{'target':36s}: {summary(runs['target'])}")
print(f"{'occupation, plain fit, run with s':36s}: {summary(ring_run(plain_occ.replace(private_noise=jnp.float32(s))))}")
print(f"{'occupation, fitted for noise s':36s}: {summary(ring_run(aware_occ))}")
print("Both matter: training where the state lives removes the backward turns, and fitting for the noise")
print("as well brings the forward turns closer to the target's (counts this size scatter by about 4-5).")""",
               starter="""target_run = ddm.simulate(ring, t_max=200.0, dt=0.01, n_trials=16, z0=wells[np.arange(16) % 4],
                          key=jax.random.key(7), record_every=20, progress=False)
# fit `plain_occ` (no private noise) and `aware_occ` (private_noise=s), both with
# sampler=ddm.occupation(target_run); then print(summary(ring_run(...))) for each, run with noise s
""", runs=True),
    *exercise(4, """How much data does a network need? Fit the Van der Pol target's recordings of 4, 16 and 64
trials of 50 tau each (observed every 0.02 tau: `dt=0.005`, `record_every=4`, `key=jax.random.key(8)`)
with N = 128, and print `eps_f` and `drift_standard_error` (the drift error the noise alone
predicts) of each fit. How does the error fall with the number of trials?""",
               """for n_trials in (4, 16, 64):
    z = ddm.simulate(sde, t_max=50.0, dt=0.005, n_trials=n_trials, key=jax.random.key(8), record_every=4,
                     progress=False).z
    _, rep = ddm.fit(z, 128, key=jax.random.key(0), solver=ddm.FromData(truth=sde), progress=False)
    print(f"{n_trials:2d} trials: eps_f = {float(rep.eps_f):.3f}, the noise predicts {float(rep.drift_standard_error):.3f}")
print("The error falls with the data, close to what the noise predicts (four times the data, about half the")
print("error, as for any average of noisy samples); at 64 trials it stays above the prediction: part of what")
print("is left is no longer the noise (the finite step, the sparse edges of the recording).")""",
               starter="""for n_trials in (4, 16, 64):
    z = ddm.simulate(sde, t_max=___, dt=0.005, n_trials=___, key=jax.random.key(8), record_every=4,
                     progress=False).z
    _, rep = ddm.fit(z, 128, key=jax.random.key(0), solver=ddm.FromData(truth=___), progress=False)
    print(f"{n_trials:2d} trials: eps_f = {float(rep.eps_f):.3f}, the noise predicts {float(rep.___):.3f}")
"""),
    md("""## What to remember
- A rate network with low-rank connectivity carries a latent flow made of tanh features;
  matching it to a target drift is linear regression.
- `eps_f` (held out) tells how well; it falls quickly with N.
- Oscillations need asymmetric connectivity.
- Each neuron's own noise pushes the state off the latent plane; a network fitted without it can
  fall apart when it runs with it. Fit for the noise the network will have
  (`ddm.fit(..., private_noise=s)`), where the target goes, and with enough neurons; a network is
  only checked by simulating all its neurons with their noise.
- Without formulas, a recording is enough: the increments are noisy samples of the drift, the
  same least squares fits them, the ridge is chosen on held-out trials, and the error falls as
  the recording grows (about like one over the square root of its length). **Next:** Lesson 3 builds memories from
  attractors."""),
]

# ---------------------------------------------------------------------------------------------
LESSONS["L3_memories_as_attractors"] = [
    md("""# Lesson 3 · Memories as attractors: cues recall them, currents replay them in sequence

**Learning goals.** After this lesson you can
1. describe a memory as an attractor (a well) of a network's dynamics;
2. recall a memory with a cue (an input that tilts the landscape) and measure recall accuracy;
3. make a network visit its memories in order by adding a rotational *probability current*
   (nonequilibrium), and count forward against backward transitions;
4. relate that current to entropy production, which is zero at equilibrium.

**You need:** Lessons 1 and 2. **Time:** about 60 s to run, 45 minutes to work through."""),
    md("""## 1. Four memories on a ring

The target has four wells on a ring, `V(z) = k (|z|^2 - 1)^2 - h Re((z1 + i z2)^4)`, noise `D`,
and a two-dimensional input `u` added to the drift: `dz = (-grad V + c R z + u) dt + sqrt(2D) dW`
(R is the 90-degree rotation, c the current's strength). We start with `c = 0` and fit a
128-neuron network to it, inputs included."""),
    code("""import jax
import numpy as np
import plotly.graph_objects as go
import ddm_explore as ddm

centres = ddm.systems.ring_centres(K=4)
memory = ddm.systems.ring_wells(c=0.0, D=0.1)
net, report = ddm.fit(memory, 128, key=jax.random.key(0), progress=False)
print(f"memories at {(np.round(centres, 2) + 0.0).tolist()}; network eps_f = {float(report.eps_f):.4f}")"""),
    md("""## 2. Recall by a cue

All trials start in memory 0. Between t = 1 and t = 4 an input of size `amplitude` points at
memory 2 (the opposite one); then it is switched off and we read out which memory each trial
ends in."""),
    code("""def recall(amplitude, n_trials=32, key=1):
    cue = ddm.inputs.cue(2, amplitude=amplitude, onset=1.0, duration=3.0, centres=centres)
    run = ddm.simulate(net, t_max=10.0, dt=0.01, n_trials=n_trials, z0=centres[0], inputs=cue,
                       key=jax.random.key(key), record_every=10, progress=False)
    return run, float(ddm.analysis.recall_accuracy(run.z, centres, 0.45, cued=2).accuracy)

import warnings
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ddm.SampleSizeWarning)  # 32 trials: fine for a demonstration
    for amplitude in (0.0, 2.0):
        run, accuracy = recall(amplitude)
        print(f"cue amplitude {amplitude}: {100 * accuracy:.0f}% of trials end in memory 2")"""),
    show("""fig = go.Figure([go.Scatter(x=run.z[i, :, 0], y=run.z[i, :, 1], mode="lines", line=dict(width=1), showlegend=False)
                 for i in range(8)])
fig.add_scatter(x=centres[:, 0], y=centres[:, 1], mode="markers+text", text=["0", "1", "2", "3"], name="memories",
                marker=dict(size=12, color="black"), textposition="top center")
fig.update_layout(xaxis_title="z1", yaxis_title="z2", height=360, width=420, template="plotly_white", margin=dict(t=20))"""),
    md("""## 3. Sequences from a current

Now no input, but `c = 0.4`: the drift gets a push around the ring. Detailed balance breaks and
the network visits the memories in order, 0 → 1 → 2 → 3 → 0, much more often than backwards.
This is a model of *episodic* (sequential) memory."""),
    code("""sequence = ddm.systems.ring_wells(c=0.4, D=0.15)
seq_net, seq_report = ddm.fit(sequence, 128, key=jax.random.key(0), progress=False)
run = ddm.simulate(seq_net, t_max=100.0, dt=0.01, n_trials=32, z0=centres[0], key=jax.random.key(2),
                   record_every=10, progress=False)
tr = ddm.analysis.transitions(run.z, centres, 0.45, cycle=[0, 1, 2, 3])
print(f"network: {int(tr.n_forward)} forward and {int(tr.n_backward)} backward transitions "
      f"(forward >> backward: {int(tr.n_forward) > 5 * int(tr.n_backward)})")"""),
    md("""## 4. Live: cue the memories, then switch on the current

Two panels share one state. The playground shows the ring's drift field and sample paths; the
transitions panel simulates eight trials (trial i starts in memory i mod 4) and shows which
memory each is in over time and the transition counts. Press a **cue** button to recall a memory;
raise **c** to make the memories replay in sequence (the playground's arrows start to circulate
too). Press **Retrain** in the train panel of `notebooks/panels.ipynb`, or run
`state.retrain(128)`, to drive the network instead of the target."""),
    code("""from ddm_explore.panels import PanelState, Playground, TransitionPanel

state = PanelState("ring_wells", c=0.0)
playground, transitions = Playground(state), TransitionPanel(state)"""),
    show("playground"),
    show("transitions"),
    md("""## 5. The price of order: entropy production

A system that cycles in one direction produces entropy at a positive rate `e_p`; at equilibrium
(`c = 0`) `e_p = 0`. `ddm.analysis.irreversibility` solves the stationary Fokker–Planck equation
on a grid and returns `e_p`, the probability current and the reversible/irreversible split of
the drift."""),
    code("""for c in (0.0, 0.4):
    ep = ddm.analysis.irreversibility(ddm.systems.ring_wells(c=c, D=0.15), n_grid=40)
    print(f"c = {c}: entropy production = {round(float(ep.entropy_production), 2) + 0.0:.2f}")"""),
    md("## Exercises"),
    *exercise(1, """How strong must a cue be? Measure the recall accuracy (64 trials each) for cue amplitudes
0.5, 1, 2 and 3, using the `recall` function above with `n_trials=64`. Where does it pass 90%?""",
               """for amplitude in (0.5, 1.0, 2.0, 3.0):
    _, accuracy = recall(amplitude, n_trials=64, key=5)
    print(f"amplitude {amplitude}: accuracy {100 * accuracy:.0f}%")""",
               starter="""for amplitude in (0.5, 1.0, 2.0, 3.0):
    _, accuracy = recall(___, n_trials=___, key=5)
    print(f"amplitude {amplitude}: accuracy {100 * accuracy:.0f}%")
"""),
    *exercise(2, """Does the direction of the current matter? Fit the target with `c = -0.4` (same D) and count
forward and backward transitions as above. Then compute the entropy production for `c = 0.8`:
does doubling `c` double `e_p`?""",
               """back = ddm.systems.ring_wells(c=-0.4, D=0.15)
back_net, _ = ddm.fit(back, 128, key=jax.random.key(0), progress=False)
run = ddm.simulate(back_net, t_max=100.0, dt=0.01, n_trials=32, z0=centres[0], key=jax.random.key(2),
                   record_every=10, progress=False)
tr = ddm.analysis.transitions(run.z, centres, 0.45, cycle=[0, 1, 2, 3])
print(f"c = -0.4: {int(tr.n_forward)} forward, {int(tr.n_backward)} backward: the sequence runs the other way")
ep = [float(ddm.analysis.irreversibility(ddm.systems.ring_wells(c=c, D=0.15), n_grid=40).entropy_production)
      for c in (0.4, 0.8)]
print(f"e_p(0.8) / e_p(0.4) = {ep[1] / ep[0]:.1f}: more than double (it grows faster than c)")""",
               starter="""back = ddm.systems.ring_wells(c=___, D=0.15)
back_net, _ = ddm.fit(back, 128, key=jax.random.key(0), progress=False)
run = ddm.simulate(back_net, t_max=100.0, dt=0.01, n_trials=32, z0=centres[0], key=jax.random.key(2),
                   record_every=10, progress=False)
tr = ddm.analysis.transitions(run.z, centres, 0.45, cycle=[0, 1, 2, 3])
print(f"{int(tr.n_forward)} forward, {int(tr.n_backward)} backward")
ep = [float(ddm.analysis.irreversibility(ddm.systems.ring_wells(c=c, D=0.15), n_grid=40).entropy_production)
      for c in (___, ___)]
print(f"e_p(0.8) / e_p(0.4) = {ep[1] / ep[0]:.1f}")
"""),
    md("""## What to remember
- Memories = attractors; a cue is an input that tilts the landscape towards one of them.
- A probability current (nonequilibrium, asymmetric connectivity) turns a set of memories into a
  sequence; it costs entropy production.
- **Further:** notebooks 03 and 04 reproduce these experiments at full size; 05 decomposes the
  network into reversible and irreversible parts."""),
]


if __name__ == "__main__":
    build(LESSONS, sys.argv[1:], after=describe_widgets)
