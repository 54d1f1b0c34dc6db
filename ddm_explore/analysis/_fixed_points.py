"""Fixed points of a latent drift with their Jacobian eigenvalues and stability (METHOD.md 5a)."""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import xarray as xr

from .._checks import as_array, check_int, check_key, check_positive, check_region
from .._system import check_system


@partial(jax.jit, static_argnames=("n_iter",))
def _newton(target, u, Z, *, n_iter):
    """Damped Newton iterations from every seed (rows of Z): a step is halved until |f| drops
    (up to 8 times), so seeds far from a root do not overshoot out of the region. The target
    (SDE or network) is a traced argument: new parameter values reuse the compiled program."""
    def f(z):
        return target.latent_drift(z, u)

    jac = jax.jacfwd(f)

    def one(z):
        def body(z, _):
            F = f(z)
            step = jnp.linalg.lstsq(jac(z), -F)[0]
            norm0 = jnp.sum(F**2)

            def shrink(carry, _):
                s, done = carry
                ok = jnp.sum(f(z + s * step) ** 2) < norm0
                return (jnp.where(done | ok, s, 0.5 * s), done | ok), None

            (s, _), _ = jax.lax.scan(shrink, (jnp.float32(1.0), False), None, length=8)
            z_new = z + s * step
            return jnp.where(jnp.all(jnp.isfinite(z_new)), z_new, z), None

        z, _ = jax.lax.scan(body, z, None, length=n_iter)
        return z, f(z), jac(z)

    return jax.vmap(one)(Z) + (jax.vmap(f)(Z),)


def fixed_points(target, *, key, n_seeds: int = 256, region=None, u=None, n_iter: int = 40,
                 tol: float = 1e-4, merge_radius: float = 1e-2) -> xr.Dataset:
    """Fixed points ``f(z*) = 0`` of a latent drift, by Newton's method from many seeds.

    The drift is an SDE's ``f(z, u)`` or a network's latent drift ``f_net(z, u)`` on its
    manifold (for a low-rank network these are exactly the network's fixed points on the
    manifold). Seeds are uniform in the region; each runs ``n_iter`` damped Newton steps
    (least-squares steps, halved until |f| drops). A seed has converged when
    ``|f(z)| <= tol * f_scale`` (``f_scale`` the RMS of |f| over the seeds) and z lies in the region;
    converged points closer than ``merge_radius`` times the region's diagonal are merged.
    Stability from the eigenvalues of the Jacobian: "stable" (all real parts < 0), "unstable"
    (all > 0) or "saddle" (mixed; a spiral source or sink counts as unstable or stable).

    Parameters
    ----------
    target : SDE or Network
    key : PRNG key
        Draws the seeds.
    n_seeds : int
    region : (low, high), optional
        Box of seeds and accepted points; default ``target.region``.
    u : (k,) array, optional
        A constant input (default zero).
    n_iter : int
        Newton iterations per seed.
    tol, merge_radius : float
        Relative residual accepted and relative merging distance.

    Returns
    -------
    xarray.Dataset
        ``z`` (point, latent) sorted by the first coordinate, ``eigenvalues`` (point, mode,
        complex, sorted by decreasing real part), ``stability`` (point), ``residual`` |f(z*)|
        (point) and ``n_seeds_converged`` (point): how many seeds ended there.

    Examples
    --------
    >>> import jax, ddm_explore as ddm
    >>> fp = ddm.analysis.fixed_points(ddm.systems.double_well(), key=jax.random.key(0), n_seeds=32)
    >>> fp.z.values.round(3).ravel().tolist(), fp.stability.values.tolist()
    ([-1.0, 0.0, 1.0], ['stable', 'unstable', 'stable'])
    """
    check_system("target", target)
    key = check_key("key", key)
    n_seeds = check_int("n_seeds", n_seeds)
    n_iter = check_int("n_iter", n_iter)
    tol = check_positive("tol", tol)
    merge_radius = check_positive("merge_radius", merge_radius)
    d, k = target.dim, target.input_dim
    lo, hi = check_region("region", target.region if region is None else region, d)
    if u is None:
        u = np.zeros(k)
    u = as_array("u", u, shape=(k,))
    uj = jnp.asarray(u, jnp.float32)
    seeds = jax.random.uniform(key, (n_seeds, d), minval=jnp.asarray(lo, jnp.float32), maxval=jnp.asarray(hi, jnp.float32))
    Z, F, Jac, F0 = (np.asarray(a, np.float64) for a in _newton(target, uj, seeds, n_iter=n_iter))
    f_scale = float(np.sqrt(np.mean(np.sum(F0**2, -1))))
    res = np.sqrt(np.sum(F**2, -1))
    inside = np.all((Z >= lo) & (Z <= hi), axis=-1)
    ok = np.isfinite(res) & (res <= tol * max(f_scale, 1e-12)) & inside
    radius = merge_radius * float(np.linalg.norm(hi - lo))
    points, counts, best = [], [], []
    for i in np.nonzero(ok)[0][np.argsort(res[ok])]:  # best residual first represents its cluster
        for j, p in enumerate(points):
            if np.linalg.norm(Z[i] - p) <= radius:
                counts[j] += 1
                break
        else:
            points.append(Z[i])
            counts.append(1)
            best.append(i)
    order = np.argsort([Z[i][0] for i in best]) if best else np.zeros(0, int)
    best = [best[o] for o in order]
    counts = [counts[o] for o in order]
    eig = np.zeros((len(best), d), np.complex128)
    stab = []
    for n, i in enumerate(best):
        ev = np.linalg.eigvals(Jac[i])
        ev = ev[np.argsort(-ev.real, kind="stable")]
        eig[n] = ev
        stab.append("stable" if np.all(ev.real < 0) else "unstable" if np.all(ev.real > 0) else "saddle")
    attrs = dict(**target.describe(), n_seeds=n_seeds, n_iter=n_iter, tol=tol, merge_radius=merge_radius, f_scale=f_scale,
                 region_low=lo.tolist(), region_high=hi.tolist(), u=u.tolist())
    zs = np.asarray([Z[i] for i in best]).reshape(len(best), d)
    return xr.Dataset(
        dict(z=(("point", "latent"), zs, dict(long_name="fixed point", units="latent units")),
             eigenvalues=(("point", "mode"), eig, dict(long_name="Jacobian eigenvalues", units="1/tau")),
             stability=(("point",), np.asarray(stab, dtype=object if not stab else None).astype(str)),
             residual=(("point",), res[best] if best else np.zeros(0), dict(long_name="|f(z*)|")),
             n_seeds_converged=(("point",), np.asarray(counts, np.int64))),
        coords=dict(point=np.arange(len(best)), latent=np.arange(d), mode=np.arange(d)), attrs=attrs)
