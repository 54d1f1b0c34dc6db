"""Fixed-step maps of a deterministic flow, shared by everything that integrates a drift outside
the simulation kernel (Lyapunov exponents, the linear response of noise-aware matching)."""

from __future__ import annotations


def euler_step(f, x, dt):
    """``x + dt f(x)``."""
    return x + dt * f(x)


def rk4_step(f, x, dt):
    """One classical fourth-order Runge–Kutta step of ``dx/dt = f(x)``."""
    k1 = f(x)
    k2 = f(x + 0.5 * dt * k1)
    k3 = f(x + 0.5 * dt * k2)
    k4 = f(x + dt * k3)
    return x + dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
