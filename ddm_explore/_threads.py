"""One BLAS thread for numpy/scipy linear algebra inside library calls.

These products and factorisations are small (hundreds of rows), and a multithreaded BLAS
competing with JAX's own threads, or with other processes, for 2 cores ran 10-100x slower in our
measurements (a 256 x 256 eigendecomposition: 3 s instead of 0.07 s on a busy machine). The limit
holds only for the duration of the call and is restored afterwards.
"""

from __future__ import annotations

import functools

from threadpoolctl import threadpool_limits


def one_blas_thread(fn):
    """Decorator: run ``fn`` with numpy/scipy BLAS limited to one thread."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with threadpool_limits(limits=1, user_api="blas"):
            return fn(*args, **kwargs)

    return wrapper
