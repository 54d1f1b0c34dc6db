"""How a network is fitted: each method is an object with its own settings (as diffrax solvers and
optax transformations are), so a setting that a method does not have cannot be passed to it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Union

import numpy as np
import optax

from .._checks import _show, check_choice, check_int, check_positive
from ..network._features import DenseRows, SparseRows, check_rows
from ..network._network import NONLINEARITIES
from ._optax import default_optimizer, line_search_gd


def _check_bulk(bulk):
    return None if bulk is None else check_positive("bulk", bulk, allow_zero=True)


#: above this many neurons the closed form streams the rates by default (n x N float32 rates at the
#: default n = 8 N are 0.5 GiB at N = 4096, 8 GiB at N = 16384)
STREAM_ABOVE = 4096
PRECISIONS = ("float64", "float32")


@dataclass(frozen=True, repr=False)
class ClosedForm:
    """The closed form for low-rank connectivity: ridge regression of the drift on the network's
    rates in float64, and the diffusion matched in closed form (METHOD.md section 3).

    ridge : penalty relative to features of unit scale; it keeps the readout weights moderate, so
    the manifold has no spurious attractors close to it.
    streaming : None, True or False
        Compute the rates per block of training points inside the Gram accumulation instead of
        storing all n x N of them (None: when N > ``STREAM_ABOVE`` = 4096 and there is no private
        noise). For N <= 4096 the default stays the stored path, bit for bit.
    precision : {"float64", "float32"}
        The streamed Gram's block products: float64, or float32 blocks summed in float64 with
        ``refine`` float64 refinement steps against the exact residual (README, "Performance and
        scale", has the comparison). Unused when the rates are stored.
    refine : int, optional
        Refinement steps of the streamed solve (default 0 for float64, 2 for float32).
    device : None, True or False
        Accumulate the streamed Gram matrix (float64) and factor it on JAX's default device
        (None: when that is an accelerator, not the CPU).

    >>> ClosedForm(ridge=1e-6, streaming=True)
    ClosedForm(ridge=1e-06, streaming=True)
    """

    ridge: float = 1e-9
    streaming: Optional[bool] = None
    precision: str = "float64"
    refine: Optional[int] = None
    device: Optional[bool] = None

    def __post_init__(self):
        object.__setattr__(self, "ridge", check_positive("ridge", self.ridge, allow_zero=True))
        if self.streaming is not None and not isinstance(self.streaming, (bool, np.bool_)):
            raise ValueError(f"`streaming` must be None, True or False, got {self.streaming!r}")
        if self.device is not None and not isinstance(self.device, (bool, np.bool_)):
            raise ValueError(f"`device` must be None, True or False, got {self.device!r}")
        check_choice("precision", self.precision, PRECISIONS)
        if self.refine is not None:
            object.__setattr__(self, "refine", check_int("refine", self.refine, minimum=0))

    def streams(self, n_neurons: int, private_noise: float) -> bool:
        """Whether a fit of ``n_neurons`` neurons streams the rates."""
        if self.streaming is None:
            return n_neurons > STREAM_ABOVE and not private_noise > 0
        return bool(self.streaming)

    def on_device(self, backend: str) -> bool:
        """Whether a streamed fit accumulates its Gram matrix on the device (JAX ``backend``)."""
        return backend != "cpu" if self.device is None else bool(self.device)

    @property
    def refine_steps(self) -> int:
        return (2 if self.precision == "float32" else 0) if self.refine is None else self.refine

    def __repr__(self) -> str:  # the settings that differ from the defaults (reports store it)
        extra = "".join(f", {name}={getattr(self, name)!r}" for name, default in
                        (("streaming", None), ("precision", "float64"), ("refine", None), ("device", None)) if getattr(self, name) != default)
        return f"ClosedForm(ridge={self.ridge!r}{extra})"


@dataclass(frozen=True)
class WarmStart:
    """Start an optax route from the closed-form solution (ridge ``ridge``) plus, for full and
    symmetric connectivity, a random bulk ``bulk * X / sqrt(N)`` (X standard normal, symmetrised for
    symmetric J; default 0.5 for full, 0.1 for symmetric)."""

    ridge: float = 1e-9
    bulk: Optional[float] = None

    def __post_init__(self):
        object.__setattr__(self, "ridge", check_positive("ridge", self.ridge, allow_zero=True))
        object.__setattr__(self, "bulk", _check_bulk(self.bulk))


@dataclass(frozen=True)
class RandomStart:
    """Start an optax route from random readout weights ``X / sqrt(N)``, zero input weights and a
    small noise loading, plus the random bulk of :class:`WarmStart` for full and symmetric J."""

    bulk: Optional[float] = None

    def __post_init__(self):
        object.__setattr__(self, "bulk", _check_bulk(self.bulk))


Start = Union[WarmStart, RandomStart]


def _check_start(init):
    if init is not None and not isinstance(init, (WarmStart, RandomStart)):
        raise ValueError(f"`init` must be ddm.WarmStart(...) or ddm.RandomStart(...), got {_show(init)}")
    return init


def _check_weights(obj):
    for name in ("lambda_D", "lambda_inv", "l2"):
        object.__setattr__(obj, name, check_positive(name, getattr(obj, name), allow_zero=True))


@dataclass(frozen=True)
class Optax:
    """Minimise the whole matching loss with an optax transformation over minibatches: the route
    for full and symmetric connectivity (their off-manifold drift is penalised by ``lambda_inv``).

    optimizer : optax.GradientTransformation, optional
        Default Adam with a cosine-decayed learning rate from 1e-3 (warm start) or 1e-2 (random).
    steps, batch_size : int
        Exactly ``steps`` optimiser steps on minibatches of ``batch_size`` points.
    precondition : bool
        Scale every gradient by a fixed approximation of the inverse Hessian of the quadratic terms
        of the loss (the rates' second-moment matrix on the rate side, the curvature of the drift
        or off-manifold term on the neuron side, the Lyapunov operator for symmetric J).
    init : WarmStart or RandomStart, optional
        Default WarmStart for low-rank and full, RandomStart for symmetric connectivity.
    lambda_D, lambda_inv, l2 : float
        Weights of the diffusion term, the off-manifold penalty and the squared connectivity norm.
    """

    optimizer: Optional[optax.GradientTransformation] = None
    steps: int = 2000
    batch_size: int = 512
    precondition: bool = False
    init: Optional[Start] = None
    lambda_D: float = 1.0
    lambda_inv: float = 1.0
    l2: float = 0.0

    full_batch = False

    def __post_init__(self):
        if self.optimizer is not None and not isinstance(self.optimizer, optax.GradientTransformation):
            raise ValueError(f"`optimizer` must be an optax transformation such as optax.adam(1e-3), got {type(self.optimizer).__name__}")
        object.__setattr__(self, "steps", check_int("steps", self.steps))
        object.__setattr__(self, "batch_size", check_int("batch_size", self.batch_size))
        if not isinstance(self.precondition, (bool, np.bool_)):
            raise ValueError(f"`precondition` must be True or False, got {self.precondition!r}")
        _check_start(self.init)
        _check_weights(self)

    def transformation(self, warm: bool):
        return self.optimizer or _default(warm, self.steps)


@dataclass(frozen=True)
class Preconditioned:
    """Full-batch gradient descent on the preconditioned gradients (see :class:`Optax`) with a zoom
    line search (``optax.sgd(1)`` chained with ``optax.scale_by_zoom_linesearch``): the fast route
    from a random start, for every connectivity. ``precondition=False`` runs the same line search
    on the raw gradients (to see what the preconditioner does)."""

    steps: int = 100
    init: Optional[Start] = None
    lambda_D: float = 1.0
    lambda_inv: float = 1.0
    l2: float = 0.0
    precondition: bool = True

    full_batch = True
    optimizer = None

    def __post_init__(self):
        object.__setattr__(self, "steps", check_int("steps", self.steps))
        if not isinstance(self.precondition, (bool, np.bool_)):
            raise ValueError(f"`precondition` must be True or False, got {self.precondition!r}")
        _check_start(self.init)
        _check_weights(self)

    def transformation(self, warm: bool):
        return line_search_gd()


def _default(warm, steps):
    return default_optimizer(1e-3 if warm else 1e-2, steps)


Solver = Union[ClosedForm, Optax, Preconditioned]
SOLVERS = (ClosedForm, Optax, Preconditioned)


def default_solver(connectivity: str):
    """The closed form for low rank; for full J the preconditioned route, whose network keeps the
    target's cycle when all its neurons are simulated (README, "Method in short"); Adam for
    symmetric J."""
    return {"low_rank": ClosedForm, "full": Preconditioned}.get(connectivity, Optax)()


def default_start(connectivity: str, solver) -> Start:
    if solver.init is not None:
        return solver.init
    return RandomStart() if connectivity == "symmetric" else WarmStart()


def bulk_gain(start: Start, connectivity: str) -> float:
    if start.bulk is not None:
        return start.bulk
    return 0.1 if connectivity == "symmetric" else 0.5


@dataclass(frozen=True)
class Embedding:
    """How the neurons see the latent space: the sampling region is mapped to internal coordinates
    spanning ``[-latent_gain, latent_gain]``; x0 is uniform on ``[-offset_scale, offset_scale]``
    projected off span(M); ``nonlinearity`` is the rate function phi (``"tanh"``); ``rows`` how M's
    rows are drawn: ``ddm.DenseRows()`` (the default: every neuron sees every coordinate) or
    ``ddm.SparseRows(k=...)`` (each neuron sees k of the d coordinates; README, "Higher-dimensional
    latents")."""

    latent_gain: float = 1.5
    offset_scale: float = 2.5
    nonlinearity: str = field(default="tanh")
    rows: Union[DenseRows, SparseRows] = field(default_factory=DenseRows)

    def __post_init__(self):
        check_rows(self.rows)
        object.__setattr__(self, "latent_gain", check_positive("latent_gain", self.latent_gain))
        object.__setattr__(self, "offset_scale", check_positive("offset_scale", self.offset_scale, allow_zero=True))
        check_choice("nonlinearity", self.nonlinearity, tuple(NONLINEARITIES))
