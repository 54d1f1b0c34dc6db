"""Array type aliases used in signatures and docstrings."""

from __future__ import annotations

from typing import Any, Callable, Union

import jax
import numpy as np

Array = jax.Array
ArrayLike = Union[jax.Array, np.ndarray, float, int, list, tuple]
PRNGKey = jax.Array
#: drift f(z, u) -> (d,)
DriftFn = Callable[[Array, Array], Array]
#: diffusion g(z) -> (d, m)
DiffusionFn = Callable[[Array], Array]
Region = tuple[Any, Any]
