"""What a solver's step sees of a system: the drift at the step's input and the noise increment.

The kernel (``_simulate.py``) and the path-driven integrator (``_path.py``) build these terms
once per step; a solver (``_euler.py``, ``_heun.py``, ``_milstein.py``) combines them into one
step and never touches the loop, the recording or the noise stream.
"""

from __future__ import annotations

from typing import Callable, NamedTuple


class StepTerms(NamedTuple):
    """The pieces of one step ``x -> x'`` of ``dx = f(x, u) dt + g(x) dW + s dW_private``.

    ``drift(x)``: ``f(x, u)`` with the input held at its value at the step's start (a
    piecewise-constant input switches on step boundaries, so this is exact for it).
    ``add_noise(acc, x, dw, zp)``: ``acc + g(x) dw + s_dt zp``, the latent increments dw (n, m)
    and the private normals zp (n, state_dim) added in the kernel's order (its rounding is
    part of Euler–Maruyama's numbers). ``noise(x, dw)``: ``g(x) dw`` alone, differentiable in x
    (Milstein's correction). ``dt``: the step. ``noise_dim``: m. ``state_dependent``: g depends
    on x. ``deterministic``: no noise at all (dw, zp are not used).
    """

    drift: Callable
    add_noise: Callable
    noise: Callable
    dt: object
    noise_dim: int
    state_dependent: bool
    deterministic: bool


def step_terms(system, u, dt, *, fused, private_scale, deterministic: bool) -> StepTerms:
    """The terms of a step of ``system`` at input u (n, k).

    ``fused``: the constant (state_dim, m) loading to add column by column (few channels), or
    None (then ``system.state_noise``). ``private_scale``: the factor of the private normals
    (``s sqrt(dt)`` for standard normals, ``s`` for increments), or None without private noise.
    """
    m = system.noise_dim

    def drift(x):
        return system.state_drift(x, u)

    def add_noise(acc, x, dw, zp):
        if fused is not None:
            for c in range(m):
                acc = acc + dw[:, c:c + 1] * fused[:, c]
        elif not deterministic:
            acc = acc + system.state_noise(x, dw)
        if private_scale is not None:
            acc = acc + private_scale * zp
        return acc

    return StepTerms(drift=drift, add_noise=add_noise, noise=system.state_noise, dt=dt, noise_dim=m,
                     state_dependent=not system.constant_diffusion, deterministic=bool(deterministic))
