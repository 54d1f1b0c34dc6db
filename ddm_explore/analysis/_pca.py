"""Latent variables from many recorded neurons: principal components of the activity, the input
that ``ddm.fit`` learns a network from when the data are a population recording."""

from __future__ import annotations

import numpy as np
import xarray as xr

from .._checks import _show, check_int
from .._threads import gram

#: rows of one Gram block (bounds the float64 copy of the recording)
CHUNK = 1 << 16


def reduce_neurons(x, n_latent: int) -> xr.DataArray:
    """Project neuron activity on its first ``n_latent`` principal components.

    The components are the leading eigenvectors of the activity's covariance over all trials and
    times (observations with a NaN in any neuron are left out of it and stay NaN in the result);
    each is signed so that its largest loading is positive. The latent variable is
    ``z = (x - mean) @ components.T``, in the units of x.

    Parameters
    ----------
    x : DataArray (trial, time, neuron) or (time, neuron)
        E.g. ``ddm.simulate(net, ..., record_neurons=True).x``; the third dimension may have any name.
    n_latent : int
        Components kept, 1 <= n_latent <= the number of neurons.

    Returns
    -------
    xarray.DataArray (trial, time, latent)
        With the time coordinate of x; attrs ``components`` (n_latent, n_neurons), ``mean``
        (n_neurons,), ``explained_variance`` and ``explained_variance_ratio`` (n_latent,).

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> t = np.arange(200) * 0.1
    >>> loadings = np.array([[1.0, 2.0, 0.0], [0.0, 0.0, 1.0]])
    >>> x = xr.DataArray((np.stack([np.sin(t), 0.1 * np.cos(t)], 1) @ loadings)[None], dims=("trial", "time", "neuron"),
    ...                  coords=dict(time=t))
    >>> z = reduce_neurons(x, 1)
    >>> z.dims, np.round(z.attrs["components"], 2).tolist(), round(float(z.attrs["explained_variance_ratio"][0]), 3)
    (('trial', 'time', 'latent'), [[0.45, 0.89, 0.0]], 0.998)
    """
    x = _as_activity(x)
    values = np.asarray(x.values, np.float64)
    n_neurons = values.shape[-1]
    k = check_int("n_latent", n_latent)
    if k > n_neurons:
        raise ValueError(f"`n_latent` must be <= the number of neurons {n_neurons}, got {k}")
    flat = values.reshape(-1, n_neurons)
    ok = np.all(np.isfinite(flat), axis=1)
    if ok.sum() < 2:
        raise ValueError(f"`x` needs at least 2 observations without NaN, got {int(ok.sum())}")
    rows = flat[ok]
    mean = rows.mean(0)
    C = sum(gram(rows[a:a + CHUNK] - mean) for a in range(0, len(rows), CHUNK)) / (len(rows) - 1)
    w, V = np.linalg.eigh(C)
    order = np.argsort(w)[::-1][:k]
    comps = V[:, order].T
    comps *= np.sign(comps[np.arange(k), np.argmax(np.abs(comps), axis=1)])[:, None]
    z = np.full(flat.shape[:1] + (k,), np.nan)
    z[ok] = (rows - mean) @ comps.T
    total = float(np.trace(C))
    coords = {"trial": x.trial.values, "time": x.time.values, "latent": np.arange(k)} if "time" in x.coords else \
        {"trial": x.trial.values, "latent": np.arange(k)}
    return xr.DataArray(z.reshape(values.shape[:2] + (k,)), dims=("trial", "time", "latent"), coords=coords,
                        name="z", attrs=dict(components=comps, mean=mean, explained_variance=w[order],
                                             explained_variance_ratio=w[order] / total if total > 0 else w[order] * np.nan,
                                             long_name=f"first {k} principal components of the activity"))


def _as_activity(x) -> xr.DataArray:
    if not isinstance(x, xr.DataArray) or x.ndim not in (2, 3) or "time" not in x.dims:
        raise ValueError(f"`x` must be a DataArray with dims (trial, time, neuron) or (time, neuron), e.g. "
                         f"simulate(net, ..., record_neurons=True).x; got {_show(x) if not isinstance(x, xr.DataArray) else x.dims}")
    if x.ndim == 2:
        x = x.expand_dims("trial")
    if "trial" not in x.dims:
        raise ValueError(f"`x` with three dimensions must have 'trial' and 'time' among them, got {x.dims}")
    feature = [d for d in x.dims if d not in ("trial", "time")][0]
    return x.transpose("trial", "time", feature)
