"""The target SDE  dz = f(z, u) dt + g(z) dW  (METHOD.md section 1)."""

from __future__ import annotations

import inspect
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import jax
import jax.numpy as jnp
import numpy as np

from .._checks import _show, as_array, check_int, check_positive, check_region
from .._system import System
from ._host import CallbackDriftWarning, callback_function, callback_note, host_theta, resolve, with_jacobian
from ._probe import check_jacobian, drift_derivative, evaluate, probe_points


def _takes_input(fn: Callable) -> bool:
    try:
        params = [
            p
            for p in inspect.signature(fn).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
        ]
    except (TypeError, ValueError):
        return True
    return len(params) != 1


def _to_leaf(v):
    """Numbers in ``theta`` become float32 arrays (traced leaves); arrays keep their dtype class."""
    if isinstance(v, (bool, np.bool_)):
        raise ValueError(f"`theta` values must be numbers or arrays, got the bool {v!r}: pass a static choice through the function instead")
    if isinstance(v, (int, float, np.integer, np.floating)) or (isinstance(v, np.ndarray) and v.dtype.kind in "fiu"):
        return jnp.asarray(v, jnp.float32)
    if isinstance(v, jax.Array) or hasattr(v, "shape") and hasattr(v, "dtype") and getattr(v.dtype, "kind", "") in "fiuc":
        return v
    raise ValueError(f"`theta` values must be numbers or numeric arrays (they are traced), got {_show(v)}: "
                     f"pass a static choice (a string, a flag) by choosing the function instead")


def _plain(v):
    """A traced parameter as plain Python numbers (shortest float32 repr) for reports and titles."""
    a = np.asarray(v)
    if a.dtype.kind == "f":
        out = np.vectorize(lambda x: float(str(np.float32(x))), otypes=[float])(a) if a.size else a.astype(float)
        return float(out) if a.ndim == 0 else out.tolist()
    return a.item() if a.ndim == 0 else a.tolist()


class _Static:
    """The static part of an SDE's pytree: compared by everything that shapes its compiled code.
    ``meta`` (params, region, input_region: metadata that traced code never reads) rides along
    but is not compared, so new parameter values reuse the compiled programs."""

    __slots__ = ("key", "meta")

    def __init__(self, key, meta):
        self.key, self.meta = key, meta

    def __eq__(self, other):
        return isinstance(other, _Static) and self.key == other.key

    def __hash__(self):
        return hash(self.key)


def _drift_adapter(with_theta: bool, takes_u: bool):
    """The user's drift (or Jacobian) called in its convention as (z, u, theta)."""
    if with_theta:
        return lambda fn: (lambda z, u, th: fn(z, u, th))
    if takes_u:
        return lambda fn: (lambda z, u, th: fn(z, u))
    return lambda fn: (lambda z, u, th: fn(z))


def _diffusion_adapter(with_theta: bool):
    if with_theta:
        return lambda fn: (lambda z, u, th: fn(z, th))
    return lambda fn: (lambda z, u, th: fn(z))


def _is_zero_number(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_)) and value == 0


class _Kernel:
    """What an SDE runs, resolved once at construction: the one-point drift ``f(z, u, theta)`` and
    diffusion ``g(z, u, theta)`` as JAX functions (host callbacks with their derivative rules
    where the user's code is not JAX), and how each was resolved."""

    __slots__ = ("f", "g", "resolved")

    def __init__(self, f, g, resolved):
        self.f, self.g, self.resolved = f, g, resolved


@jax.tree_util.register_pytree_node_class
@dataclass(frozen=True, eq=False)
class SDE(System):
    """A latent SDE ``dz = f(z, u) dt + g(z) dW`` in R^d (Itô), driven by an input u in R^k.

    Parameters
    ----------
    drift : callable
        ``f(z, u) -> (d,)``; ``f(z)`` is accepted when ``input_dim == 0``. With ``theta``,
        ``f(z, u, theta)``. JAX code runs as JAX; numpy code runs as JAX where a copy with numpy
        read as ``jax.numpy`` traces and agrees with it, else on the host (``backend``).
    diffusion : callable, array, 0 or None
        ``g(z) -> (d, m)`` (``g(z, theta)`` with ``theta``), or a constant (d, m) array. The
        diffusion matrix is ``D(z) = g g^T / 2``. ``None`` or ``0``: an ODE target, no noise
        (``noise_dim`` 0 by default).
    dim, noise_dim, input_dim : int
        d, m and k. ``noise_dim`` defaults to the constant array's width, or 0 for an ODE.
    name : str
        Shown in reports and plots.
    region : (low, high), optional
        The default sampling box (two length-d sequences): ``fit`` samples from it when no
        sampler is given, and plots, grids and default starting points cover it. Without it, give
        those a sampler (``ddm.occupation(points)``) or starting points (``z0=``).
    input_region : (low, high), optional
        Box of inputs u that ``fit`` samples when k > 0 (default [-1, 1]^k).
    params : dict, optional
        The parameters the system was built with, shown in reports and plots. Entries of
        ``theta`` are shown with the values the kernel computes with (``theta`` wins over a
        ``params`` entry of the same name), so ``params`` never disagrees with the drift; so is
        ``time_scale`` when it is given. A ``params["time_scale"]`` without ``time_scale=`` records
        a time scale that the functions already include (nothing is rescaled).
    theta : pytree, optional
        Numeric parameters handed to ``drift`` and ``diffusion`` as their last argument (numbers
        become float32 arrays). They are traced, not baked into compiled code: two SDEs with the
        same functions and structure but other ``theta`` values share every compiled simulation,
        fit and field, so a slider on a parameter never recompiles. A constant ``diffusion``
        array is traced the same way. The built-in systems use this.
    time_scale : float, optional
        T > 0: the functions are given in original time units s, and the SDE runs in simulation
        time t = T s (units of the network's time constant): the drift is ``f / T`` and the
        diffusion matrix ``D / T`` (``g / sqrt(T)``). Reports in original units multiply rates
        by ``sde.time_scale`` (e.g. ``lyapunov_exponent(...).exponent_original``); a network fitted
        to the SDE inherits it. See :meth:`time_scaled` and ``ddm.analysis.propose_time_scale``.
    jacobian : callable, optional
        ``J(z[, u][, theta]) -> (d, d)``, d f_i / d z_j of the drift (before the time scale),
        called like the drift. Derivatives of the drift (``jax.jacfwd``, ``jvp``, ``linearize``:
        the stability check, Lyapunov exponents, fixed points) use it; without it a host drift
        uses central finite differences. Checked against the drift at the probe points.
    vectorized : bool, optional
        For a host (numpy) function: True if it takes a batch Z (n, d), U (n, k) and returns
        (n, ...) (one call per batch), False for one point at a time; default: detected.

    Attributes
    ----------
    backend : {"jax", "callback"}
        "callback" when the drift, diffusion or Jacobian runs on the host through
        ``jax.pure_callback`` (then a :class:`ddm.CallbackDriftWarning` says so at construction);
        ``backends`` tells each function's route ("jax", "translated" from numpy, "callback").

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> import ddm_explore as ddm
    >>> sde = ddm.SDE(drift=lambda z, u: -z, diffusion=0.5 * jnp.eye(2), dim=2, noise_dim=2,
    ...               name="OU", region=([-2, -2], [2, 2]))
    >>> sde.latent_diffusion(jnp.zeros(2)).tolist()
    [[0.125, 0.0], [0.0, 0.125]]
    >>> def relax(z, u, theta):
    ...     return -theta["rate"] * z
    >>> slow = ddm.SDE(drift=relax, diffusion=0.1 * jnp.eye(1), dim=1, noise_dim=1, region=([-1], [1]),
    ...                theta={"rate": 0.5})
    >>> slow.latent_drift(jnp.ones(1)).tolist()
    [-0.5]
    >>> slow.latent_drift(jnp.ones((3, 1))).shape  # batched over leading axes
    (3, 1)
    >>> slow.replace(theta={"rate": 2.0}).params
    {'rate': 2.0}
    >>> ode = ddm.SDE(drift=lambda z: -z, dim=1, time_scale=4.0)  # an ODE in original time, slowed 4x
    >>> ode.noise_dim, ode.time_scale, ode.latent_drift(jnp.ones(1)).tolist(), ode.backend
    (0, 4.0, [-0.25], 'jax')
    """

    drift: Callable
    diffusion: Any = None
    dim: int = None
    noise_dim: int = None
    input_dim: int = 0
    name: str = "SDE"
    region: Any = None
    input_region: Any = None
    params: dict = field(default_factory=dict)
    theta: Any = None
    time_scale: Any = None
    jacobian: Optional[Callable] = None
    vectorized: Optional[bool] = None

    def __post_init__(self):
        if not isinstance(self.name, str):
            raise ValueError(f"`name` must be a string, got {_show(self.name)}")
        if not callable(self.drift):
            raise ValueError(f"`drift` must be a callable f(z, u) -> (d,), got {_show(self.drift)}")
        if self.jacobian is not None and not callable(self.jacobian):
            raise ValueError(f"`jacobian` must be a callable J(z, u) -> (d, d) or None, got {_show(self.jacobian)}")
        if self.vectorized is not None and not isinstance(self.vectorized, (bool, np.bool_)):
            raise ValueError(f"`vectorized` must be True, False or None (detect), got {_show(self.vectorized)}")
        d, k = self._sizes()
        if self.theta is not None:
            object.__setattr__(self, "theta", jax.tree_util.tree_map(_to_leaf, self.theta))
        applied = None if self.time_scale is None else check_positive("time_scale", self.time_scale)
        object.__setattr__(self, "_applied", applied)
        object.__setattr__(self, "_T", None if applied is None else jnp.asarray(applied, jnp.float32))
        self._set_diffusion(d)
        with_theta = self.theta is not None
        takes_u = with_theta or _takes_input(self.drift) or k > 0
        object.__setattr__(self, "_mode", (with_theta, takes_u))
        shown = dict(self.params)
        if isinstance(self.theta, dict):  # what the kernel computes with, not a second copy
            shown.update({name: _plain(v) for name, v in self.theta.items()
                          if isinstance(v, (jax.Array, np.ndarray)) and np.size(v) <= 64})
        if applied is not None and (applied != 1.0 or "time_scale" in shown):
            shown["time_scale"] = _plain(np.float32(applied))
        object.__setattr__(self, "params", shown)
        # the time scale in reports: the one applied, else one the functions already include
        object.__setattr__(self, "time_scale", applied if applied is not None else float(shown.get("time_scale", 1.0)))
        self._resolve()
        if self.backend == "callback":
            warnings.warn(CallbackDriftWarning(callback_note(self.name, self._kernel.resolved)), stacklevel=3)

    def _sizes(self):
        if self.dim is None:
            raise ValueError("`dim` is required: the latent dimension d, e.g. dim=3")
        d = check_int("dim", self.dim)
        k = check_int("input_dim", self.input_dim, minimum=0)
        if self.region is not None:
            object.__setattr__(self, "region", check_region("region", self.region, d))
        if k > 0:
            ir = self.input_region if self.input_region is not None else (-np.ones(k), np.ones(k))
            object.__setattr__(self, "input_region", check_region("input_region", ir, k))
        else:
            object.__setattr__(self, "input_region", None)
        return d, k

    def _set_diffusion(self, d):
        """``noise_dim`` and ``_g0``, the constant loading (float32, scaled by the time scale) or None."""
        g = self.diffusion
        if g is None or _is_zero_number(g):  # an ODE
            m = check_int("noise_dim", 0 if self.noise_dim is None else self.noise_dim, minimum=0)
            object.__setattr__(self, "noise_dim", m)
            object.__setattr__(self, "_g0", jnp.zeros((d, m), jnp.float32))
            return
        if isinstance(g, (int, float, np.integer, np.floating)) and not callable(g):
            raise ValueError(f"`diffusion` as a number must be 0 (an ODE target), got {_show(g)}: for noise of size s on "
                             f"every coordinate pass diffusion=s * np.eye({d})")
        if callable(g):
            if self.noise_dim is None:
                raise ValueError("`noise_dim` is required with a callable `diffusion`: the m of g(z) -> (d, m)")
            object.__setattr__(self, "noise_dim", check_int("noise_dim", self.noise_dim))
            object.__setattr__(self, "_g0", None)
            return
        m = self.noise_dim
        if m is None:
            m = np.shape(g)[1] if np.ndim(g) == 2 else None
            if m is None:
                raise ValueError(f"`diffusion` must be a callable, a (d, m) array, 0 or None, got {_show(g)}")
        m = check_int("noise_dim", m)
        object.__setattr__(self, "noise_dim", m)
        g0 = as_array("diffusion", g, shape=(d, m))
        if self._applied is not None:  # in float64, before the float32 loading is made
            g0 = g0 / np.sqrt(self._applied)
        object.__setattr__(self, "_g0", jnp.asarray(g0, dtype=jnp.float32))

    def _resolve(self):
        """Route each function (JAX, a jax.numpy translation, or a host callback), probe them at a few
        points of the region, check the Jacobian against the drift, build the kernel."""
        d, m, k = self.dim, self.noise_dim, self.input_dim
        with_theta, takes_u = self._mode
        Z = probe_points(self.region, d)
        U = np.zeros((Z.shape[0], k))
        theta_host = host_theta(self.theta)
        note = "" if self.region is not None else " (probed in [-1, 1]^d for want of a `region`: pass region=(low, high) " \
            "where the functions are defined)"
        call = "f(z, u, theta)" if with_theta else "f(z, u)" if takes_u else "f(z)"
        r, values = resolve("drift", self.drift, (self._mode, self.vectorized), _drift_adapter(with_theta, takes_u), (Z, U),
                            self.theta, (d,))
        parts = dict(drift=r)
        evaluate(r, "drift", call, Z, U, self.theta, theta_host, (d,), values=values, region_note=note)
        jac = None
        if self.jacobian is not None:
            j_takes_u = with_theta or _takes_input(self.jacobian)
            parts["jacobian"], values = resolve("jacobian", self.jacobian, (with_theta, j_takes_u, self.vectorized),
                                                _drift_adapter(with_theta, j_takes_u), (Z, U), self.theta, (d, d))
            J = evaluate(parts["jacobian"], "jacobian", call.replace("f(", "J("), Z, U, self.theta, theta_host, (d, d),
                         values=values, region_note=note)
            check_jacobian(J, drift_derivative(parts["drift"], Z, U, self.theta, theta_host), Z, parts["drift"].how)
            jac = parts["jacobian"].fn if parts["jacobian"].how != "callback" else \
                callback_function(parts["jacobian"].host, self.theta, "jacobian")
        g = None
        if self._g0 is None:
            parts["diffusion"], values = resolve("diffusion", self.diffusion, (with_theta, self.vectorized),
                                                 _diffusion_adapter(with_theta), (Z, U), self.theta, (d, m))
            evaluate(parts["diffusion"], "diffusion", "g(z, theta)" if with_theta else "g(z)", Z, U, self.theta, theta_host,
                     (d, m), values=values, shape_note=" (dim, noise_dim)", region_note=note)
            r = parts["diffusion"]
            g = r.fn if r.how != "callback" else callback_function(r.host, self.theta, "diffusion")
        for r in parts.values():  # one call per batch where the host function takes one
            if r.how == "callback" and r.host.vectorized is None:
                r.host.vectorized = bool(self.vectorized) if self.vectorized is not None else r.host.vectorizes(Z, U, theta_host)
        r = parts["drift"]
        if r.how == "callback":
            f = callback_function(r.host, self.theta, "drift", jacobian=jac)
        else:
            f = r.fn if jac is None else with_jacobian(r.fn, jac)
        object.__setattr__(self, "_kernel", _Kernel(f, g, parts))

    # pytree: theta, a constant noise loading and the time scale are leaves; the rest is static ------
    def tree_flatten(self):
        key = (self.drift, None if self._g0 is not None else self.diffusion, self.jacobian, self.vectorized, self.dim,
               self.noise_dim, self.input_dim, self.name, self._mode)
        meta = (self.params, self.region, self.input_region, self._kernel, self.time_scale, self._applied,
                self.diffusion if self._g0 is not None else None)
        return (self.theta, self._g0, self._T), _Static(key, meta)

    @classmethod
    def tree_unflatten(cls, static, children):
        obj = object.__new__(cls)
        drift, diffusion, jacobian, vectorized, d, m, k, name, mode = static.key
        params, region, input_region, kernel, time_scale, applied, constant = static.meta
        theta, g0, T = children
        for name_, value in (("drift", drift), ("diffusion", constant if diffusion is None else diffusion),
                             ("jacobian", jacobian), ("vectorized", vectorized), ("dim", d), ("noise_dim", m),
                             ("input_dim", k), ("name", name), ("region", region), ("input_region", input_region),
                             ("params", params), ("theta", theta), ("_g0", g0), ("_T", T), ("_mode", mode),
                             ("_kernel", kernel), ("time_scale", time_scale), ("_applied", applied)):
            object.__setattr__(obj, name_, value)
        return obj

    def _f(self, z, u):
        out = self._kernel.f(z, u, self.theta)
        return out if self._T is None else out / self._T

    def _g(self, z):
        if self._g0 is not None:
            return self._g0
        out = self._kernel.g(z, jnp.zeros((self.input_dim,), jnp.float32), self.theta)
        return out if self._T is None else out / jnp.sqrt(self._T)

    # The system interface (ddm_explore/_system.py), batched over leading axes --------------
    @property
    def backend(self) -> str:
        """"callback" when a function runs on the host through jax.pure_callback, else "jax"."""
        return "callback" if any(r.how == "callback" for r in self._kernel.resolved.values()) else "jax"

    @property
    def backends(self) -> dict:
        """How each given function runs: "jax", "translated" (numpy read as jax.numpy) or "callback"."""
        return {role: r.how for role, r in self._kernel.resolved.items()}

    @property
    def constant_diffusion(self) -> bool:
        """True when g does not depend on z (a constant ``diffusion`` array, or none)."""
        return self._g0 is not None

    @property
    def state_dim(self) -> int:
        return self.dim

    @property
    def private_noise(self) -> float:
        return 0.0

    def _batched(self, fn, z, *args):
        """Call a one-point function on z (..., d) and matching args (..., k), vmapped over the batch."""
        if z.ndim == 1 and all(a.ndim == 1 for a in args):
            return fn(z, *args)
        batch = jnp.broadcast_shapes(z.shape[:-1], *(a.shape[:-1] for a in args))
        n = int(np.prod(batch))
        flat = [jnp.broadcast_to(a, batch + a.shape[-1:]).reshape((n,) + a.shape[-1:]) for a in (z,) + args]
        out = jax.vmap(fn)(*flat)
        return out.reshape(batch + out.shape[1:])

    def latent_drift(self, z, u=None):
        """f(z, u), shape (..., d) for z (..., d) and u (..., k) or (k,); ``u`` defaults to zeros."""
        z = jnp.asarray(z, jnp.float32)
        u = jnp.zeros((self.input_dim,), jnp.float32) if u is None else jnp.asarray(u, jnp.float32)
        return self._batched(lambda zi, ui: jnp.asarray(self._f(zi, ui), jnp.float32), z, u)

    def noise_loading(self, z):
        """g(z), shape (..., d, m)."""
        z = jnp.asarray(z, jnp.float32)
        if self._g0 is not None:
            return jnp.broadcast_to(self._g0, z.shape[:-1] + self._g0.shape)
        return self._batched(lambda zi: jnp.asarray(self._g(zi), jnp.float32), z)

    def initial_state(self, z):
        """The integrated state for latent starts z (n, d): z itself."""
        return jnp.asarray(z, jnp.float32)

    def state_drift(self, x, u):
        """Drift of the integrated state x (n, d) with inputs u (n, k)."""
        return jax.vmap(self.latent_drift)(x, jnp.broadcast_to(u, x.shape[:1] + u.shape[1:]))

    def state_noise(self, x, dw):
        """``g(x) dw`` for latent increments dw (n, m)."""
        if self._g0 is not None:
            return dw @ self._g0.T
        return jnp.einsum("tij,tj->ti", jax.vmap(self.noise_loading)(x), dw)

    def readout(self, x):
        """Latent state of the integrated state: x itself."""
        return x

    def describe(self) -> dict:
        """Attrs that identify this system in results."""
        return dict(system=self.name, system_kind="sde", system_params=str(self.params))

    def replace(self, **changes) -> "SDE":
        """A copy with some constructor fields replaced (e.g. ``theta=dict(c=0.5)``); ``params``
        follows the new ``theta`` and ``time_scale``."""
        fields = dict(drift=self.drift, diffusion=self.diffusion, dim=self.dim, noise_dim=self.noise_dim,
                      input_dim=self.input_dim, name=self.name, region=self.region,
                      input_region=self.input_region, params=self.params, theta=self.theta, time_scale=self._applied,
                      jacobian=self.jacobian, vectorized=self.vectorized)
        unknown = sorted(set(changes) - set(fields))
        if unknown:
            raise ValueError(f"`replace` takes the fields {sorted(fields)}, got {unknown}")
        fields.update(changes)
        return SDE(**fields)

    def time_scaled(self, time_scale: float) -> "SDE":
        """The same system with time slowed down by ``time_scale`` = T: drift ``f / T``, diffusion
        matrix ``D / T`` (noise loading ``g / sqrt(T)``); ``time_scale`` multiplies the recorded one.

        Examples
        --------
        >>> import numpy as np, ddm_explore as ddm
        >>> slow = ddm.SDE(drift=lambda z: -z, diffusion=np.eye(1), dim=1).time_scaled(4.0)
        >>> slow.time_scale, slow.latent_drift(np.ones(1)).tolist(), slow.latent_diffusion(np.ones(1)).tolist()
        (4.0, [-0.25], [[0.125]])
        >>> slow.time_scaled(2.5).time_scale
        10.0
        """
        T = check_positive("time_scale", time_scale)
        if self._applied is None and "time_scale" in self.params:
            raise ValueError(f"`time_scale`: this SDE records params['time_scale']={self.params['time_scale']!r} with functions "
                             f"that already include it, so it cannot be rescaled; build it from the functions in original "
                             f"time with ddm.SDE(..., time_scale=T) instead")
        return self.replace(time_scale=(1.0 if self._applied is None else self._applied) * T)

    def __repr__(self) -> str:
        p = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"SDE({self.name!r}, dim={self.dim}, noise_dim={self.noise_dim}, input_dim={self.input_dim}{', ' + p if p else ''})"
