"""The target SDE  dz = f(z, u) dt + g(z) dW  (METHOD.md section 1)."""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np

from .._checks import _show, as_array, check_int, check_region
from .._system import System


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


@jax.tree_util.register_pytree_node_class
@dataclass(frozen=True, eq=False)
class SDE(System):
    """A latent SDE ``dz = f(z, u) dt + g(z) dW`` in R^d (Itô), driven by an input u in R^k.

    Parameters
    ----------
    drift : callable
        ``f(z, u) -> (d,)``, JAX-traceable; ``f(z)`` is accepted when ``input_dim == 0``. With
        ``theta``, ``f(z, u, theta)``.
    diffusion : callable or array
        ``g(z) -> (d, m)`` (``g(z, theta)`` with ``theta``), JAX-traceable, or a constant (d, m)
        array. The diffusion matrix is ``D(z) = g g^T / 2``.
    dim, noise_dim, input_dim : int
        d, m and k.
    name : str
        Shown in reports and plots.
    region : (low, high)
        The default sampling box (two length-d sequences): ``fit`` samples from it when no
        sampler is given, and plots and grids cover it.
    input_region : (low, high), optional
        Box of inputs u that ``fit`` samples when k > 0 (default [-1, 1]^k).
    params : dict, optional
        The parameters the system was built with, shown in reports and plots. Entries of
        ``theta`` are shown with the values the kernel computes with (``theta`` wins over a
        ``params`` entry of the same name), so ``params`` never disagrees with the drift.
    theta : pytree, optional
        Numeric parameters handed to ``drift`` and ``diffusion`` as their last argument (numbers
        become float32 arrays). They are traced, not baked into compiled code: two SDEs with the
        same functions and structure but other ``theta`` values share every compiled simulation,
        fit and field, so a slider on a parameter never recompiles. A constant ``diffusion``
        array is traced the same way. The built-in systems use this.

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
    """

    drift: Callable
    diffusion: Any
    dim: int
    noise_dim: int
    input_dim: int = 0
    name: str = "SDE"
    region: Any = None
    input_region: Any = None
    params: dict = field(default_factory=dict)
    theta: Any = None

    def __post_init__(self):
        d = check_int("dim", self.dim)
        m = check_int("noise_dim", self.noise_dim)
        k = check_int("input_dim", self.input_dim, minimum=0)
        if not isinstance(self.name, str):
            raise ValueError(f"`name` must be a string, got {_show(self.name)}")
        if not callable(self.drift):
            raise ValueError(f"`drift` must be a callable f(z, u) -> (d,), got {_show(self.drift)}")
        if self.region is None:
            raise ValueError("`region` is required: the box (low, high) that fit samples from, e.g. region=([-3, -3], [3, 3])")
        low, high = check_region("region", self.region, d)
        object.__setattr__(self, "region", (low, high))
        if k > 0:
            ir = self.input_region if self.input_region is not None else (-np.ones(k), np.ones(k))
            object.__setattr__(self, "input_region", check_region("input_region", ir, k))
        else:
            object.__setattr__(self, "input_region", None)
        if self.theta is not None:
            theta = jax.tree_util.tree_map(_to_leaf, self.theta)
            object.__setattr__(self, "theta", theta)
        if not callable(self.diffusion):
            g0 = as_array("diffusion", self.diffusion, shape=(d, m))
            object.__setattr__(self, "_g0", jnp.asarray(g0, dtype=jnp.float32))
        else:
            object.__setattr__(self, "_g0", None)
        with_theta = self.theta is not None
        takes_u = with_theta or _takes_input(self.drift) or k > 0
        object.__setattr__(self, "_mode", (with_theta, takes_u))
        shown = dict(self.params)
        if isinstance(self.theta, dict):  # what the kernel computes with, not a second copy
            shown.update({name: _plain(v) for name, v in self.theta.items()
                          if isinstance(v, (jax.Array, np.ndarray)) and np.size(v) <= 64})
        object.__setattr__(self, "params", shown)
        self._probe()

    # pytree: theta and a constant noise loading are leaves; the rest is static ----------------
    def tree_flatten(self):
        key = (self.drift, None if self._g0 is not None else self.diffusion, self.dim, self.noise_dim,
               self.input_dim, self.name, self._mode)
        return (self.theta, self._g0), _Static(key, (self.params, self.region, self.input_region))

    @classmethod
    def tree_unflatten(cls, static, children):
        obj = object.__new__(cls)
        drift, diffusion, d, m, k, name, mode = static.key
        params, region, input_region = static.meta
        theta, g0 = children
        for name_, value in (("drift", drift), ("diffusion", g0 if diffusion is None else diffusion), ("dim", d),
                             ("noise_dim", m), ("input_dim", k), ("name", name), ("region", region),
                             ("input_region", input_region), ("params", params), ("theta", theta), ("_g0", g0),
                             ("_mode", mode)):
            object.__setattr__(obj, name_, value)
        return obj

    def _f(self, z, u):
        with_theta, takes_u = self._mode
        if with_theta:
            return self.drift(z, u, self.theta)
        return self.drift(z, u) if takes_u else self.drift(z)

    def _g(self, z):
        if self._g0 is not None:
            return self._g0
        return self.diffusion(z, self.theta) if self._mode[0] else self.diffusion(z)

    def _probe(self):
        """Call f and g once at the region centre: shapes and finiteness, with clear errors."""
        d, m, k = self.dim, self.noise_dim, self.input_dim
        z = jnp.asarray((self.region[0] + self.region[1]) / 2, dtype=jnp.float32)
        u = jnp.zeros((k,), jnp.float32)
        call = "f(z, u, theta)" if self._mode[0] else "f(z, u)"
        try:
            f = self._f(z, u)
        except Exception as err:  # the user's function: report it with its signature
            raise ValueError(f"`drift` failed when called as {call} with z of shape ({d},) and u of shape ({k},): {type(err).__name__}: {err}") from err
        if jnp.shape(f) != (d,):
            raise ValueError(f"`drift` must return shape ({d},), got {jnp.shape(f)} at z={np.asarray(z).tolist()}")
        if not bool(jnp.all(jnp.isfinite(f))):
            raise ValueError(f"`drift` returned a non-finite value {np.asarray(f).tolist()} at z={np.asarray(z).tolist()}")
        try:
            g = self._g(z)
        except Exception as err:
            raise ValueError(f"`diffusion` failed when called as g(z{', theta' if self._mode[0] else ''}) with z of shape ({d},): {type(err).__name__}: {err}") from err
        if jnp.shape(g) != (d, m):
            raise ValueError(f"`diffusion` must return shape ({d}, {m}) (dim, noise_dim), got {jnp.shape(g)}")
        if not bool(jnp.all(jnp.isfinite(g))):
            raise ValueError(f"`diffusion` returned a non-finite value at z={np.asarray(z).tolist()}")

    # The system interface (ddm_explore/_system.py), batched over leading axes --------------
    @property
    def constant_diffusion(self) -> bool:
        """True when g does not depend on z (a constant ``diffusion`` array)."""
        return self._g0 is not None

    @property
    def state_dim(self) -> int:
        return self.dim

    @property
    def private_noise(self) -> float:
        return 0.0

    @property
    def time_scale(self) -> float:
        """Simulation time per original time unit (``params["time_scale"]``, else 1)."""
        return float(self.params.get("time_scale", 1.0))

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
        follows the new ``theta``."""
        fields = dict(drift=self.drift, diffusion=self.diffusion, dim=self.dim, noise_dim=self.noise_dim,
                      input_dim=self.input_dim, name=self.name, region=self.region,
                      input_region=self.input_region, params=self.params, theta=self.theta)
        unknown = sorted(set(changes) - set(fields))
        if unknown:
            raise ValueError(f"`replace` takes the fields {sorted(fields)}, got {unknown}")
        fields.update(changes)
        return SDE(**fields)

    def __repr__(self) -> str:
        p = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"SDE({self.name!r}, dim={self.dim}, noise_dim={self.noise_dim}, input_dim={self.input_dim}{', ' + p if p else ''})"
