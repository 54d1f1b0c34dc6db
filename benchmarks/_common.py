"""Shared helpers of the benchmark scripts: timing, the benchmark network, table printing."""

from __future__ import annotations

import time

import jax
import jax.numpy as jnp


def race(fns: dict, *, rounds: int = 5) -> dict:
    """Minimum wall time of each ``fn()`` over ``rounds`` interleaved rounds (one untimed compiling
    run each first): on a shared machine every method then sees the same background load."""
    for fn in fns.values():
        jax.block_until_ready(fn())
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(rounds):
        for name, fn in fns.items():
            t = time.perf_counter()
            jax.block_until_ready(fn())
            best[name] = min(best[name], time.perf_counter() - t)
    return best


def networks(n_neurons: int, *, key):
    """Van der Pol networks of N neurons: the closed-form low-rank fit and the same J stored full."""
    import ddm_explore as ddm

    net, _ = ddm.fit(ddm.systems.van_der_pol(mu=1.0, sigma=0.1), n_neurons, key=key, progress=False)
    full = net.replace(J_full=jnp.asarray(net.J), W=None, connectivity="full")
    return net, full


def print_table(title: str, header: list[str], rows: list[list], note: str = "") -> None:
    print(f"\n## {title}\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(r if isinstance(r, str) else f"{r:.3g}" for r in row) + " |")
    if note:
        print(f"\n{note}")


def device_line() -> str:
    dev = jax.devices()[0]
    return f"JAX {jax.__version__} on {dev.platform}: {getattr(dev, 'device_kind', dev)} x {jax.device_count()}"
