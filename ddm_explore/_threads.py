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


#: columns per chunk of the streamed Gram matrix: each chunk's product goes straight into the one
#: accumulator (its temporary is width x GRAM_CHUNK, 64 MiB at width 16384)
GRAM_CHUNK = 512


def _chunk_plan(width: int, tasks: int, chunk: int):
    """The column chunks [a, b) of the upper triangle, dealt to ``tasks`` workers by their cost
    (rows 0..b of the chunk's columns: b (b - a)), largest first, each to the least loaded worker."""
    plan, load = [[] for _ in range(tasks)], [0] * tasks
    for a in sorted(range(0, width, chunk), key=lambda a: -min(a + chunk, width)):
        b = min(a + chunk, width)
        i = load.index(min(load))
        plan[i].append((a, b))
        load[i] += b * (b - a)
    return plan


def streamed_gram(n_rows: int, rows, width: int, *, block_rows: int, float32: bool = False) -> np.ndarray:
    """``X^T X`` (width, width) float64 for a tall X that is never held whole: ``rows(a, b)`` returns
    rows a..b (float64, or float32 with ``float32``), built block by block of ``block_rows`` rows.

    One float64 accumulator and nothing else of its size: its upper triangle is cut into column
    chunks of ``GRAM_CHUNK`` that ``GRAM_BLOCKS`` workers share out (one BLAS thread each); for
    every block of rows each worker adds its chunks' products ``X[:, :b]^T X[:, a:b]`` in place.
    Every entry is the sum of the blocks' products in block order, so the result does not depend
    on the number of workers or cores. With ``float32`` each block's product is formed in float32
    (twice the speed of float64 on AVX2) and added to the float64 accumulator: the float32
    rounding then stays within one block.

    >>> X = np.arange(30.0).reshape(10, 3)
    >>> bool(np.allclose(streamed_gram(10, lambda a, b: X[a:b], 3, block_rows=4), X.T @ X))
    True
    """
    G = np.zeros((width, width), order="F")
    plan = [p for p in _chunk_plan(width, GRAM_BLOCKS, GRAM_CHUNK) if p]
    dtype = np.float32 if float32 else np.float64

    def task(chunks, B):
        for a, b in chunks:
            G[:b, a:b] += B[:, :b].T @ B[:, a:b]

    for a in range(0, n_rows, block_rows):
        B = np.ascontiguousarray(rows(a, min(a + block_rows, n_rows)), dtype)
        for _ in _pool().map(task, plan, [B] * len(plan)):
            pass
        del B
    return symmetrise_upper(G)


def symmetrise_upper(G: np.ndarray, block: int = 512, *, source: str = "upper") -> np.ndarray:
    """G (p, p) with its strict lower triangle overwritten by the upper one (``source="lower"``: the
    upper by the lower), in place, a band at a time (no p x p temporary); returns G as a
    C-ordered view when G is Fortran-ordered."""
    p = G.shape[0]
    M = G if source == "upper" else G.T  # the transpose's upper triangle is G's lower one
    for a in range(0, p, block):
        b = min(a + block, p)
        M[a:b, :a] = M[:a, a:b].T
        tri = M[a:b, a:b]
        tri[np.tril_indices(b - a, -1)] = tri.T[np.tril_indices(b - a, -1)]
    return G.T if G.flags.f_contiguous and not G.flags.c_contiguous else G
