"""Time-irreversibility of an SDE or a network's latent SDE: stationary density, probability
current, the split f = f_rev + f_irr and the entropy production rate (METHOD.md section 5d)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import scipy.linalg
import xarray as xr

import warnings
from dataclasses import dataclass

from .._checks import as_array, check_choice, check_int, check_key, check_positive
from .._estimates import LatentEquationWarning, warn_sample
from .._threads import one_blas_thread
from ..matching._private_noise import (N_NODES, induced_diffusion, mean_induced_diffusion, off_manifold_std,
                                       response_kernels, smoothed_rates)
from ..simulation._simulate import simulate
from . import _fokker_planck as fp
from .._system import check_system
from ._fields import check_input, chunked, fields
from ._grid import check_grid_dim, grid_axes, grid_coords, grid_points, grid_region

METHODS = ("grid", "samples")
_DEFAULT_GRID = {1: 400, 2: 100}
#: fold_in tag of the key that simulates a network in the sample route ("netw"): its noise is its own,
#: not the noise a target SDE gets from the same key
_NETWORK_STREAM = 0x6E657477
#: points of the sample that enter the mean of the induced diffusion Q (effective latent fields)
_Q_POINTS = 2000


def latent_equation_caveat(system) -> str | None:
    """Why a network's latent equation on its manifold is not the dynamics of its readout z, or None.

    ``net.latent_drift`` and ``net.latent_diffusion`` are the network's dynamics exactly when the
    manifold is invariant and the state stays on it: low-rank J, bias ``x0 + M b_lat`` and input
    weights in span(M), no private noise (METHOD.md sections 2 and 8). None for an SDE.
    """
    if not system.has_neurons:
        return None
    reasons = []
    if system.connectivity != "low_rank":
        reasons.append(f"connectivity={system.connectivity!r} has an off-manifold drift")
    s = float(system.private_noise)
    if s > 0:
        reasons.append(f"private_noise={s:g} moves the state off the manifold and adds coloured latent noise")
    M = np.asarray(system.M, np.float64)
    N = M.shape[0]
    for name, v in (("bias b - x0", np.asarray(system.b, np.float64) - np.asarray(system.x0, np.float64)),
                    ("input weights B", np.asarray(system.B, np.float64))):
        off = v - M @ (M.T @ v) / N
        if np.linalg.norm(off) > 1e-4 * max(np.linalg.norm(v), 1.0):
            reasons.append(f"the {name} has a part off the manifold")
    return "; ".join(reasons) or None


@one_blas_thread
def irreversibility(target, method: str = "grid", *, region=None, n_grid: int | None = None, u=None,
                    key=None, t_max: float = 100.0, dt: float = 0.002, n_trials: int = 32,
                    t_burn: float = 20.0, max_samples: int = 200_000) -> xr.Dataset:
    """Stationary density, probability current, reversible/irreversible drift and entropy production.

    For ``dz = f dt + g dW`` with ``D = g g^T / 2`` (METHOD.md 5d): the stationary density p, the
    current ``j = f p - div(D p)``, ``f_irr = j / p``, ``f_rev = f - f_irr = D grad ln p + div D``
    and the entropy production rate ``e_p = E_p[f_irr^T D^{-1} f_irr] >= 0``, zero exactly under
    detailed balance. The target is an SDE or a network.

    For a network the two routes analyse different things. The grid route solves the network's
    latent equation on its manifold (``net.latent_drift``, ``net.latent_diffusion``, user
    coordinates); that is the dynamics of the readout z only for a low-rank J with bias and inputs
    on the manifold and no private noise, and otherwise a :class:`ddm_explore.LatentEquationWarning`
    says why not. The sample route simulates the network that runs (all N neurons, its private
    noise) with the key ``fold_in(key, 0x6E657477)`` (its noise is its own, not the target's
    under the same key; both keys in attrs), so its histogram p and its current are model-free
    measurements of that network; its e_p uses the identity below with the latent equation's
    fields or, with private noise, with :func:`effective_latent_fields` (smoothed drift, induced
    noise counted as white: an approximation, stated in attrs ``fields``, with the latent
    equation's value alongside as ``entropy_production_latent_equation``).

    ``method="grid"`` (d <= 2): finite-volume Fokker–Planck operator on the box with zero-flux walls
    (Scharfetter–Gummel fluxes, any smooth positive-definite D(z)); p is its null vector by a sparse
    LU solve, the current is the discrete (exactly conserved) face flux averaged to cell centres,
    and e_p the p-weighted sum over cells. Second order in the cell size; the box should hold
    nearly all the mass (the walls force the current to run along them).

    ``method="samples"`` (any d): ``n_trials`` Euler–Maruyama runs of length ``t_max`` after a
    burn-in ``t_burn`` (a network: all N neurons, see above). e_p uses the identity
    ``e_p = E_p[a^T D^{-1} a + div a]``, ``a = f - div D`` (integrate ``f_irr^T D^{-1} f_irr`` by
    parts with ``div j = 0``): an average of known functions over the samples, no density
    estimate needed; ``entropy_production_se`` is its standard error from the spread of the
    per-trial means. For d <= 2 it also returns a histogram p on the grid's cells and the
    current from the trajectories, the binned mean of the Stratonovich increments
    ``j ~ sum (z_{t+dt} - z_t) 1[(z_t + z_{t+dt}) / 2 in cell] / (T vol)``, so ``f_irr = j / p``
    there is model-free (NaN in cells with fewer than 10 visits). Euler–Maruyama biases the
    sampled density at O(dt), and the identity, a difference of two large terms for stiff drifts,
    amplifies it: on the 4-well ring at D = 0.1 the estimate is 12% high at dt = 0.005 and 3% at
    dt = 0.001; check by halving dt.

    Parameters
    ----------
    target : SDE or Network
    method : {"grid", "samples"}
    region : (low, high), optional
        The box: default the SDE's region, or the region the network was fitted on.
    n_grid : int, optional
        Cells per dimension: default 100 (d = 2) or 400 (d = 1) for the grid route; 40 bins for
        the histogram of the sample route.
    u : (k,) array, optional
        A constant input (default zero).
    key : PRNG key
        Required by ``method="samples"``: starts (uniform in the region) and noise.
    t_max, dt, n_trials, t_burn : float, float, int, float
        Sample route: length of each run after the burn-in, time step, runs, burn-in.
    max_samples : int
        Sample route: at most this many (evenly thinned) states enter the e_p average.

    Returns
    -------
    xarray.Dataset
        Grid fields (d <= 2; dims ``z0`` [, ``z1``] and ``latent``): ``p``, ``f``, ``f_rev``,
        ``f_irr``, ``current``, ``entropy_production_density`` (``p f_irr^T D^{-1} f_irr``); scalar
        ``entropy_production`` (1 / tau); the sample route adds ``entropy_production_se`` (and, for a
        network with private noise, ``entropy_production_latent_equation``). Settings, sample sizes,
        keys, what was simulated and which fields entered e_p in attrs.

    Examples
    --------
    >>> import ddm_explore as ddm
    >>> ds = ddm.analysis.irreversibility(ddm.systems.ornstein_uhlenbeck(w=1.0, s=1.0))
    >>> round(float(ds.entropy_production), 1)  # 2 w^2
    2.0
    """
    check_system("target", target)
    check_choice("method", method, METHODS)
    u = check_input(target, u)
    low, high = grid_region(target, region)
    caveat = latent_equation_caveat(target)
    if method == "grid":
        check_grid_dim("target", target, "method='grid'")
        if caveat:
            warnings.warn(f"irreversibility(method='grid') analyses the network's latent equation on its manifold, "
                          f"which is not the dynamics of this network: {caveat}. method='samples' simulates all "
                          f"{target.n_neurons} neurons", LatentEquationWarning, stacklevel=3)
        n_grid = _DEFAULT_GRID[target.dim] if n_grid is None else check_int("n_grid", n_grid, minimum=3)
        ds = _grid_route(target, u, low, high, n_grid)
        if target.has_neurons:
            ds.attrs.update(fields="latent equation on the manifold (net.latent_drift, net.latent_diffusion)",
                            latent_equation_caveat=caveat or "none: the latent equation is the network's dynamics")
    else:
        key = check_key("key", key)
        ds = _sample_route(target, u, low, high, 40 if n_grid is None else check_int("n_grid", n_grid, minimum=3),
                           key=key, t_max=check_positive("t_max", t_max), dt=check_positive("dt", dt),
                           n_trials=check_int("n_trials", n_trials, minimum=2),
                           t_burn=check_positive("t_burn", t_burn, allow_zero=True),
                           max_samples=check_int("max_samples", max_samples, minimum=10), caveat=caveat)
    ds.attrs.update(**target.describe(), u=np.asarray(u).tolist(), region_low=np.asarray(low).tolist(),
                    region_high=np.asarray(high).tolist())
    return ds


# ---------------------------------------------------------------------------------------------
# grid route
# ---------------------------------------------------------------------------------------------
def _check_positive_definite(D, Z):
    lam = np.linalg.eigvalsh(0.5 * (D + np.swapaxes(D, -1, -2)))[..., 0]
    if not np.all(lam > 0):
        i = int(np.argmin(lam))
        raise ValueError(f"the diffusion matrix must be positive definite on the region for irreversibility "
                         f"(e_p uses D^-1), but its smallest eigenvalue is {lam.flat[i]:.3g} at z={Z[i].tolist()}")


def _grid_route(target, u, low, high, n_grid) -> xr.Dataset:
    d = target.dim
    axes = grid_axes(low, high, n_grid)
    Z = grid_points(axes)
    shape = Z.shape[:-1]
    f, D, dD = fields(target, Z.reshape(-1, d), u)
    _check_positive_definite(D, Z.reshape(-1, d))
    f, D, dD = f.reshape(shape + (d,)), D.reshape(shape + (d, d)), dD.reshape(shape + (d, d, d))
    f_face, D_face, dD_face = [], [], []
    for k in range(d):
        ZF = fp.face_points(axes, k)
        ff, DF, dDF = fields(target, ZF.reshape(-1, d), u)
        _check_positive_definite(DF, ZF.reshape(-1, d))
        f_face.append(ff.reshape(ZF.shape))
        D_face.append(DF.reshape(ZF.shape + (d,)))
        dD_face.append(dDF.reshape(ZF.shape + (d, d)))
    fluxes = fp.flux_operators(axes, D, f_face, D_face, dD_face)
    divs = fp.divergence_operators(axes)
    L = sum(divs[k] @ fluxes[k] for k in range(d))
    vol = float(np.prod([a[1] - a[0] for a in axes]))
    p = np.clip(fp.stationary_density(L, vol), 0.0, None)
    p = p / (p.sum() * vol)
    j = fp.centre_current(axes, [F @ p for F in fluxes])
    p = p.reshape(shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        f_irr = np.where(p[..., None] > 0, j / p[..., None], 0.0)
    f_rev = f - f_irr
    Dinv = np.linalg.inv(D)
    density = p * np.einsum("...k,...kl,...l->...", f_irr, Dinv, f_irr)
    e_p = float(density.sum() * vol)
    return _grid_dataset(axes, p, f, f_rev, f_irr, j, density, e_p,
                         attrs=dict(method="grid", n_grid=n_grid, scheme="finite volume, Scharfetter-Gummel, zero-flux walls",
                                    mass_at_walls=_wall_mass(p, vol)))


def _wall_mass(p, vol) -> float:
    """Probability in the outermost ring of cells: large values mean the box cuts the density."""
    inner = p[(slice(1, -1),) * p.ndim]
    return float((p.sum() - inner.sum()) * vol)


def _grid_dataset(axes, p, f, f_rev, f_irr, j, density, e_p, attrs) -> xr.Dataset:
    gd = tuple(f"z{i}" for i in range(len(axes)))
    vd = gd + ("latent",)
    data = dict(
        p=(gd, p, dict(long_name="stationary density", units="1 / latent volume")),
        f=(vd, f, dict(long_name="drift f", units="latent units / tau")),
        f_rev=(vd, f_rev, dict(long_name="reversible drift f - j/p = D grad ln p + div D", units="latent units / tau")),
        f_irr=(vd, f_irr, dict(long_name="irreversible drift j / p", units="latent units / tau")),
        current=(vd, j, dict(long_name="probability current j = f p - div(D p)", units="latent units / (tau latent volume)")),
        entropy_production_density=(gd, density, dict(long_name="p f_irr^T D^-1 f_irr", units="1 / (tau latent volume)")),
        entropy_production=((), e_p, dict(long_name="entropy production rate E_p[f_irr^T D^-1 f_irr]", units="1 / tau")),
    )
    return xr.Dataset(data, coords=grid_coords(axes), attrs=attrs)


# ---------------------------------------------------------------------------------------------
# sample route
# ---------------------------------------------------------------------------------------------
def _identity_terms(target, Z, u):
    """Per-sample ``a^T D^-1 a + div a`` with ``a = f - div D`` (its mean over p is e_p); div a by
    forward-mode autodiff (second derivatives of D where it varies). ``target`` is anything with
    ``latent_drift``, ``latent_diffusion`` and ``constant_diffusion``."""
    u = jnp.asarray(u)
    vary = not target.constant_diffusion

    def a(z):
        out = target.latent_drift(z, u)
        if vary:
            out = out - jnp.einsum("kll->k", jax.jacfwd(target.latent_diffusion)(z))
        return out

    def term(z):
        az = a(z)
        return az @ jnp.linalg.solve(target.latent_diffusion(z), az) + jnp.trace(jax.jacfwd(a)(z))

    return chunked(jax.jit(jax.vmap(term)), Z)


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class EffectiveLatentFields:
    """The latent fields of a network with private noise once its off-manifold part e is averaged
    out (METHOD.md section 8), user coordinates: the drift ``-z + M^T (J E_e[phi(x0 + M z + e)] + b
    + B u) / N`` (Gauss–Hermite over ``e_i ~ N(0, sigma_i^2)``, ``sigma_i`` the exact low-rank
    off-manifold std) and the diffusion ``D_net(z) + D_Q``, ``D_Q`` the white-noise equivalent of
    the coloured noise the private noise induces (half of ``Q`` of METHOD.md 8, its mean over the
    points it was built on). An approximation: z is not Markov when the state leaves the manifold."""

    net: object
    sigma: jax.Array
    D_Q: jax.Array

    @property
    def constant_diffusion(self) -> bool:
        return self.net.constant_diffusion

    @property
    def input_dim(self) -> int:
        return self.net.input_dim

    def latent_drift(self, z, u=None):
        net = self.net
        zi = net.to_internal(z)
        u = jnp.zeros(zi.shape[:-1] + (net.input_dim,), jnp.float32) if u is None else jnp.asarray(u, jnp.float32)
        nodes, weights = np.polynomial.hermite_e.hermegauss(N_NODES)
        a = net.x0 + zi @ net.M.T
        r = sum(float(w / weights.sum()) * net.phi(a + float(x) * self.sigma) for x, w in zip(nodes, weights))
        return net.scale * net.latent_drift_internal(zi, u, rates=r)

    def latent_diffusion(self, z):
        return self.net.latent_diffusion(z) + self.D_Q


def effective_latent_fields(net, Z, u=None) -> EffectiveLatentFields:
    """:class:`EffectiveLatentFields` of a network with private noise, with ``D_Q`` averaged over the
    points Z (n, d), user coordinates (e.g. states of a simulation of the network)."""
    s = float(net.private_noise)
    u = jnp.asarray(check_input(net, u))
    sigma = off_manifold_std(net.M, s)
    eff = EffectiveLatentFields(net=net, sigma=jnp.asarray(sigma, jnp.float32), D_Q=jnp.zeros((net.dim, net.dim), jnp.float32))
    if s == 0:
        return eff
    Z = np.asarray(Z, np.float32)
    Z = Z[np.linspace(0, len(Z) - 1, min(len(Z), _Q_POINTS)).astype(int)]
    scale = np.asarray(net.scale, np.float64)
    zi = (Z - np.asarray(net.centre, np.float64)) / scale
    _, var = smoothed_rates(net, zi, sigma)
    R = response_kernels(eff, Z, np.broadcast_to(np.asarray(u), (len(Z), net.input_dim)), scale)
    Q = induced_diffusion(np.asarray(net.readout_weights(), np.float64), np.asarray(var, np.float64), R, s, net.n_neurons)
    Q_mean, _ = mean_induced_diffusion(Q, s, net.n_neurons)
    return EffectiveLatentFields(net=net, sigma=eff.sigma,
                                 D_Q=jnp.asarray(0.5 * scale[:, None] * Q_mean * scale[None, :], jnp.float32))


def _sample_route(target, u, low, high, n_bins, *, key, t_max, dt, n_trials, t_burn, max_samples, caveat) -> xr.Dataset:
    d = target.dim
    t_total = t_burn + t_max
    n_steps = int(round(t_total / dt))
    t_total = n_steps * dt
    # a network is simulated as it runs (all N neurons, its private noise), with a key of its own
    sim_key = jax.random.fold_in(key, _NETWORK_STREAM) if target.has_neurons else key
    sim = simulate(target, t_max=t_total, dt=dt, n_trials=n_trials, key=sim_key, inputs=np.asarray(u) if target.input_dim else None, progress=False)
    z = sim.z.values  # (trial, time, d)
    z = z[:, sim.time.values >= t_burn - 1e-9 * max(t_burn, 1.0)].astype(np.float64)
    n_t = z.shape[1]
    stride = max(1, (n_trials * n_t) // max_samples)
    thin = z[:, ::stride]
    private = target.has_neurons and float(target.private_noise) > 0
    model = effective_latent_fields(target, thin.reshape(-1, d), u) if private else target
    terms = _identity_terms(model, thin.reshape(-1, d), u).reshape(n_trials, -1)
    e_p = float(terms.mean())
    se = float(terms.mean(axis=1).std(ddof=1) / np.sqrt(n_trials)) if n_trials > 1 else float("nan")
    if n_trials < 4:
        warn_sample("irreversibility", f"{n_trials} trial(s): the standard error of e_p is unreliable; use n_trials >= 4")
    elif se > 0.1 * abs(e_p) and se > 1e-6:
        warn_sample("irreversibility", f"the standard error of e_p ({se:.3g}) exceeds 10% of e_p ({e_p:.3g}): "
                    f"use a longer t_max or more trials")
    attrs = dict(method="samples", estimator="E_p[a^T D^-1 a + div a], a = f - div D", n_trials=n_trials,
                 t_max=t_max, t_burn=t_burn, dt=dt, n_samples=int(thin.shape[0] * thin.shape[1]),
                 key=str(np.asarray(jax.random.key_data(key)).tolist()), simulation_key=sim.attrs["key"])
    scalars = dict(entropy_production=((), e_p, dict(long_name="entropy production rate (sample estimate)", units="1 / tau")),
                   entropy_production_se=((), se, dict(long_name="standard error of the estimate (per-trial means)", units="1 / tau")))
    if target.has_neurons:
        attrs.update(simulated=f"the network: all {target.n_neurons} neurons, private noise {float(target.private_noise):g}, "
                               f"key fold_in(key, {_NETWORK_STREAM:#x})",
                     fields=("effective latent fields (private noise averaged out, its induced noise as white, METHOD.md 8)"
                             if private else "latent equation on the manifold (net.latent_drift, net.latent_diffusion)"),
                     latent_equation_caveat=caveat or "none: the latent equation is the network's dynamics")
        if private:
            e_lat = float(_identity_terms(target, thin.reshape(-1, d), u).mean())
            scalars["entropy_production_latent_equation"] = ((), e_lat, dict(
                long_name="the identity with the latent equation's fields over the same samples", units="1 / tau"))
        if caveat:
            warnings.warn(f"irreversibility(method='samples'): the density and current are those of the network that runs "
                          f"(all {target.n_neurons} neurons simulated), but e_p comes from the identity with "
                          f"{attrs['fields']}, not the exact dynamics of z: {caveat}", LatentEquationWarning, stacklevel=3)
    else:
        attrs["simulated"] = "the SDE"
    if d > 2:
        return xr.Dataset(scalars, attrs=attrs)
    axes = grid_axes(low, high, n_bins)
    edges = [np.linspace(lo, hi, n_bins + 1) for lo, hi in zip(low, high)]
    vol = float(np.prod([e[1] - e[0] for e in edges]))
    T = n_trials * (n_t - 1) * dt
    pts = z.reshape(-1, d)
    counts, _ = np.histogramdd(pts, bins=edges)
    p = counts / (len(pts) * vol)
    dz = (z[:, 1:] - z[:, :-1]).reshape(-1, d)
    mid = (0.5 * (z[:, 1:] + z[:, :-1])).reshape(-1, d)
    visits, _ = np.histogramdd(mid, bins=edges)
    j = np.stack([np.histogramdd(mid, bins=edges, weights=dz[:, k])[0] for k in range(d)], axis=-1) / (T * vol)
    Zg = grid_points(axes)
    f, D, _ = fields(model, Zg.reshape(-1, d), u, derivatives=False)
    f, D = f.reshape(Zg.shape), D.reshape(Zg.shape + (d,))
    ok = visits >= 10
    with np.errstate(divide="ignore", invalid="ignore"):
        f_irr = np.where(ok[..., None], j / p[..., None], np.nan)
    density = p * np.einsum("...k,...kl,...l->...", f_irr, np.linalg.inv(D), f_irr)
    ds = _grid_dataset(axes, p, f, f - f_irr, f_irr, j, density, e_p, attrs)
    ds["entropy_production"].attrs["long_name"] = "entropy production rate (sample estimate)"
    for name in scalars:
        if name != "entropy_production":
            ds[name] = scalars[name]
    ds.attrs.update(n_bins=n_bins, fraction_outside=float(1.0 - counts.sum() / len(pts)))
    return ds


# ---------------------------------------------------------------------------------------------
# linear systems in closed form
# ---------------------------------------------------------------------------------------------
def linear_irreversibility(A, D) -> xr.Dataset:
    """Closed-form irreversibility of a linear SDE ``dz = -A z dt + g dW``, ``D = g g^T / 2`` (any d).

    METHOD.md section 6: the stationary covariance solves ``A S + S A^T = 2 D``;
    ``f_irr = -Omega z`` with ``Omega = A - D S^-1``; ``e_p = tr(Omega^T D^-1 Omega S)``, zero exactly
    when ``A D = D A^T`` (detailed balance). A linear rate network ``dx = (-x + W x) dt + sigma dW``
    is the case ``A = I - W``, ``D = sigma^2 / 2 I``: reversible exactly when W is symmetric.

    Parameters
    ----------
    A : (d, d) array
        Eigenvalues with positive real part.
    D : (d, d) array
        Symmetric positive definite diffusion matrix.

    Returns
    -------
    xarray.Dataset
        ``S`` and ``Omega`` (latent_i, latent_j) and scalar ``entropy_production`` (1 / tau).

    Examples
    --------
    >>> import numpy as np
    >>> float(linear_irreversibility([[1.0, -2.0], [2.0, 1.0]], 0.5 * np.eye(2)).entropy_production)  # 2 w^2
    8.0
    """
    A = as_array("A", A, ndim=2)
    D = as_array("D", D, ndim=2)
    d = A.shape[0]
    if A.shape != (d, d) or D.shape != (d, d):
        raise ValueError(f"`A` and `D` must be square of the same size, got shapes {A.shape} and {D.shape}")
    if np.any(np.linalg.eigvals(A).real <= 0):
        raise ValueError(f"`A` must have eigenvalues with positive real part, got {np.linalg.eigvals(A).tolist()}")
    if not np.allclose(D, D.T) or np.linalg.eigvalsh(D)[0] <= 0:
        raise ValueError(f"`D` must be symmetric positive definite, got eigenvalues {np.linalg.eigvals(D).tolist()}")
    S = scipy.linalg.solve_continuous_lyapunov(A, 2.0 * D)
    S = 0.5 * (S + S.T)
    Omega = A - D @ np.linalg.inv(S)
    e_p = float(np.trace(Omega.T @ np.linalg.solve(D, Omega) @ S))
    dims = ("latent_i", "latent_j")
    return xr.Dataset(dict(S=(dims, S, dict(long_name="stationary covariance")),
                           Omega=(dims, Omega, dict(long_name="irreversible drift matrix, f_irr = -Omega z", units="1 / tau")),
                           entropy_production=((), e_p, dict(long_name="entropy production rate", units="1 / tau"))),
                      coords=dict(latent_i=np.arange(d), latent_j=np.arange(d)), attrs=dict(A=A.tolist(), D=D.tolist()))
