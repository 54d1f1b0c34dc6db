"""The earlier keyword spellings of ``fit`` (``method="adam", steps=500, ...``), translated to the
method objects of :mod:`._solvers`; the errors they gave are kept, naming the new form."""

from __future__ import annotations

import optax

from .._checks import _show, check_choice, check_positive
from ._solvers import SOLVERS, ClosedForm, Embedding, Optax, Preconditioned, RandomStart, WarmStart, default_solver

METHODS = ("lstsq", "adam", "preconditioned")
INITS = ("lstsq", "random")
SOLVER_KEYWORDS = ("method", "ridge", "optimizer", "lambda_D", "lambda_inv", "l2", "steps", "batch_size", "init",
                   "init_gain", "precondition")
EMBEDDING_KEYWORDS = ("latent_gain", "offset_scale")


def resolve_options(connectivity: str, solver, embedding, legacy: dict):
    """The solver and embedding objects from ``fit``'s arguments, old keywords included."""
    unknown = sorted(set(legacy) - set(SOLVER_KEYWORDS) - set(EMBEDDING_KEYWORDS))
    if unknown:
        raise TypeError(f"fit() got unexpected keyword arguments {unknown}")
    old_solver = {k: v for k, v in legacy.items() if k in SOLVER_KEYWORDS}
    old_embedding = {k: v for k, v in legacy.items() if k in EMBEDDING_KEYWORDS}
    if solver is not None and old_solver:
        raise ValueError(f"pass the method's settings inside `solver` (e.g. solver=ddm.Optax(steps=500)), not as the "
                         f"keywords {sorted(old_solver)} beside solver={_show(solver)}")
    if embedding is not None and old_embedding:
        raise ValueError(f"pass {sorted(old_embedding)} inside `embedding` (ddm.Embedding(latent_gain=..., offset_scale=...)), "
                         f"not beside it")
    if solver is None:
        solver = _solver_from_keywords(connectivity, **old_solver) if old_solver else default_solver(connectivity)
    if not isinstance(solver, SOLVERS):
        raise ValueError(f"`solver` must be ddm.ClosedForm(...), ddm.Optax(...) or ddm.Preconditioned(...), got {_show(solver)}")
    if isinstance(solver, ClosedForm) and connectivity != "low_rank":
        raise ValueError(f"`solver`=ClosedForm() (method='lstsq') is the closed form for connectivity='low_rank' only; use "
                         f"solver=ddm.Optax() or ddm.Preconditioned() for connectivity={connectivity!r}")
    embedding = Embedding(**old_embedding) if embedding is None else embedding
    if not isinstance(embedding, Embedding):
        raise ValueError(f"`embedding` must be ddm.Embedding(...), got {_show(embedding)}")
    return solver, embedding


def _solver_from_keywords(connectivity, *, method=None, ridge=1e-9, optimizer=None, lambda_D=1.0, lambda_inv=1.0,
                          l2=0.0, steps=None, batch_size=512, init=None, init_gain=None, precondition=None):
    """The old keywords as a solver object, with the old keywords' errors."""
    method = ("lstsq" if connectivity == "low_rank" else "adam") if method is None else method
    check_choice("method", method, METHODS)
    if method == "lstsq" and connectivity != "low_rank":
        raise ValueError(f"`method`='lstsq' is the closed form for connectivity='low_rank' only; use method='adam' "
                         f"(solver=ddm.Optax()) for connectivity={connectivity!r}")
    ridge = check_positive("ridge", ridge, allow_zero=True)
    if optimizer is not None and method != "adam":
        raise ValueError(f"`optimizer` is used by method='adam' only; got method={method!r} (new form: solver=ddm.Optax(optimizer=...))")
    if precondition is not None and not isinstance(precondition, bool):
        raise ValueError(f"`precondition` must be True or False, got {precondition!r}")
    if precondition and method == "lstsq":
        raise ValueError("`precondition` applies to the optax routes (method='adam' or 'preconditioned'), not to method='lstsq' "
                         "(new form: solver=ddm.Optax(precondition=True) or ddm.Preconditioned())")
    if method == "lstsq":
        return ClosedForm(ridge=ridge)
    if init is None:
        init = "random" if connectivity == "symmetric" else "lstsq"
    check_choice("init", init, INITS)
    start = WarmStart(ridge=ridge, bulk=init_gain) if init == "lstsq" else RandomStart(bulk=init_gain)
    weights = dict(lambda_D=lambda_D, lambda_inv=lambda_inv, l2=l2)
    if method == "preconditioned":
        return Preconditioned(steps=100 if steps is None else steps, init=start, precondition=precondition is not False,
                              **weights)
    if optimizer is not None and not isinstance(optimizer, optax.GradientTransformation):
        raise ValueError(f"`optimizer` must be an optax transformation such as optax.adam(1e-3), got {type(optimizer).__name__}")
    return Optax(optimizer=optimizer, steps=2000 if steps is None else steps, batch_size=batch_size,
                 precondition=bool(precondition), init=start, **weights)

