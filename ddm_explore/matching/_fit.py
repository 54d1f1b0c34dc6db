"""``fit``: the front door of drift–diffusion matching (METHOD.md section 3). The pieces live in
their own modules: training points (_data), the closed form (_closed_form), the loss (_loss),
optax training (_optax), the methods' settings (_solvers), held-out errors (_errors)."""

from __future__ import annotations

import math
import time

import jax
import numpy as np
import xarray as xr

from .._checks import check_choice, check_int, check_key
from .._system import check_sde
from .._threads import one_blas_thread
from ..network._features import DenseRows
from ..network._network import CONNECTIVITIES, NOISE_MODES, Network
from ._closed_form import closed_form, closed_form_loss, design_gram, device_design_gram
from ._data import draw_inputs, training_data
from ._data_input import is_trajectory_data
from ._errors import matching_errors
from ._legacy import resolve_options
from ._loss import combine, effective, partition
from ._optax import preconditioner, train
from ._private_noise import as_private_noise, choose_variance_penalty, matched_loading, off_manifold_std, response_kernels, warn_if_unmatched
from ._samplers import Sampler, default_sampler
from ._solvers import ClosedForm, Preconditioned, WarmStart, bulk_gain, default_start


@one_blas_thread  # the float64 closed form: see ddm_explore/_threads.py
def fit(target, n_neurons: int = 256, *, key, connectivity: str = "low_rank", noise: str = "additive",
        solver=None, sampler: Sampler | None = None, embedding=None, n_samples: int | None = None,
        n_test: int = 2048, private_noise=0.0, progress: bool = True, **legacy):
    """Train a rate network so that its latent drift and diffusion match a target SDE.

    Minimises the drift–diffusion matching loss (METHOD.md section 3) over points drawn from a
    sampling measure; no simulation or backpropagation through time. The method is an object:
    ``ddm.ClosedForm(ridge)`` (low-rank connectivity: ridge regression of the drift on the
    network's rates in float64, the diffusion in closed form; the default for low_rank),
    ``ddm.Optax(optimizer, steps, batch_size, precondition, init, ...)`` (the whole loss by any
    optax transformation, minibatched; the default for symmetric connectivity) or
    ``ddm.Preconditioned(steps, init, ...)`` (full-batch preconditioned gradient descent with a line
    search; the default for full connectivity). Full and symmetric J have an off-manifold drift,
    which the loss penalises.

    Embedding (``ddm.Embedding``): user coordinates map to internal ones by
    ``z = latent_gain * (z_user - centre) / half_width`` of the sampler's extent; M is a random
    Gaussian matrix with orthonormalised columns scaled to ``M^T M = N I`` and x0 is uniform on
    ``[-offset_scale, offset_scale]`` projected off span(M), so every neuron's input is O(1).

    Parameters
    ----------
    target : SDE or recorded trajectories
        The target (a built-in from ``ddm.systems`` or a user's ``ddm.SDE``), or data: an xarray
        DataArray (trial, time, latent) with a uniform time coordinate, or a list of them; its
        settings are ``solver=ddm.FromData(...)`` (README, "Learning from data").
    n_neurons : int
        N, at least the latent dimension d.
    key : PRNG key
        Draws the embedding, the training and held-out points and any initialisation.
    connectivity : {"low_rank", "full", "symmetric"}
    noise : {"additive", "multiplicative"}
    solver : ClosedForm, Optax or Preconditioned, optional
        The method and its settings (default: ClosedForm for low_rank, Optax otherwise).
    sampler : Sampler, optional
        ``ddm.box``, ``ddm.gaussian`` or ``ddm.occupation``; default a box over ``target.region``
        (required when the target has no region: the embedding is then scaled to the sampler's
        extent). Training points are ``sampler.sample_train`` draws, the held-out points of eps_f
        and eps_D ``sampler.sample_test`` draws: fresh draws for a box or a Gaussian, the held-out
        trials or time block of an occupation sampler (see :func:`ddm_explore.occupation`).
    embedding : Embedding, optional
        ``latent_gain``, ``offset_scale``, the rate ``nonlinearity`` and how M's ``rows`` are drawn.
    n_samples, n_test : int
        Training and held-out points (default n_samples = max(4096, 8 N)).
    private_noise : float or PrivateNoise
        Standard deviation s of independent per-neuron noise in the simulations the network is for
        (METHOD.md section 8); ``ddm.PrivateNoise(s, variance_penalty=)`` sets the weight of the
        fluctuation's variance in the drift regression (default "auto": the smallest of 0.03, 0.1,
        0.3, 1 whose induced noise leaves at most 1% of the target's diffusion unmatched).
    progress : bool
        Show a progress bar for the optax routes.
    **legacy
        The earlier keywords (``method``, ``ridge``, ``optimizer``, ``steps``, ``batch_size``,
        ``init``, ``init_gain``, ``precondition``, ``lambda_D``, ``lambda_inv``, ``l2``,
        ``latent_gain``, ``offset_scale``) still work and are translated to these objects.

    Returns
    -------
    net : Network
    report : xarray.Dataset
        ``loss`` (step), held-out ``eps_f`` and ``eps_D`` (NaN when the target has no noise),
        ``weight_rms``; sizes and settings in attrs, among them ``held_out`` (how the test points
        were kept apart from the training points) and, for an occupation sampler,
        ``n_train_states`` and ``n_test_states``.

    Examples
    --------
    >>> import jax, ddm_explore as ddm
    >>> net, report = ddm.fit(ddm.systems.van_der_pol(), 128, key=jax.random.key(0))
    >>> bool(report.eps_f < 0.02)
    True
    >>> net, report = ddm.fit(ddm.systems.van_der_pol(), 64, key=jax.random.key(0), connectivity="full",
    ...                       solver=ddm.Optax(steps=10), progress=False)
    >>> report.sizes["step"]
    10
    """
    if is_trajectory_data(target):  # recorded trajectories instead of formulas: METHOD.md section 9
        return fit_data(target, n_neurons, key=key, connectivity=connectivity, noise=noise, solver=solver, sampler=sampler,
                        embedding=embedding, n_samples=n_samples, n_test=n_test, private_noise=private_noise,
                        progress=progress, **legacy)
    check_sde("target", target)
    key = check_key("key", key)
    N = check_int("n_neurons", n_neurons)
    if N < target.dim:
        raise ValueError(f"`n_neurons` must be >= the latent dimension {target.dim}, got {N}")
    check_choice("connectivity", connectivity, CONNECTIVITIES)
    check_choice("noise", noise, NOISE_MODES)
    solver, embedding = resolve_options(connectivity, solver, embedding, legacy)
    n_samples = check_int("n_samples", n_samples if n_samples is not None else max(4096, 8 * N), minimum=2)
    n_test = check_int("n_test", n_test, minimum=2)
    noise_model = as_private_noise(private_noise)
    private_noise = noise_model.level
    sampler = _check_sampler(sampler, target)

    t_start = time.perf_counter()
    k_embed, k_train, k_test, k_utrain, k_utest, k_init, k_opt = jax.random.split(key, 7)
    M, x0, template = _template(target, sampler, N, embedding, k_embed, connectivity, noise)
    Z, U = sampler.sample_train(k_train, n_samples), draw_inputs(target, k_utrain, n_samples)
    streamed = isinstance(solver, ClosedForm) and solver.streams(N, private_noise)
    if streamed and private_noise > 0:
        raise ValueError(f"`solver`={solver!r} streams the rates, but private noise needs them stored: use "
                         f"streaming=False or None with private_noise={private_noise:g}")
    data = training_data(target, template, Z, U, off_manifold_std(M, private_noise) if private_noise > 0 else None,
                         store_rates=not streamed)
    on_device = streamed and solver.on_device(jax.default_backend())
    G = device_design_gram(data) if on_device else design_gram(data, float32=streamed and solver.precision == "float32")
    start = None if isinstance(solver, ClosedForm) else default_start(connectivity, solver)
    ridge = solver.ridge if isinstance(solver, ClosedForm) else getattr(start, "ridge", 1e-9)
    if private_noise > 0:  # the fluctuation's linear response, and the weight of its variance in the regression
        R = response_kernels(target, Z, U, np.asarray(template.scale, np.float64))
        data, sol = choose_variance_penalty(data, G, R, noise_model, ridge=ridge, noise=noise)
    else:
        sol = closed_form(data, G, ridge=ridge, noise=noise, refine=solver.refine_steps if streamed else 0,
                          device=on_device)
    if isinstance(solver, ClosedForm):
        net = template.replace(**_f32(_low_rank_fields(sol, M, x0)))
        history, interrupted = np.array([closed_form_loss(data, sol, 1.0)]), False
    else:
        net, history, interrupted = _train(solver, start, template, M, x0, data, G, sol, connectivity, (k_init, k_opt), progress)
    unmatched = induced = None
    if private_noise > 0:  # the latent loading that, with the noise the private noise induces, gives g g^T
        # the readout the fluctuation enters through: the closed form's float64 W, or the trained
        # network's (its J is already the symmetrised one for symmetric connectivity)
        W = sol["W"] if isinstance(solver, ClosedForm) else np.asarray(net.readout_weights(), np.float64)
        gamma0, Gamma, unmatched, Q = matched_loading(data, W, R, private_noise, noise, ridge)
        net = net.replace(**_f32(dict(gamma0=gamma0, Gamma=Gamma)))
        scale = np.asarray(template.scale, np.float64)
        induced = 0.5 * Q * np.outer(scale, scale)  # D = g g^T / 2, user coordinates
        warn_if_unmatched(unmatched, N, private_noise, induced)
    _check_finite(net)
    net = net.replace(name=f"{target.name} network", private_noise=jax.device_put(np.float32(private_noise)),
                      time_scale=float(target.time_scale))
    fit_seconds = time.perf_counter() - t_start
    eps = matching_errors(net, target, sampler.sample_test(k_test, n_test), draw_inputs(target, k_utest, n_test))
    attrs = dict(target=target.name, target_params=str(target.params), n_neurons=N, dim=target.dim,
                 input_dim=target.input_dim, connectivity=connectivity, noise=noise, sampler=sampler.describe(),
                 n_samples=n_samples, n_test=n_test, fit_seconds=fit_seconds, interrupted=int(interrupted),
                 **_solver_attrs(solver), latent_gain=embedding.latent_gain, offset_scale=embedding.offset_scale,
                 nonlinearity=embedding.nonlinearity, private_noise=private_noise, **_held_out_attrs(sampler),
                 **({} if embedding.rows == DenseRows() else dict(rows=embedding.rows.describe())),
                 **(dict(variance_penalty=data.variance_penalty, variance_penalty_rule=str(noise_model.variance_penalty))
                    if private_noise > 0 else {}))
    report = _report(net, history, eps, attrs, sol["W"] if isinstance(solver, ClosedForm) else None)
    if private_noise > 0:
        report["unmatched_diffusion"] = ((), unmatched, dict(
            long_name="fraction of the target's diffusion that the induced latent noise exceeds (not matchable at this N "
                      "and s; NaN when the target has none)"))
        report["induced_diffusion"] = (("latent_i", "latent_j"), induced, dict(
            long_name="diffusion the private noise induces in the latent state (white-noise equivalent, mean over the "
                      "training points)", units="latent units^2 / tau"))
    return net, report


def _check_sampler(sampler, target):
    sampler = default_sampler(target, sampler)
    if not isinstance(sampler, Sampler):
        raise ValueError(f"`sampler` must come from ddm.box, ddm.gaussian or ddm.occupation, got {type(sampler).__name__}")
    if sampler.dim != target.dim:
        raise ValueError(f"`sampler` draws {sampler.dim}-dimensional points but the target has dim={target.dim}")
    return sampler


def _held_out_attrs(sampler) -> dict:
    """How the test points of eps_f / eps_D relate to the training points, for the report."""
    out = dict(held_out=sampler.held_out)
    if sampler.n_test_states is not None:
        out.update(n_train_states=sampler.n_train_states, n_test_states=sampler.n_test_states)
    return out


def _f32(fields: dict) -> dict:
    return jax.device_put({k: None if v is None else np.asarray(v, np.float32) for k, v in fields.items()})


def _template(target, sampler, N, embedding, key, connectivity, noise):
    """The embedding (float64 M, x0) and a network carrying it with zero connectivity."""
    d, k = target.dim, target.input_dim
    lo, hi = (np.asarray(e, np.float64) for e in sampler.extent)
    M, x0 = embedding.rows.draw(key, N, d, offset_scale=embedding.offset_scale)
    zeros = dict(W=np.zeros((N, d)), J_full=None) if connectivity == "low_rank" else dict(W=None, J_full=np.zeros((N, N)))
    arrays = _f32(dict(M=M, x0=x0, b=x0, B=np.zeros((N, k)), gamma0=np.eye(d), private_noise=np.float32(0.0),
                       Gamma=None if noise == "additive" else np.zeros((d, d, N)), centre=(lo + hi) / 2,
                       scale=(hi - lo) / 2 / embedding.latent_gain, region_low=lo, region_high=hi, **zeros))
    return M, x0, Network(**arrays, connectivity=connectivity, noise=noise, nonlinearity=embedding.nonlinearity)


def _low_rank_fields(sol, M, x0) -> dict:
    return dict(W=sol["W"], b=x0 + M @ sol["b_lat"], B=M @ sol["B_lat"], gamma0=sol["gamma0"], Gamma=sol["Gamma"])


def _initial_fields(start, connectivity, sol, M, x0, key) -> dict:
    """The optax route's starting connectivity, biases and noise loading (float64)."""
    N, d = M.shape
    bulk = np.asarray(jax.random.normal(key, (N, N)), np.float64) / np.sqrt(N)
    out = _low_rank_fields(sol, M, x0)
    if not isinstance(start, WarmStart):
        W0 = np.asarray(jax.random.normal(jax.random.fold_in(key, 1), (N, d)), np.float64) / np.sqrt(N)
        out.update(W=W0, b=x0.copy(), B=np.zeros_like(out["B"]), gamma0=np.eye(d) * 0.1,
                   Gamma=None if sol["Gamma"] is None else np.zeros_like(sol["Gamma"]))
    gain = bulk_gain(start, connectivity)
    if connectivity == "full":
        out.update(J_full=M @ out.pop("W").T + gain * bulk, W=None)
    elif connectivity == "symmetric":
        J = M @ out.pop("W").T
        out.update(J_full=0.5 * (J + J.T) + gain * 0.5 * (bulk + bulk.T), W=None)
    return out


def _train(solver, start, template, M, x0, data, G, sol, connectivity, keys, progress):
    """The optax routes: from the start, exactly ``solver.steps`` steps; returns (net, history, interrupted)."""
    k_init, k_opt = keys
    net0 = template.replace(**_f32(_initial_fields(start, connectivity, sol, M, x0, k_init)))
    trainable, frozen = partition(net0)
    s_D2 = float(np.mean(np.sum(data.S**2, (-1, -2))))
    weights = dict(s_f2=float(np.mean(np.sum(data.F**2, -1))) or 1.0, s_D2=s_D2 or 1.0,
                   lambda_D=solver.lambda_D if s_D2 > 0 else 0.0, lambda_inv=solver.lambda_inv, l2=solver.l2,
                   vbar=np.zeros(data.n_neurons) if data.variances is None else data.readout_penalty())
    P = preconditioner(G, M.shape[0], data.n, data.U, data.S, weights, connectivity) if solver.precondition else None
    batch_size = data.n if solver.full_batch else min(solver.batch_size, data.n)
    best, history, interrupted = train(trainable, frozen, data.as_batch(), solver.transformation(isinstance(start, WarmStart)),
                                       k_opt, steps=solver.steps, batch_size=batch_size, weights=weights,
                                       symmetric=connectivity == "symmetric", progress=progress, P=P)
    net = effective(combine(best, frozen), connectivity == "symmetric")
    # inputs (and a low-rank network's bias) act through span(M) only: keep them there, so a
    # low-rank manifold stays exactly invariant
    Mj, n = net.M, net.n_neurons
    net = net.replace(B=Mj @ (Mj.T @ net.B) / n)
    if connectivity == "low_rank":
        net = net.replace(b=net.x0 + Mj @ (Mj.T @ (net.b - net.x0)) / n)
    return net, history, interrupted


def _check_finite(net):
    bad = [name for name, a in (("J", net.W if net.J_full is None else net.J_full), ("b", net.b), ("noise loading", net.gamma0))
           if not np.all(np.isfinite(np.asarray(a)))]
    if bad:
        raise FloatingPointError(f"fit produced non-finite {', '.join(bad)}: lower the learning rate of `optimizer`, "
                                 f"raise `ridge`, or shrink the sampling region")


def _solver_attrs(solver) -> dict:
    if isinstance(solver, ClosedForm):
        return dict(method="lstsq", solver=repr(solver), ridge=solver.ridge, steps=0, precondition=0)
    start = solver.init
    return dict(method="preconditioned" if isinstance(solver, Preconditioned) else "adam", solver=repr(solver),
                ridge=getattr(start, "ridge", 1e-9), lambda_D=solver.lambda_D, lambda_inv=solver.lambda_inv,
                l2=solver.l2, steps=solver.steps, precondition=int(bool(solver.precondition)))


def _report(net, history, eps, attrs, W64=None) -> xr.Dataset:
    """The fit's report; ``W64`` the closed form's float64 readout, when there is one."""
    N = net.n_neurons
    W = W64 if W64 is not None else None if net.W is None else np.asarray(net.W, np.float64)
    weight_rms = float(np.sqrt(np.mean(np.square(W)))) if W is not None else \
        float(np.sqrt(np.mean(np.square(np.asarray(net.J_full, np.float64)))) * math.sqrt(N))
    n_test = attrs["n_test"]
    return xr.Dataset(
        dict(loss=("step", np.asarray(history, np.float64), dict(long_name="matching loss (training batch)")),
             eps_f=((), eps[0], dict(long_name="held-out relative drift error", n_test=n_test)),
             eps_D=((), eps[1], dict(long_name="held-out relative diffusion error", n_test=n_test)),
             weight_rms=((), weight_rms, dict(long_name="RMS readout weight (low_rank) or sqrt(N) RMS J"))),
        coords=dict(step=np.arange(len(history))), attrs=attrs)


# the data route builds on the helpers above, so it is imported once they exist
from ._from_data import fit_data  # noqa: E402
