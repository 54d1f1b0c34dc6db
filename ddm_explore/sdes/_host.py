"""Right-hand sides written for numpy: how an SDE runs a drift, diffusion or Jacobian that is not JAX.

A user's function is resolved once, at construction, to one of three forms (``SDE.backend``):

- ``"jax"``: it traces (under ``jax.vmap`` at the probe points) as it is, and runs as JAX;
- ``"jax"`` (translated): it fails to trace only because it calls numpy, and a copy whose global
  names for numpy (``np``, ``numpy``, ``from numpy import sin``) are bound to ``jax.numpy``
  traces and agrees with the original at the probe points; the copy runs as JAX;
- ``"callback"``: anything else runs on the host through ``jax.pure_callback``, in float64, one
  call per batch of points (the simulation's step batch), with derivatives from a given Jacobian
  or from central finite differences on the host (``jax.custom_jvp``), so ``jax.jacfwd``,
  ``jax.jvp`` and ``jax.linearize`` of the latent drift work.
"""

from __future__ import annotations

import types
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np
from jax.custom_derivatives import SymbolicZero

BACKENDS = ("jax", "callback")
#: step of central differences relative to the point's size: eps^(1/3) balances truncation and rounding
_FD_STEP = float(np.finfo(np.float64).eps) ** (1.0 / 3.0)


class CallbackDriftWarning(UserWarning):
    """An SDE's drift or diffusion runs on the host through ``jax.pure_callback``: numpy code,
    one host call per batch of points (every simulation step), derivatives from the given
    ``jacobian`` or finite differences. Silence it with
    ``warnings.simplefilter("ignore", ddm.CallbackDriftWarning)``."""


def _numpy_free_globals(fn) -> dict | None:
    """``fn``'s globals with every name it reads that means numpy (the module, a submodule, a
    numpy function) bound to its ``jax.numpy`` counterpart; None when it reads none."""
    names, stack = set(), [fn.__code__]
    while stack:  # the names read by the function and by the functions and lambdas defined in it
        code = stack.pop()
        names.update(code.co_names)
        stack.extend(c for c in code.co_consts if isinstance(c, types.CodeType))
    swap = {}
    for name in names & set(fn.__globals__):
        value = fn.__globals__[name]
        if value is np:
            swap[name] = jnp
        elif isinstance(value, types.ModuleType) and value.__name__.startswith("numpy."):
            sub = getattr(jnp, value.__name__.split(".", 1)[1], None)
            if sub is not None:
                swap[name] = sub
        elif (getattr(value, "__module__", None) or "").startswith("numpy") or isinstance(value, np.ufunc):
            twin = getattr(jnp, getattr(value, "__name__", ""), None)
            if callable(twin):
                swap[name] = twin
    return {**fn.__globals__, **swap} if swap else None


def translated(fn) -> Callable | None:
    """A copy of the plain Python function ``fn`` whose numpy names mean ``jax.numpy``, or None."""
    if not isinstance(fn, types.FunctionType):
        return None
    g = _numpy_free_globals(fn)
    if g is None:
        return None
    out = types.FunctionType(fn.__code__, g, fn.__name__, fn.__defaults__, fn.__closure__)
    out.__kwdefaults__ = fn.__kwdefaults__
    return out


# ---------------------------------------------------------------------------------------------
# the host side: batches of points in float64
# ---------------------------------------------------------------------------------------------
class HostFunction:
    """A user's numpy function evaluated on the host, through ``user(z, u, theta)`` (the call in
    the user's convention: ``f(z, u, theta)``, ``f(z, u)``, ``f(z)``, ``g(z, theta)`` ...).

    ``call(Z, U, theta)`` takes a batch Z (n, d), U (n, k) and one theta (numpy pytree) and
    returns (n, *out_shape) float64: one call of the function on the whole batch when
    ``vectorized``, else one call per point.
    """

    def __init__(self, user: Callable, out_shape, vectorized: bool, label: str):
        self.user, self.out_shape, self.vectorized, self.label = user, tuple(out_shape), vectorized, label

    def one(self, z, u, theta):
        return np.asarray(self.user(z, u, theta), np.float64)

    def call(self, Z, U, theta):
        if self.vectorized:
            out = self.one(Z, U, theta)
        else:
            out = np.stack([self.one(Z[i], U[i], theta) for i in range(Z.shape[0])])
        want = (Z.shape[0],) + self.out_shape
        if out.shape != want:  # reachable only when the function changes behaviour after the probe
            raise ValueError(f"`{self.label}` returned shape {out.shape} for a batch of points, expected {want}")
        return out

    def vectorizes(self, Z, U, theta) -> bool:
        """True when one call on the batch gives the per-point results (to 1e-9 relative)."""
        try:
            batch = np.asarray(self.user(Z, U, theta), np.float64)
        except Exception:  # a one-point function given a batch may raise anything
            return False
        rows = np.stack([self.one(Z[i], U[i], theta) for i in range(Z.shape[0])])
        if batch.shape != rows.shape:
            return False
        scale = max(1.0, float(np.max(np.abs(rows)))) if rows.size else 1.0
        return bool(np.all(np.abs(batch - rows) <= 1e-9 * scale))


def _host_array(a):
    """Floating arrays in float64 on the host; integer ones (a theta entry) keep their type."""
    a = np.asarray(a)
    return a.astype(np.float64) if a.dtype.kind in "fc" else a


def _unbatch(args, base_ndims):
    """Arguments from ``pure_callback(vmap_method="expand_dims")``: each has the same leading batch
    axes (size 1 where unbatched). Returns (the batch shape, n points, every argument broadcast to
    the batch and flattened to (n, ...), whether a theta leaf varies over the batch)."""
    nb = args[0].ndim - base_ndims[0]
    lead = [a.shape[:nb] for a in args]
    batch = np.broadcast_shapes(*lead)
    n = int(np.prod(batch, dtype=np.int64))
    flat = [np.broadcast_to(_host_array(a), batch + a.shape[nb:]).reshape((n,) + a.shape[nb:]) for a in args]
    theta_batched = any(int(np.prod(s, dtype=np.int64)) > 1 for s in lead[2:])
    return batch, n, flat, theta_batched


def _host_eval(host: HostFunction, treedef, base_ndims):
    """The callback run on the host: the function on the batch, (*batch, *out_shape) float32."""

    def run(*args):
        batch, n, flat, theta_batched = _unbatch(args, base_ndims)
        Z, U, leaves = flat[0], flat[1], flat[2:]
        if n == 0:
            return np.zeros(batch + host.out_shape, np.float32)
        if theta_batched:  # theta varies over the batch: one call per point
            out = np.stack([host.call(Z[i:i + 1], U[i:i + 1], treedef.unflatten([l[i] for l in leaves]))[0]
                            for i in range(n)])
        else:
            out = host.call(Z, U, treedef.unflatten([l[0] for l in leaves]))
        return out.reshape(batch + host.out_shape).astype(np.float32)

    return run


def _host_directional(host: HostFunction, treedef, base_ndims):
    """The callback of the finite-difference JVP: central differences along (dz, du) in float64."""

    def run(*args):
        batch, n, flat, theta_batched = _unbatch(args, base_ndims)
        Z, U, dZ, dU, leaves = flat[0], flat[1], flat[2], flat[3], flat[4:]
        x = np.concatenate([Z, U], axis=1)
        v = np.concatenate([dZ, dU], axis=1)
        size = np.linalg.norm(v, axis=1)
        h = _FD_STEP * np.maximum(1.0, np.linalg.norm(x, axis=1)) / np.where(size > 0, size, 1.0)
        d = Z.shape[1]

        if n == 0:
            return np.zeros(batch + host.out_shape, np.float32)

        def at(sign):
            xs = x + sign * h[:, None] * v
            if theta_batched:
                return np.stack([host.call(xs[i:i + 1, :d], xs[i:i + 1, d:],
                                           treedef.unflatten([l[i] for l in leaves]))[0] for i in range(n)])
            return host.call(xs[:, :d], xs[:, d:], treedef.unflatten([l[0] for l in leaves]))

        diff = (at(1.0) - at(-1.0)) / (2 * h.reshape((n,) + (1,) * len(host.out_shape)))
        diff[size == 0] = 0.0
        return diff.reshape(batch + host.out_shape).astype(np.float32)

    return run


def _tangent_or_zeros(t, like):
    return jnp.zeros_like(like) if isinstance(t, SymbolicZero) else t


def _reject_theta_tangent(t_theta, name):
    if any(not isinstance(t, SymbolicZero) for t in jax.tree_util.tree_leaves(
            t_theta, is_leaf=lambda x: isinstance(x, SymbolicZero))):
        raise ValueError(f"`{name}` runs on the host (backend 'callback'): derivatives with respect to `theta` are "
                         f"not available; differentiate with respect to z and u only, or write `{name}` in jax.numpy")


# ---------------------------------------------------------------------------------------------
# the JAX side: one-point functions f(z, u, theta) with their derivatives
# ---------------------------------------------------------------------------------------------
def callback_function(host: HostFunction, theta_example, name: str, jacobian: Callable | None = None):
    """A JAX one-point function ``(z, u, theta) -> out_shape`` that runs ``host`` through
    ``jax.pure_callback``, with a JVP from ``jacobian`` (a JAX one-point function (z, u, theta) ->
    (d, d), for z tangents) or else central finite differences on the host."""
    treedef = jax.tree_util.tree_structure(theta_example)
    theta_ndims = [np.ndim(l) for l in jax.tree_util.tree_leaves(theta_example)]
    out = jax.ShapeDtypeStruct(host.out_shape, jnp.float32)
    evaluate = _host_eval(host, treedef, [1, 1, *theta_ndims])
    directional = _host_directional(host, treedef, [1, 1, 1, 1, *theta_ndims])

    @jax.custom_jvp
    def f(z, u, theta):
        return jax.pure_callback(evaluate, out, z, u, *jax.tree_util.tree_leaves(theta), vmap_method="expand_dims")

    def f_jvp(primals, tangents):
        z, u, theta = primals
        t_z, t_u, t_theta = tangents
        _reject_theta_tangent(t_theta, name)
        y = f(z, u, theta)
        leaves = jax.tree_util.tree_leaves(theta)
        if jacobian is not None:
            t_y = jnp.zeros(host.out_shape, jnp.float32) if isinstance(t_z, SymbolicZero) else jacobian(z, u, theta) @ t_z
            if not isinstance(t_u, SymbolicZero):  # an input direction: finite differences along u only
                t_y = t_y + jax.pure_callback(directional, out, z, u, jnp.zeros_like(z), t_u, *leaves,
                                              vmap_method="expand_dims")
            return y, t_y
        if isinstance(t_z, SymbolicZero) and isinstance(t_u, SymbolicZero):
            return y, jnp.zeros(host.out_shape, jnp.float32)
        return y, jax.pure_callback(directional, out, z, u, _tangent_or_zeros(t_z, z), _tangent_or_zeros(t_u, u),
                                    *leaves, vmap_method="expand_dims")

    f.defjvp(f_jvp, symbolic_zeros=True)
    return f


def with_jacobian(fn: Callable, jacobian: Callable):
    """The JAX one-point drift ``fn(z, u, theta)`` with its z-derivative taken from ``jacobian``
    (a JAX one-point function (z, u, theta) -> (d, d)); u and theta directions by JAX autodiff."""

    @jax.custom_jvp
    def f(z, u, theta):
        return fn(z, u, theta)

    def f_jvp(primals, tangents):
        z, u, theta = primals
        t_z, t_u, t_theta = tangents
        y = fn(z, u, theta)
        t_y = jnp.zeros_like(y) if isinstance(t_z, SymbolicZero) else jacobian(z, u, theta) @ t_z
        rest = [not isinstance(t, SymbolicZero) for t in
                [t_u] + jax.tree_util.tree_leaves(t_theta, is_leaf=lambda x: isinstance(x, SymbolicZero))]
        if any(rest):
            zero_theta = jax.tree_util.tree_map(lambda t, p: _tangent_or_zeros(t, p), t_theta, theta,
                                                is_leaf=lambda x: isinstance(x, SymbolicZero))
            t_y = t_y + jax.jvp(lambda u_, th: fn(z, u_, th), (u, theta), (_tangent_or_zeros(t_u, u), zero_theta))[1]
        return y, t_y

    f.defjvp(f_jvp, symbolic_zeros=True)
    return f


# ---------------------------------------------------------------------------------------------
# resolution at construction
# ---------------------------------------------------------------------------------------------
class Resolved:
    """How one user function runs: ``fn`` the JAX one-point function (z, u, theta) -> out (no
    derivative rule yet), ``how`` in {"jax", "translated", "callback"}, ``host`` the host
    evaluator (callback only), ``reason`` why it does not run as JAX as it is. ``at_points`` and
    ``derivative_at_points`` evaluate a JAX ``fn`` (and its z-Jacobian) at a batch of points:
    eagerly the first time (a function used once pays no compilation), then compiled once and
    reused by every SDE built from it (theta is traced: a slider's rebuilds cost a dispatch)."""

    __slots__ = ("fn", "how", "host", "reason", "_jitted")

    def __init__(self, fn, how, host=None, reason=""):
        self.fn, self.how, self.host, self.reason, self._jitted = fn, how, host, reason, {}

    @property
    def backend(self) -> str:
        return "callback" if self.how == "callback" else "jax"

    def _compiled(self, what):
        fn = jax.vmap(self.fn if what == "value" else jax.jacfwd(self.fn), in_axes=(0, 0, None))
        if what not in self._jitted:
            self._jitted[what] = None  # the first use runs eagerly
            return fn
        if self._jitted[what] is None:
            self._jitted[what] = jax.jit(fn)
        return self._jitted[what]

    def at_points(self, Z, U, theta):
        return self._compiled("value")(np.asarray(Z, np.float32), np.asarray(U, np.float32), theta)

    def derivative_at_points(self, Z, U, theta):
        return self._compiled("derivative")(np.asarray(Z, np.float32), np.asarray(U, np.float32), theta)


#: resolutions by (role, function, calling convention, argument shapes): an SDE rebuilt with new
#: theta values (a slider) neither re-traces nor re-probes how its functions run
_RESOLVED: dict = {}
_RESOLVED_MAX = 512


#: resolutions by (role, function, calling convention, argument shapes): an SDE rebuilt with new
#: theta values (a slider) neither re-traces nor re-probes how its functions run
_RESOLVED: dict = {}
_RESOLVED_MAX = 512


def _agrees(fn, host: HostFunction, Z, U, theta, theta_host) -> bool:
    """True when the JAX function and the numpy original agree at the points (1e-4 of their size)."""
    try:
        got = np.asarray(jax.vmap(fn, in_axes=(0, 0, None))(jnp.asarray(Z, jnp.float32), jnp.asarray(U, jnp.float32),
                                                             theta), np.float64)
        want = np.stack([host.one(Z[i], U[i], theta_host) for i in range(Z.shape[0])])
    except Exception:  # either fails at the points: not a faithful translation
        return False
    if got.shape != want.shape or not np.all(np.isfinite(want)):
        return False
    return bool(np.max(np.abs(got - want), initial=0.0) <= 1e-4 * max(1.0, float(np.max(np.abs(want), initial=0.0))))


def resolve(label: str, fn: Callable, convention, adapter: Callable, points, theta, out_shape):
    """Resolve the user's ``fn`` (called through ``adapter(fn)(z, u, theta)``; ``convention`` names
    that call) to JAX as it is, to a jax.numpy translation that agrees with it at ``points`` =
    (Z, U), or to a host callback; remembered for the same function, convention and shapes.
    Returns (Resolved, its values at the points when this call computed them, else None)."""
    flat, treedef = jax.tree_util.tree_flatten(theta)
    try:
        key = (label, fn, convention, tuple(out_shape), points[0].shape[1:], points[1].shape[1:], treedef,
               tuple((jnp.shape(l), str(jnp.result_type(l))) for l in flat))
        hash(key)
    except TypeError:  # an unhashable callable: resolve it every time
        key = None
    if key is not None and key in _RESOLVED:
        return _RESOLVED[key], None
    out, values = _resolve(label, fn, adapter, points, theta, out_shape)
    if key is not None:
        if len(_RESOLVED) >= _RESOLVED_MAX:
            _RESOLVED.pop(next(iter(_RESOLVED)))
        _RESOLVED[key] = out
    return out, values


def _resolve(label, fn, adapter, points, theta, out_shape):
    """Tracing the function under ``jax.vmap`` at the probe points is the test of JAX-ness: numpy
    calls on its tracers, value-dependent Python control flow and in-place writes all raise there
    as they would under ``jit``."""
    user = adapter(fn)
    try:
        r = Resolved(user, "jax")
        return r, r.at_points(*points, theta)
    except Exception as err:  # the user's function: any failure means "not JAX as it is"
        first = err
    theta_host = host_theta(theta)
    host = HostFunction(user, out_shape, vectorized=None, label=label)  # decided after the probe
    twin = translated(fn)
    if twin is not None:
        r = Resolved(adapter(twin), "translated", reason=type(first).__name__)
        values = _agreeing_values(r, host, points, theta, theta_host)
        if values is not None:
            return r, values
    return Resolved(None, "callback", host, reason=f"{type(first).__name__}: {str(first).splitlines()[0] if str(first) else ''}"), None


def _agreeing_values(r: Resolved, host: HostFunction, points, theta, theta_host):
    """The translation's values at the points when it runs and agrees with the numpy original
    there (to 1e-4 of their size), else None."""
    Z, U = points
    try:
        got = np.asarray(r.at_points(Z, U, theta), np.float64)
        want = np.stack([host.one(Z[i], U[i], theta_host) for i in range(Z.shape[0])])
    except Exception:  # either fails at the points: not a faithful translation
        return None
    if got.shape != want.shape or not np.all(np.isfinite(want)):
        return None
    ok = np.max(np.abs(got - want), initial=0.0) <= 1e-4 * max(1.0, float(np.max(np.abs(want), initial=0.0)))
    return got if ok else None


def host_theta(theta):
    """theta as numpy arrays for the host (floating leaves in float64)."""
    return jax.tree_util.tree_map(_host_array, theta)


def callback_note(name: str, parts: dict) -> str:
    """The CallbackDriftWarning text: which functions run on the host, why, and what it costs."""
    lines = []
    for role, r in parts.items():
        if r is None or r.how != "callback":
            continue
        loop = "vectorised: one call per batch" if r.host.vectorized else \
            "one point at a time: a Python loop over each batch (a function of Z (n, d) would be one call)"
        lines.append(f"`{role}` ({loop}; traced under JAX it raised {r.reason[:120]})")
    deriv = parts.get("jacobian")
    source = "the given `jacobian`" + (" (on the host)" if deriv is not None and deriv.how == "callback" else "") \
        if deriv is not None else "central finite differences on the host (2 calls per tangent direction)"
    return (f"SDE {name!r}: " + "; ".join(lines) + " run on the host through jax.pure_callback in float64 numpy, one "
            "host call per batch of points (every simulation step, every batch of a fit): slower than JAX, never "
            f"on an accelerator, no jit fusion. Derivatives of the drift (stability check, Lyapunov exponents, fixed "
            f"points) come from {source}.")
