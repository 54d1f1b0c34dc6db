"""Stochastic Heun: the trapezoidal predictor–corrector on the drift, the noise at the step's start."""

from __future__ import annotations

from dataclasses import dataclass

import jax.numpy as jnp

from ._base import AbstractSolver


@dataclass(frozen=True)
class Heun(AbstractSolver):
    """Stochastic Heun (improved Euler) for Itô SDEs with the noise taken at the step's start.

    ``x~ = x + f(x) dt + G dW``, ``x' = x + (f(x) + f(x~)) dt / 2 + G dW`` with ``G dW = g(x) dW``
    (plus the private noise) the same in both stages. For additive noise this is the stochastic
    Heun scheme: strong order 1 with a smaller error constant than Euler–Maruyama's, weak order
    2, order 2 on a noise-free system (measured in ``tests/test_integrators.py``). For
    state-dependent noise the noise term stays Euler–Maruyama's, so the scheme converges to the Itô solution
    (strong 1/2, weak 1); the symmetric variant that averages ``g(x)`` and ``g(x~)`` would
    converge to the Stratonovich solution instead. Two drift evaluations per step.

    Examples
    --------
    >>> import jax, ddm_explore as ddm
    >>> ds = ddm.simulate(ddm.systems.van_der_pol(), t_max=1.0, dt=0.02, key=jax.random.key(0),
    ...                   solver="heun", progress=False)
    >>> ds.attrs["method"]
    'Heun'
    """

    name = "heun"
    method = "Heun"
    ode_order = 2
    strong_order = (1.0, 0.5)
    weak_order = (2.0, 1.0)

    def step(self, terms, x, dw, zp):
        f0 = terms.drift(x)
        noise = terms.add_noise(jnp.zeros_like(x), x, dw, zp)  # one noise increment for both stages
        predictor = x + (f0 * terms.dt + noise)
        return x + (0.5 * (f0 + terms.drift(predictor)) * terms.dt + noise)
