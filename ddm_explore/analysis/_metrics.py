"""Trajectory-based embedding metrics: state-space divergence, power-spectrum distance,
stationary-distribution distance (the measures of dynamical-systems reconstruction)."""

from __future__ import annotations

import numpy as np
import scipy.ndimage
import scipy.special
import scipy.signal
import scipy.spatial.distance
import xarray as xr

from .._checks import check_choice, check_int, check_positive
from .._estimates import Estimate, warn_sample


def _trajectories(name: str, z) -> xr.DataArray:
    if isinstance(z, xr.Dataset) and "z" in z:
        z = z["z"]
    if not isinstance(z, xr.DataArray) or set(z.dims) != {"trial", "time", "latent"}:
        raise ValueError(f"`{name}` must be a DataArray with dims (trial, time, latent) such as simulate(...).z, "
                         f"got {type(z).__name__} {getattr(z, 'dims', '')}")
    if not np.all(np.isfinite(z.values)):
        raise ValueError(f"`{name}` holds non-finite values")
    return z.transpose("trial", "time", "latent")


def _pair(a, b):
    a, b = _trajectories("a", a), _trajectories("b", b)
    if a.sizes["latent"] != b.sizes["latent"]:
        raise ValueError(f"`a` and `b` must have the same latent dimension, got {a.sizes['latent']} and {b.sizes['latent']}")
    return a, b


def state_space_divergence(a, b, bins: int = 30, *, smoothing: float = 1.0, method: str | None = None,
                           width: float | None = None, n_centres: int = 1000) -> float:
    """D_stsp: Kullback–Leibler divergence KL(p_a || p_b) between the occupation densities of two
    sets of trajectories, from binned histograms (d <= 3) or Gaussian mixtures (any d).

    ``method="bins"`` (the default for d <= 3): both sets are binned on the same grid of ``bins``
    per latent dimension over the range of ``a`` (the reference) widened by 10% of its standard
    deviation on each side; points of ``b`` outside that range are counted in the outermost bins,
    so mass that escapes the reference attractor is penalised rather than dropped. Each histogram
    gets Laplace smoothing (``smoothing`` pseudo-counts added to every bin) before normalisation:
    ``p = (n + alpha) / (sum n + alpha bins^d)``.

    ``method="gmm"`` (the default for d > 3, where bins^d cells cannot be filled; the estimate of
    the dynamical-systems-reconstruction literature for high-dimensional systems, Koppe et al.
    2019): each set's density is a Gaussian mixture with one isotropic component of standard
    deviation ``width`` at each of ``n_centres`` evenly spaced states of the set, in coordinates
    divided by ``a``'s standard deviation per dimension (default width: twice Scott's factor,
    ``2 n_centres^(-1/(d+4))``, as a KL between mixtures needs more smoothing than a density
    estimate: two sets of 10,000 standard normal states give a floor of 0.015-0.07 nats at
    d = 3-10, and the same sets shifted by 1 in every dimension 1.07-1.10 times the closed-form
    KL of the kernel-smoothed Gaussians);
    ``KL(p_a || p_b) = E_{x ~ p_a}[ln p_a(x) - ln p_b(x)]`` is the mean over ``a``'s components of
    the Gaussian expectation, taken by the degree-3 spherical cubature rule (the 2d points
    ``c +- sqrt(d) width e_k`` of each centre c: exact when the log ratio is quadratic), so the
    value is deterministic. It is the KL between the two mixtures, which smooth each density by
    the kernel: compare it with the floor of two independent sets, as for the bins.

    Zero for identical sets; compare it with the floor D_stsp between two independent runs of the
    reference system (of the same size: both estimates carry a sampling floor).

    Parameters
    ----------
    a, b : DataArray (trial, time, latent)
        Reference and model trajectories (e.g. ``simulate(...).z``); all recorded states are pooled
        (drop transients before calling).
    bins : int
        Bins per latent dimension (30 in the dynamical-systems reconstruction literature).
    smoothing : float
        Laplace pseudo-count alpha per bin (> 0).
    method : {"bins", "gmm"}, optional
        Default "bins" for d <= 3 (the values of earlier versions), "gmm" above.
    width : float, optional
        Mixture components' standard deviation, relative to ``a``'s per dimension (> 0).
    n_centres : int
        States of each set that carry a mixture component (evenly spaced; all when fewer).

    Returns
    -------
    Estimate (a float, nats) with ``.attrs``: method, n_a, n_b (states), dim; bins, occupied_bins,
    smoothing (bins); n_centres, width (gmm). A :class:`~ddm_explore.SampleSizeWarning` is issued
    when there are fewer than 10 states per occupied bin, or fewer states than ``n_centres``.

    Examples
    --------
    >>> import xarray as xr, numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a = xr.DataArray(rng.normal(size=(1, 20000, 2)), dims=("trial", "time", "latent"))
    >>> b = xr.DataArray(rng.normal(size=(1, 20000, 2)), dims=("trial", "time", "latent"))
    >>> state_space_divergence(a, b) < 0.05 < state_space_divergence(a, 2 * b)
    True
    >>> a6 = xr.DataArray(rng.normal(size=(1, 4000, 6)), dims=("trial", "time", "latent"))
    >>> b6 = xr.DataArray(rng.normal(size=(1, 4000, 6)), dims=("trial", "time", "latent"))
    >>> d = state_space_divergence(a6, b6)
    >>> d.attrs["method"], d < 0.2 < state_space_divergence(a6, b6 + 1.0)
    ('gmm', True)
    """
    a, b = _pair(a, b)
    d = a.sizes["latent"]
    method = ("bins" if d <= 3 else "gmm") if method is None else check_choice("method", method, ("bins", "gmm"))
    A = a.values.reshape(-1, d).astype(np.float64)
    B = b.values.reshape(-1, d).astype(np.float64)
    if method == "gmm":
        return _mixture_divergence(A, B, width, check_int("n_centres", n_centres, minimum=2))
    bins = check_int("bins", bins, minimum=2)
    alpha = check_positive("smoothing", smoothing)
    if d > 3:
        raise ValueError(f"state_space_divergence bins at most 3 latent dimensions (bins^d cells), got d={d}: "
                         f"use method='gmm' or select dimensions first, e.g. a.isel(latent=[0, 1, 2])")
    margin = 0.1 * A.std(axis=0)
    lo, hi = A.min(axis=0) - margin, A.max(axis=0) + margin
    hi = np.where(hi > lo, hi, lo + 1.0)

    def counts(P):
        idx = np.clip(np.floor((P - lo) / (hi - lo) * bins).astype(np.int64), 0, bins - 1)
        return np.bincount(np.ravel_multi_index(tuple(idx.T), (bins,) * d), minlength=bins**d).astype(np.float64)

    n_a, n_b = counts(A), counts(B)
    p, q = ((n + alpha) / (n.sum() + alpha * bins**d) for n in (n_a, n_b))
    occupied = int(np.count_nonzero(n_a))
    n_min = min(len(A), len(B))
    if n_min < 10 * occupied:
        warn_sample("state_space_divergence", f"{n_min} states for {occupied} occupied bins (fewer than 10 per bin): "
                    f"the value is dominated by sampling noise; use longer runs and compare with a floor of the same length")
    return Estimate(np.sum(p * np.log(p / q)), n_a=len(A), n_b=len(B), bins=bins, dim=d, occupied_bins=occupied,
                    smoothing=alpha, method="bins")


def _log_mixture(X, C, width, chunk=2048):
    """ln of the mixture (1/n) sum_j N(x; c_j, width^2 I) at the rows of X."""
    n, d = C.shape
    c2 = np.sum(C**2, axis=1)
    out = np.empty(len(X))
    for i in range(0, len(X), chunk):
        x = X[i:i + chunk]
        d2 = np.maximum(np.sum(x**2, axis=1)[:, None] + c2[None, :] - 2.0 * x @ C.T, 0.0)
        out[i:i + chunk] = scipy.special.logsumexp(-0.5 * d2 / width**2, axis=1)
    return out - np.log(n) - 0.5 * d * np.log(2.0 * np.pi * width**2)


def _mixture_divergence(A, B, width, n_centres) -> float:
    """KL between the Gaussian mixtures on evenly spaced states of A and B (see state_space_divergence)."""
    d = A.shape[1]
    s = np.maximum(A.std(axis=0), 1e-12)

    def centres(P):
        return P[np.linspace(0, len(P) - 1, min(n_centres, len(P))).astype(np.int64)] / s

    Ca, Cb = centres(A), centres(B)
    h = 2.0 * len(Ca) ** (-1.0 / (d + 4)) if width is None else check_positive("width", width)
    if min(len(A), len(B)) < n_centres:
        warn_sample("state_space_divergence", f"{min(len(A), len(B))} states in a set, fewer than n_centres={n_centres}: "
                    f"the mixtures are coarser than requested; use longer runs and compare with a floor of the same size")
    # degree-3 spherical cubature of E over each component: the 2d points c +- sqrt(d) h e_k
    offsets = np.sqrt(d) * h * np.concatenate([np.eye(d), -np.eye(d)])
    X = (Ca[:, None, :] + offsets[None]).reshape(-1, d)
    value = float(np.mean(_log_mixture(X, Ca, h) - _log_mixture(X, Cb, h)))
    return Estimate(value, n_a=len(A), n_b=len(B), dim=d, n_centres=min(len(Ca), len(Cb)), width=h, method="gmm")


def _mean_spectrum(z: xr.DataArray, nperseg: int) -> np.ndarray:
    """Welch power spectrum of each trial and latent dimension, each trial standardised, averaged
    over trials: (latent, frequency)."""
    x = z.values.astype(np.float64)  # (trial, time, latent)
    x = (x - x.mean(axis=1, keepdims=True)) / np.maximum(x.std(axis=1, keepdims=True), 1e-12)
    _, P = scipy.signal.welch(x, nperseg=nperseg, axis=1, detrend=False)
    return P.mean(axis=0).T


def power_spectrum_distance(a, b, *, nperseg: int = 1024, smoothing: float = 2.0) -> float:
    """D_H: mean over latent dimensions of the Hellinger distance between smoothed power spectra.

    For each latent dimension: each trial is standardised (zero mean, unit variance), its power
    spectrum estimated by Welch's method (segments of ``nperseg`` samples, so the frequency
    resolution does not depend on the record length), averaged over trials, smoothed by a
    Gaussian of ``smoothing`` frequency bins and normalised to unit mass; then
    ``H(p, q) = sqrt(1 - sum_k sqrt(p_k q_k))`` (0: the same spectrum, 1: disjoint support).
    Both sets must be recorded at the same time step.

    Parameters
    ----------
    a, b : DataArray (trial, time, latent)
        Reference and model trajectories with equal sampling interval (drop transients first).
    nperseg : int
        Welch segment length (shortened to the record length if longer).
    smoothing : float
        Standard deviation of the Gaussian smoothing, in frequency bins (0: none).

    Returns
    -------
    Estimate (a float in [0, 1]) with ``.attrs``: n_time, n_trials, nperseg, n_segments (Welch
    segments per set, all trials). A :class:`~ddm_explore.SampleSizeWarning` is issued when a set
    has fewer than 8 segments or is shorter than ``nperseg``.

    Examples
    --------
    >>> import xarray as xr, numpy as np
    >>> t = np.arange(4096) * 0.1
    >>> wave = lambda w: xr.DataArray(np.sin(w * t)[None, :, None], dims=("trial", "time", "latent"),
    ...                               coords=dict(time=t))
    >>> power_spectrum_distance(wave(1.0), wave(1.0)) < 1e-6 < 0.5 < power_spectrum_distance(wave(1.0), wave(3.0))
    True
    """
    a, b = _pair(a, b)
    smoothing = check_positive("smoothing", smoothing, allow_zero=True)
    nperseg = check_int("nperseg", nperseg, minimum=4)
    steps = []
    for z in (a, b):
        t = np.asarray(z.time.values, np.float64)
        steps.append(float(np.median(np.diff(t))) if t.size > 1 else float("nan"))
    if not np.isclose(steps[0], steps[1], rtol=1e-6):
        raise ValueError(f"`a` and `b` must be recorded at the same time step, got {steps[0]} and {steps[1]}")
    n = min(a.sizes["time"], b.sizes["time"], nperseg)
    if n < 4:
        raise ValueError(f"the records are too short for a power spectrum ({n} samples)")
    out = []
    for P in (_mean_spectrum(a, n), _mean_spectrum(b, n)):
        if smoothing > 0:
            P = scipy.ndimage.gaussian_filter1d(P, smoothing, axis=-1, mode="nearest")
        out.append(P / P.sum(axis=-1, keepdims=True))
    bc = np.sum(np.sqrt(out[0] * out[1]), axis=-1)
    n_time = min(a.sizes["time"], b.sizes["time"])
    segments = min(z.sizes["trial"] * max(1, (z.sizes["time"] - n) // (n // 2) + 1) for z in (a, b))
    if n < nperseg:
        warn_sample("power_spectrum_distance", f"records of {n_time} samples are shorter than nperseg={nperseg}: "
                    f"the spectra have a coarser frequency resolution than requested")
    elif segments < 8:
        warn_sample("power_spectrum_distance", f"only {segments} Welch segments of {n} samples: the spectra are noisy; "
                    f"use more trials or longer records")
    return Estimate(np.mean(np.sqrt(np.clip(1.0 - bc, 0.0, None))), n_time=n_time,
                    n_trials=min(a.sizes["trial"], b.sizes["trial"]), nperseg=n, n_segments=segments)


def stationary_distance(a, b, *, n_points: int = 2000) -> float:
    """Distance between the stationary (occupation) distributions of two sets of trajectories.

    The energy distance ``sqrt(2 E|X - Y| - E|X - X'| - E|Y - Y'|)`` between the pooled states of
    ``a`` and ``b``, each latent dimension divided by the standard deviation of ``a`` so the
    number is scale-free; ``n_points`` evenly spaced states of each set are used (deterministic
    thinning). Zero iff the distributions are equal; any d.

    Parameters
    ----------
    a, b : DataArray (trial, time, latent)
    n_points : int
        States kept from each set.

    Returns
    -------
    Estimate (a float) with ``.attrs``: n_a, n_b (states available), n_points (states used per set).
    A :class:`~ddm_explore.SampleSizeWarning` is issued when a set holds fewer than ``n_points``
    states.

    Examples
    --------
    >>> import xarray as xr, numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a = xr.DataArray(rng.normal(size=(2, 2000, 2)), dims=("trial", "time", "latent"))
    >>> b = xr.DataArray(rng.normal(size=(2, 2000, 2)), dims=("trial", "time", "latent"))
    >>> stationary_distance(a, b) < 0.1 < stationary_distance(a, b + 1.0)
    True
    """
    a, b = _pair(a, b)
    n_points = check_int("n_points", n_points, minimum=2)
    d = a.sizes["latent"]
    A = a.values.reshape(-1, d).astype(np.float64)
    B = b.values.reshape(-1, d).astype(np.float64)
    s = np.maximum(A.std(axis=0), 1e-12)
    A, B = A / s, B / s
    n_a, n_b = len(A), len(B)
    if min(n_a, n_b) < n_points:
        warn_sample("stationary_distance", f"{min(n_a, n_b)} states in a set, fewer than n_points={n_points}: "
                    f"the distance is noisier than requested; use longer runs or more trials")

    def thin(P):
        return P[np.linspace(0, len(P) - 1, min(n_points, len(P))).astype(np.int64)]

    A, B = thin(A), thin(B)

    def mean_dist(P, Q):
        return float(np.mean(scipy.spatial.distance.cdist(P, Q)))

    e = 2.0 * mean_dist(A, B) - mean_dist(A, A) - mean_dist(B, B)
    return Estimate(np.sqrt(max(e, 0.0)), n_a=n_a, n_b=n_b, n_points=min(len(A), len(B)))
