"""One BLAS thread for numpy/scipy linear algebra inside library calls, and a fixed split of
the closed form's one large product over the machine's cores.

These products and factorisations are small (hundreds of rows), and a multithreaded BLAS
competing with JAX's own threads, or with other processes, for few cores spin-waits and runs far
slower than one thread (README, "Performance and scale", has the measurements). The limit
holds only for the duration of the call and is restored afterwards. Where one product dominates
(the Gram matrix of the closed-form fit), :func:`gram` computes it as a sum over a fixed number of
row blocks on a small thread pool: single-threaded BLAS calls never spin-wait for each other, so a
busy machine only time-shares them, and the result does not depend on the number of cores.
"""

from __future__ import annotations

import functools
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from threadpoolctl import ThreadpoolController

#: row blocks of the Gram matrix (fixed, so the sum's order and result never depend on the machine)
GRAM_BLOCKS = 2


@functools.lru_cache(maxsize=1)
def _controller():
    return ThreadpoolController()  # finding the BLAS libraries is slow: once per process


@functools.lru_cache(maxsize=1)
def _pool():
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return ThreadPoolExecutor(max_workers=max(1, min(GRAM_BLOCKS, cores)), thread_name_prefix="ddm-gram")


def one_blas_thread(fn):
    """Decorator: run ``fn`` with numpy/scipy BLAS limited to one thread."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with _controller().limit(limits=1, user_api="blas"):
            return fn(*args, **kwargs)

    return wrapper


def gram(X: np.ndarray) -> np.ndarray:
    """``X^T X`` for a tall float64 matrix X (n, p), summed over ``GRAM_BLOCKS`` row blocks that
    run concurrently (one BLAS thread each). Deterministic: the same blocks and the same order of
    summation on every machine.

    >>> X = np.arange(12.0).reshape(6, 2)
    >>> bool(np.allclose(gram(X), X.T @ X))
    True
    """
    X = np.asarray(X, np.float64)
    return gram_of_rows(X.shape[0], lambda a, b: X[a:b])


def gram_of_rows(n_rows: int, rows) -> np.ndarray:
    """``X^T X`` where ``rows(a, b)`` returns rows a..b of X as a float64 array: each block is built
    and multiplied in its own worker thread, so the building is spread over the cores too."""
    bounds = np.linspace(0, n_rows, GRAM_BLOCKS + 1).round().astype(int)

    def block(ab):
        B = np.ascontiguousarray(rows(*ab), np.float64)
        return B.T @ B

    parts = list(_pool().map(block, zip(bounds[:-1], bounds[1:])))
    out = parts[0]
    for p in parts[1:]:
        out += p
    return out
