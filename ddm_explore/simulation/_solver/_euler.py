"""Euler–Maruyama, the default solver."""

from __future__ import annotations

from dataclasses import dataclass

from ._base import AbstractSolver


@dataclass(frozen=True)
class Euler(AbstractSolver):
    """Euler–Maruyama: ``x' = x + f(x, u) dt + g(x) dW`` (Itô).

    Strong order 1 for additive noise and 1/2 for state-dependent noise, weak order 1, order 1
    on a noise-free system. One drift evaluation per step. The default of
    :func:`ddm_explore.simulate` (``solver="euler"``): its numbers are the package's reference.

    Examples
    --------
    >>> import jax, ddm_explore as ddm
    >>> ds = ddm.simulate(ddm.systems.double_well(), t_max=1.0, dt=0.01, key=jax.random.key(0),
    ...                   solver=ddm.Euler(), progress=False)
    >>> ds.attrs["method"]
    'Euler-Maruyama'
    """

    name = "euler"
    method = "Euler-Maruyama"
    ode_order = 1
    strong_order = (1.0, 0.5)
    weak_order = (1.0, 1.0)

    def step(self, terms, x, dw, zp):
        return x + terms.add_noise(terms.drift(x) * terms.dt, x, dw, zp)
