"""The construction-time probe of an SDE's functions: a few deterministic points of the region,
the shapes and finiteness of the drift, diffusion and Jacobian there, and the Jacobian against the
drift's own derivative. Every error names the argument and the point."""

from __future__ import annotations

import numpy as np

from ._host import _FD_STEP, Resolved

#: probe points: the region's centre and this many more of a low-discrepancy sequence
N_EXTRA_POINTS = 3
#: the Jacobian must agree with the drift's derivative to this fraction of its largest entry
JACOBIAN_RTOL = 1e-3


def probe_points(region, dim: int, n_extra: int = N_EXTRA_POINTS) -> np.ndarray:
    """The centre of the box (low, high) and ``n_extra`` points of the additive-recurrence (R_d)
    sequence inside it, float64 (1 + n_extra, dim); without a region, the box [-1, 1]^dim."""
    lo, hi = (np.asarray(region[0], np.float64), np.asarray(region[1], np.float64)) if region is not None else \
        (-np.ones(dim), np.ones(dim))
    # Roberts' R_d sequence: alpha_j = phi_d^-(j+1), phi_d the real root of x^(d+1) = x + 1
    phi = 2.0
    for _ in range(60):
        phi = (1.0 + phi) ** (1.0 / (dim + 1))
    alpha = phi ** -(np.arange(dim) + 1.0)
    frac = (0.5 + np.arange(1, n_extra + 1)[:, None] * alpha) % 1.0
    return np.vstack([(lo + hi) / 2, lo + (hi - lo) * frac])


def _where(z) -> str:
    return str(np.asarray(z, np.float64).round(6).tolist())


def evaluate(r: Resolved, role: str, call: str, Z, U, theta, theta_host, out_shape, *, values=None, shape_note: str = "",
             region_note: str = "") -> np.ndarray:
    """The function at the points (n, *out_shape) float64 (``values``: already computed), with errors
    naming ``role`` and the point: a failed call, a wrong shape, a non-finite value (``region_note``
    follows the failures and non-finite values, ``shape_note`` the expected shape)."""
    shape = Z.shape[1:]
    if r.how == "callback":
        rows = []
        for i in range(Z.shape[0]):
            try:
                rows.append(r.host.one(Z[i], U[i], theta_host))
            except Exception as err:  # the user's function: report it with its signature
                traced = f" (traced as JAX: {r.reason})" if not r.reason.startswith(type(err).__name__) else ""
                raise ValueError(f"`{role}` failed when called as {call} with z of shape {shape} at z={_where(Z[i])}: "
                                 f"{type(err).__name__}: {err}{traced}{region_note}") from err
            if rows[-1].shape != tuple(out_shape):
                raise ValueError(f"`{role}` must return shape {tuple(out_shape)}{shape_note}, got {rows[-1].shape} at "
                                 f"z={_where(Z[i])}")
        out = np.stack(rows)
    else:
        try:
            out = np.asarray(r.at_points(Z, U, theta) if values is None else values, np.float64)
        except Exception as err:
            raise ValueError(f"`{role}` failed when called as {call} with z of shape {shape} and u of shape {U.shape[1:]}: "
                             f"{type(err).__name__}: {err}{region_note}") from err
        if out.shape[1:] != tuple(out_shape):
            raise ValueError(f"`{role}` must return shape {tuple(out_shape)}{shape_note}, got {out.shape[1:]} at z={_where(Z[0])}")
    bad = ~np.all(np.isfinite(out.reshape(out.shape[0], -1)), axis=1)
    if bad.any():
        i = int(np.argmax(bad))
        value = f" {out[i].tolist()}" if out[i].size <= 8 else ""
        raise ValueError(f"`{role}` returned a non-finite value{value} at z={_where(Z[i])}{region_note}")
    return out


def drift_derivative(r: Resolved, Z, U, theta, theta_host) -> np.ndarray:
    """dF/dz at the points (n, d, d): JAX forward mode for a JAX drift, central differences in float64
    for a host one."""
    if r.how != "callback":
        return np.asarray(r.derivative_at_points(Z, U, theta), np.float64)
    out = []
    for i in range(Z.shape[0]):
        h = _FD_STEP * max(1.0, float(np.linalg.norm(Z[i])))
        cols = [(r.host.one(Z[i] + h * e, U[i], theta_host) - r.host.one(Z[i] - h * e, U[i], theta_host)) / (2 * h)
                for e in np.eye(Z.shape[1])]
        out.append(np.stack(cols, axis=-1))
    return np.stack(out)


def check_jacobian(J, dF, Z, how: str):
    """The user's Jacobian J (n, d, d) against the drift's derivative dF at the probe points."""
    err = np.abs(J - dF)
    scale = max(1.0, float(np.max(np.abs(dF))))
    if float(err.max()) > JACOBIAN_RTOL * scale:
        p, i, j = np.unravel_index(int(np.argmax(err)), err.shape)
        source = "JAX autodiff of the drift" if how != "callback" else "central differences of the drift"
        raise ValueError(f"`jacobian` disagrees with the derivative of `drift` at z={_where(Z[p])}: entry [{i}, {j}] "
                         f"(d f_{i} / d z_{j}) is {J[p, i, j]:.6g}, {source} gives {dF[p, i, j]:.6g}; the Jacobian "
                         f"must be d f_i / d z_j in row i, column j, in the drift's own units")
