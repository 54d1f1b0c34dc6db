"""Per-step standard normals from Threefry-2x32 counters, generated inside the Euler–Maruyama
step (private per-neuron noise, and the latent noise of a block of steps).

``jax.random.normal`` draws one key per block and lays out its counters over the whole block; on
the CPU that costs more than the N x N matmul of the step (README, "Performance and scale"). Here the steps hash their own counters: the Threefry-2x32 block cipher with
20 rounds (the generator behind ``jax.random``, Salmon et al. 2011), keyed by two words of the
simulation key, applied to the counter pair ``(i, j)``, ``i`` the position in the step's
(trials x neurons) array and ``j`` a step or pair-of-steps index. Two transforms of the cipher's
output words:

* :func:`counter_normal_pair`: Box–Muller, two normals from the two words of one counter (radius
  ``sqrt(-2 log u)`` from the first, angle from the second; one log, one sqrt and short
  polynomials, no library calls; |z| <= 5.77). The simulator gives them to two consecutive steps
  and carries the second inside a complex64 state, so each counter is hashed once.
* :func:`counter_normals`: one step's array, the two words filling its two halves, each through
  ``sqrt(2) erfinv(u)`` of a 23-bit uniform ``u`` in (-1, 1) (|z| <= 5.3, as with float32
  ``jax.random.normal``). It serves the latent noise and an odd number of steps per block.

Both are exact transforms of uniforms; the functions that evaluate them are checked on every one
of their 2^23 inputs in the tests (relative error of the radius below 4e-7, of sine and cosine
below 3e-7). Counters never repeat within a run (fewer than 2^32 steps, fewer than 2^32 numbers
per step), so every number is an independent draw.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))
_PARITY = np.uint32(0x1BD11BDA)


def _rotl(x, r):
    return (x << np.uint32(r)) | (x >> np.uint32(32 - r))


def threefry2x32(k0, k1, x0, x1):
    """Threefry-2x32 with 20 rounds: the block cipher of ``jax.random``'s default generator.

    >>> import numpy as np, jax
    >>> from jax.extend.random import threefry_2x32
    >>> k = np.array([1, 2], np.uint32); x = np.arange(8, dtype=np.uint32)
    >>> a, b = threefry2x32(k[0], k[1], x[:4], x[4:])
    >>> bool((np.concatenate([a, b]) == np.asarray(threefry_2x32(k, x))).all())
    True
    """
    ks = (k0, k1, k0 ^ k1 ^ _PARITY)
    x0, x1 = x0 + ks[0], x1 + ks[1]
    for i in range(5):
        for r in _ROTATIONS[i % 2]:
            x0 = x0 + x1
            x1 = _rotl(x1, r) ^ x0
        x0 = x0 + ks[(i + 1) % 3]
        x1 = x1 + ks[(i + 2) % 3] + np.uint32(i + 1)
    return x0, x1


def key_words(key):
    """The two uint32 words of a PRNG key (threefry keys; other implementations are folded)."""
    data = jax.random.key_data(key).reshape(-1).astype(jnp.uint32)
    if data.shape[0] == 2:
        return data[0], data[1]
    return data[0] ^ data[2], data[1] ^ data[3]


def _to_normal(bits):
    # 23 bits: k + 1/2 and (k + 1/2) 2^-22 - 1 are exact in float32, so u lies in [-1 + 2^-23, 1 - 2^-23]
    u = ((bits >> np.uint32(9)).astype(jnp.float32) + 0.5) * np.float32(2.0**-22) - 1.0
    return np.float32(np.sqrt(2.0)) * jax.lax.erf_inv(u)


# Cephes' minimax polynomials: log(1 + f) on [sqrt(1/2) - 1, sqrt(2) - 1], sin and cos on [-pi/4, pi/4]
_LOG1P = (7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1,
          -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1)
_SIN = (-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1)
_COS = (2.443315711809948e-5, -1.388731625493765e-3, 4.166664568298827e-2)


def _horner(x, coefficients):
    p = np.float32(coefficients[0])
    for c in coefficients[1:]:
        p = p * x + np.float32(c)
    return p


def _neg_log(t):
    """-log(t) for normal positive float32 ``t``: exponent from the bits, mantissa moved into
    [sqrt(1/2), sqrt(2)) and a degree-10 polynomial (no library call, so it vectorises)."""
    bits = jax.lax.bitcast_convert_type(t, jnp.int32)
    e = (bits - np.int32(0x3F3504F3)) >> 23  # 0x3F3504F3: the bits of sqrt(1/2)
    f = jax.lax.bitcast_convert_type(bits - (e << 23), jnp.float32) - 1.0
    z = f * f
    return -(f * z * _horner(f, _LOG1P) - 0.5 * z + f + e.astype(jnp.float32) * np.float32(np.log(2.0)))


def _radius(a):
    """Box–Muller radius sqrt(-2 log u), u = (k + 1/2) 2^-23 from the top 23 bits k of ``a``."""
    u = ((a >> np.uint32(9)).astype(jnp.float32) + 0.5) * np.float32(2.0**-23)
    return jnp.sqrt(2.0 * _neg_log(u))


def _cos_sin(b):
    """(cos, sin) of a uniform angle from the top 23 bits of ``b``: 2 bits pick the quarter turn
    q, 21 bits the angle phi in (-pi/4, pi/4) within it (theta = q pi/2 + phi, uniform on the
    circle), evaluated by polynomials."""
    k = b >> np.uint32(9)
    q = k >> np.uint32(21)
    phi = ((k & np.uint32(0x1FFFFF)).astype(jnp.float32) + 0.5) * np.float32(np.pi / 2 * 2.0**-21) - np.float32(np.pi / 4)
    z = phi * phi
    s = phi + phi * z * _horner(z, _SIN)
    c = 1.0 - 0.5 * z + z * z * _horner(z, _COS)
    odd = (q & np.uint32(1)) == 1  # (cos, sin) of theta: q = 0 (c, s), 1 (-s, c), 2 (-c, -s), 3 (s, -c)
    cos_t, sin_t = jnp.where(odd, s, c), jnp.where(odd, c, s)
    return jnp.where((q == 1) | (q == 2), -cos_t, cos_t), jnp.where(q >= 2, -sin_t, sin_t)


def counter_normal_pair(k0, k1, pair, shape):
    """Two independent arrays of standard normals of ``shape``: Threefry-2x32 of the counters
    ``(i, pair)``, i the flat position, and the Box–Muller transform of its two output words
    (radius from the first, angle from the second: one log, one sqrt and two short polynomials
    per two numbers; |z| <= 5.77). The simulator carries the second array to the next step inside
    a complex64 state (``_simulate.py``), so the cipher and the log run once per pair of numbers.

    >>> import jax, jax.numpy as jnp
    >>> k0, k1 = key_words(jax.random.key(0))
    >>> za, zb = counter_normal_pair(k0, k1, jnp.uint32(3), (4, 5))
    >>> za.shape, zb.dtype
    ((4, 5), dtype('float32'))
    """
    n = int(np.prod(shape))
    i = jax.lax.iota(jnp.uint32, n).reshape(shape)
    a, b = threefry2x32(k0, k1, i, jnp.broadcast_to(jnp.asarray(pair, jnp.uint32), shape))
    r = _radius(a)
    cos_t, sin_t = _cos_sin(b)
    return r * cos_t, r * sin_t


def counter_normals(k0, k1, step, shape):
    """Standard normals of ``shape`` for one step: Threefry-2x32 of the counters ``(i, step)``.

    >>> import jax, jax.numpy as jnp
    >>> k0, k1 = key_words(jax.random.key(0))
    >>> z = counter_normals(k0, k1, jnp.uint32(3), (4, 5))
    >>> z.shape, z.dtype
    ((4, 5), dtype('float32'))
    """
    rows, cols = (int(np.prod(shape[:-1])), shape[-1]) if len(shape) else (1, 1)
    half = (rows + 1) // 2  # the two output words of a counter fill the two halves of the rows
    i = jax.lax.iota(jnp.uint32, half * cols).reshape(half, cols)
    a, b = threefry2x32(k0, k1, i, jnp.broadcast_to(jnp.asarray(step, jnp.uint32), (half, cols)))
    return _to_normal(jnp.concatenate([a, b], axis=0)[:rows]).reshape(shape)
