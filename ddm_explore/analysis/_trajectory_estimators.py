"""Model-free irreversibility estimators from trajectories, for latent states or neuron activity
(METHOD.md section 5d): lagged-covariance asymmetry and Markov-chain entropy production."""

from __future__ import annotations

import jax
import numpy as np
import scipy.cluster.vq
import xarray as xr

from .._checks import _show, check_choice, check_int, check_key
from .._estimates import warn_sample

COARSE_METHODS = ("kmeans", "grid")


def _trajectories(name: str, traj) -> tuple[xr.DataArray, str]:
    """A DataArray (trial, time, feature) with a time coordinate; returns it and the feature dim."""
    if not isinstance(traj, xr.DataArray) or traj.ndim != 3 or traj.dims[:2] != ("trial", "time"):
        raise ValueError(f"`{name}` must be a DataArray with dims (trial, time, latent) or (trial, time, neuron), "
                         f"e.g. simulate(...).z or .x; got {type(traj).__name__} with dims {getattr(traj, 'dims', None)}")
    if traj.sizes["time"] < 3:
        raise ValueError(f"`{name}` needs at least 3 time points, got {traj.sizes['time']}")
    if not np.all(np.isfinite(traj.values)):
        raise ValueError(f"`{name}` must be finite, got {_show(traj.values)}")
    return traj, traj.dims[2]


def _record_interval(traj) -> float:
    t = np.asarray(traj.time.values, np.float64)
    steps = np.diff(t)
    if not np.allclose(steps, steps[0], rtol=1e-4):
        raise ValueError(f"`traj` must be recorded at a constant interval, got intervals from {steps.min()} to {steps.max()}")
    return float(steps[0])


def lagged_covariance(traj, lags=(1, 5, 10), *, n_pairs: int = 10) -> xr.Dataset:
    """Lagged covariance ``C(tau) = E[dx(t) dx(t + tau)^T]`` and its asymmetry, which vanishes for a
    reversible process (``C(tau) = C(tau)^T``); the pairs of components that carry it.

    Stationarity is assumed: means and averages pool all trials and times. A nonzero
    ``C_ij(tau) - C_ji(tau)`` says that i tends to lead j (or j lag i) more than the reverse;
    it works on latent states and on neuron activity alike.

    Parameters
    ----------
    traj : DataArray (trial, time, latent | neuron)
        E.g. ``simulate(...).z`` or ``simulate(..., record_neurons=True).x``.
    lags : sequence of int
        Lags in recorded steps (>= 1).
    n_pairs : int
        How many pairs (i < j) with the largest ``|C_ij - C_ji|`` to list per lag.

    Returns
    -------
    xarray.Dataset
        ``C`` and ``asymmetry = C - C^T`` (lag, <dim>_i, <dim>_j); ``asymmetry_index``
        ``||C - C^T||_F / (2 ||C||_F)`` (lag); ``pair_i``, ``pair_j``, ``pair_asymmetry``
        (lag, pair), sorted by decreasing magnitude. The coordinate ``tau`` gives lags in time units.

    Examples
    --------
    >>> import jax, ddm_explore as ddm
    >>> ds = ddm.simulate(ddm.systems.ornstein_uhlenbeck(w=1.0), t_max=50.0, dt=0.01, n_trials=4,
    ...                   key=jax.random.key(0), record_every=10, progress=False)
    >>> cov = ddm.analysis.lagged_covariance(ds.z, lags=[5])
    >>> bool(cov.asymmetry_index.sel(lag=5) > 0.3)  # rotation: z0 and z1 lead each other unequally
    True
    """
    traj, dim = _trajectories("traj", traj)
    lags = np.atleast_1d(np.asarray(lags))
    if lags.ndim != 1 or not np.issubdtype(lags.dtype, np.integer) or np.any(lags < 1) or np.any(lags >= traj.sizes["time"]):
        raise ValueError(f"`lags` must be integers in 1..{traj.sizes['time'] - 1} (recorded steps), got {_show(lags)}")
    n = traj.sizes[dim]
    n_pairs = min(check_int("n_pairs", n_pairs), max(n * (n - 1) // 2, 1))
    dt = _record_interval(traj)
    x = np.asarray(traj.values, np.float64)
    x = x - x.reshape(-1, n).mean(0)
    n_samples = traj.sizes["trial"] * (traj.sizes["time"] - int(lags.max()))
    if n_samples < 10 * n:
        warn_sample("lagged_covariance", f"{n_samples} samples at the longest lag for {n} features (fewer than 10 per "
                    f"feature): the covariances are noisy; use longer runs or more trials")
    Cs = []
    for lag in lags:
        a, b = x[:, :-lag].reshape(-1, n), x[:, lag:].reshape(-1, n)
        Cs.append(a.T @ b / len(a))
    C = np.stack(Cs)
    A = C - np.swapaxes(C, -1, -2)
    index = np.linalg.norm(A, axis=(-1, -2)) / (2.0 * np.linalg.norm(C, axis=(-1, -2)))
    iu, ju = np.triu_indices(n, k=1) if n > 1 else (np.zeros(1, int), np.zeros(1, int))
    vals = A[:, iu, ju]
    order = np.argsort(-np.abs(vals), axis=1, kind="stable")[:, :n_pairs]
    di, dj = f"{dim}_i", f"{dim}_j"
    return xr.Dataset(
        dict(C=(("lag", di, dj), C, dict(long_name="lagged covariance E[dx_i(t) dx_j(t + tau)]")),
             asymmetry=(("lag", di, dj), A, dict(long_name="C - C^T")),
             asymmetry_index=(("lag",), index, dict(long_name="||C - C^T||_F / (2 ||C||_F)")),
             pair_i=(("lag", "pair"), iu[order]), pair_j=(("lag", "pair"), ju[order]),
             pair_asymmetry=(("lag", "pair"), np.take_along_axis(vals, order, axis=1),
                             dict(long_name="C_ij - C_ji of the listed pair"))),
        coords={"lag": lags, "tau": ("lag", lags * dt, dict(units="tau")), di: np.arange(n), dj: np.arange(n),
                "pair": np.arange(n_pairs)},
        attrs=dict(feature=dim, n_trials=traj.sizes["trial"], n_time=traj.sizes["time"], record_interval=dt,
                   n_samples_longest_lag=n_samples))


# ---------------------------------------------------------------------------------------------
# coarse graining and the Markov-chain estimator
# ---------------------------------------------------------------------------------------------
def _rng(key) -> np.random.Generator:
    return np.random.default_rng(np.asarray(jax.random.key_data(key)).ravel().tolist())


def _nearest(X, centres):
    """Index of the nearest centre of every row of X."""
    return scipy.cluster.vq.vq(X, centres, check_finite=False)[0].astype(np.int64)


def _kmeans(X, k, rng, n_iter=100):
    """Lloyd's algorithm from a k-means++ start; stops when no label changes."""
    centres = [X[rng.integers(len(X))]]
    d2 = np.sum((X - centres[0]) ** 2, 1)
    for _ in range(1, k):
        prob = d2 / d2.sum() if d2.sum() > 0 else None
        centres.append(X[rng.choice(len(X), p=prob)])
        d2 = np.minimum(d2, np.sum((X - centres[-1]) ** 2, 1))
    centres = np.array(centres)
    labels = None
    for _ in range(n_iter):
        new = _nearest(X, centres)
        if labels is not None and np.array_equal(new, labels):
            break
        labels = new
        counts = np.bincount(labels, minlength=k)
        sums = np.stack([np.bincount(labels, weights=X[:, i], minlength=k) for i in range(X.shape[1])], axis=1)
        filled = counts > 0
        centres[filled] = sums[filled] / counts[filled, None]
    return centres


def coarse_grain(traj, n_states: int = 20, *, method: str = "kmeans", key=None, n_components: int | None = None,
                 max_fit_points: int = 50_000) -> xr.Dataset:
    """Label every state of a trajectory with one of a few coarse states.

    ``method="kmeans"``: k-means (k-means++ start, Lloyd iterations) on at most ``max_fit_points``
    evenly thinned states, optionally after projecting onto the ``n_components`` leading principal
    components (useful for neuron activity); ``method="grid"``: ``n_states`` equal bins per
    component over the data's range (``n_states**d`` states; d <= 3).

    Parameters
    ----------
    traj : DataArray (trial, time, latent | neuron)
    n_states : int
        Clusters (kmeans) or bins per component (grid).
    method : {"kmeans", "grid"}
    key : PRNG key
        Required by kmeans (its start).
    n_components : int, optional
        Principal components kept before clustering (kmeans).
    max_fit_points : int

    Returns
    -------
    xarray.Dataset
        ``label`` (trial, time), the coarse state of each sample, and ``centre`` (state, <dim> or component).
    """
    traj, dim = _trajectories("traj", traj)
    n_states = check_int("n_states", n_states, minimum=2)
    check_choice("method", method, COARSE_METHODS)
    x = np.asarray(traj.values, np.float64)
    n_tr, n_t, n = x.shape
    X = x.reshape(-1, n)
    feat = dim
    if method == "grid":
        if n > 3:
            raise ValueError(f"`method`='grid' needs at most 3 components, got {n} along {dim!r}: use method='kmeans'")
        lo, hi = X.min(0), X.max(0)
        width = np.where(hi > lo, hi - lo, 1.0)
        idx = np.clip(((X - lo) / width * n_states).astype(np.int64), 0, n_states - 1)
        labels = np.ravel_multi_index(idx.T, (n_states,) * n)
        grids = np.meshgrid(*[lo[i] + width[i] * (np.arange(n_states) + 0.5) / n_states for i in range(n)], indexing="ij")
        centres = np.stack([g.ravel() for g in grids], -1)
    else:
        key = check_key("key", key)
        rng = _rng(key)
        if n_components is not None:
            n_components = check_int("n_components", n_components)
            if n_components > n:
                raise ValueError(f"`n_components` must be <= {n} (the size of {dim!r}), got {n_components}")
            mean = X.mean(0)
            _, _, Vt = np.linalg.svd((X - mean)[:: max(1, len(X) // max_fit_points)], full_matrices=False)
            X = (X - mean) @ Vt[:n_components].T
            feat = "component"
        stride = max(1, len(X) // check_int("max_fit_points", max_fit_points, minimum=n_states))
        centres = _kmeans(X[::stride], n_states, rng)
        labels = _nearest(X, centres)
    return xr.Dataset(dict(label=(("trial", "time"), labels.reshape(n_tr, n_t)),
                           centre=(("state", feat), centres)),
                      coords=dict(trial=traj.trial.values, time=traj.time.values, state=np.arange(len(centres))),
                      attrs=dict(method=method, n_states=n_states, feature=dim,
                                 n_components=-1 if n_components is None else n_components))


def markov_entropy_production(traj, n_states: int = 20, *, method: str = "kmeans", key=None, lag: int = 1,
                              n_components: int | None = None) -> xr.Dataset:
    """Entropy production of the coarse-grained chain, a lower bound on the process's e_p.

    States are coarse-grained (:func:`coarse_grain`), transitions ``n_ij`` counted between states
    ``lag`` recorded steps apart (all trials, overlapping windows), and

        e_p^Markov = sum_{i<j} (n_ij - n_ji) ln(n_ij / n_ji) / T,   T = (number of pairs) * tau,

    the Kullback–Leibler divergence rate between forward and time-reversed pairs. Coarse-graining
    and looking at pairs only lose information, so in expectation it is below the true e_p
    (METHOD.md 5d); every term is >= 0. Pairs seen one way only are left out (their ratio is
    infinite on finite data); their number is in attrs. On finite data a reversible process gives a
    small positive value (sampling noise).

    Parameters
    ----------
    traj : DataArray (trial, time, latent | neuron)
    n_states : int
        Clusters (kmeans) or bins per component (grid).
    method : {"kmeans", "grid"}
    key : PRNG key
        Required by kmeans.
    lag : int
        Steps between the two states of a transition (tau = lag * record interval).
    n_components : int, optional
        Principal components kept before k-means (neuron activity).

    Returns
    -------
    xarray.Dataset
        ``entropy_production`` (1 / tau), ``counts`` and ``net_flux`` ``n_ij - n_ji``
        (state_i, state_j), ``centre`` (state, ...); T, lag and sizes in attrs.

    Examples
    --------
    >>> import jax, ddm_explore as ddm
    >>> ds = ddm.simulate(ddm.systems.ornstein_uhlenbeck(w=1.0), t_max=100.0, dt=0.01, n_trials=4,
    ...                   key=jax.random.key(0), record_every=10, progress=False)
    >>> mk = ddm.analysis.markov_entropy_production(ds.z, 3, method="grid")
    >>> 0.0 < float(mk.entropy_production) < 2.0  # below e_p = 2 w^2
    True
    """
    traj, dim = _trajectories("traj", traj)
    lag = check_int("lag", lag)
    if lag >= traj.sizes["time"]:
        raise ValueError(f"`lag` must be < the number of time points {traj.sizes['time']}, got {lag}")
    dt = _record_interval(traj)
    cg = coarse_grain(traj, n_states, method=method, key=key, n_components=n_components)
    s = cg.label.values
    K = cg.sizes["state"]
    a, b = s[:, :-lag].ravel(), s[:, lag:].ravel()
    counts = np.bincount(a * K + b, minlength=K * K).reshape(K, K).astype(np.float64)
    T = len(a) * lag * dt
    nt = counts.T
    both = (counts > 0) & (nt > 0)
    one_way = ((counts > 0) ^ (nt > 0)) & ~np.eye(K, dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(both, (counts - nt) * np.log(counts / nt), 0.0)
    e_p = float(np.sum(np.triu(terms, 1)) / T)
    n_one_way = int(np.sum(np.triu(one_way, 1)))
    if len(a) < 10 * K * K:
        warn_sample("markov_entropy_production", f"{len(a)} transitions for {K} states (fewer than 10 per state pair): "
                    f"the estimate is noisy and biased; use longer runs or fewer states")
    elif n_one_way > 0.1 * max(int(np.sum(np.triu(both, 1))), 1):
        warn_sample("markov_entropy_production", f"{n_one_way} state pairs were seen in one direction only and are "
                    f"left out: the lower bound is loose; use longer runs")
    coords = dict(state_i=np.arange(K), state_j=np.arange(K), state=np.arange(K))
    return xr.Dataset(
        dict(entropy_production=((), e_p, dict(long_name="Markov-chain entropy production (lower bound)", units="1 / tau")),
             counts=(("state_i", "state_j"), counts, dict(long_name=f"transitions i -> j at lag {lag}")),
             net_flux=(("state_i", "state_j"), counts - nt, dict(long_name="n_ij - n_ji")),
             centre=cg.centre),
        coords=coords,
        attrs=dict(feature=dim, method=method, n_states=n_states, lag=lag, tau=lag * dt, T=T, n_transitions=int(len(a)),
                   n_pairs_one_way=n_one_way, n_trials=traj.sizes["trial"]))
