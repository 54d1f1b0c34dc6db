"""Numerical honesty: numbers that carry the sample they came from, and warnings for short samples."""

from __future__ import annotations

import warnings


class SampleSizeWarning(UserWarning):
    """An estimate came from a sample too short (or a grid too coarse) for its usual precision."""


class Estimate(float):
    """A float measured from samples, with the sample size and settings in ``.attrs``.

    It behaves as a plain float everywhere (arithmetic returns plain floats); ``.attrs`` says what
    it came from (numbers of points, trials, bins, segments...).

    Examples
    --------
    >>> x = Estimate(0.25, n_points=1000, bins=30)
    >>> x + 1, x.attrs["n_points"]
    (1.25, 1000)
    """

    def __new__(cls, value, **attrs):
        obj = super().__new__(cls, value)
        obj.attrs = attrs
        return obj

    def __repr__(self) -> str:
        return float.__repr__(self)

    def __reduce__(self):
        return (_rebuild, (float(self), self.attrs))


def _rebuild(value, attrs):
    return Estimate(value, **attrs)


def warn_sample(what: str, message: str, stacklevel: int = 3):
    """Issue a :class:`SampleSizeWarning` for the estimator ``what``."""
    warnings.warn(f"{what}: {message}", SampleSizeWarning, stacklevel=stacklevel)


class PrivateNoiseWarning(UserWarning):
    """A network is too small for the private noise it runs with: part of the target's diffusion
    cannot be matched (the noise the private noise induces in the latent space exceeds it)."""


class LatentEquationWarning(UserWarning):
    """A network's latent equation on its manifold (``net.latent_drift``, ``net.latent_diffusion``)
    was analysed where it is not the dynamics of the network that runs: full or symmetric
    connectivity (an off-manifold drift), private noise (the state leaves the manifold), or a bias or
    input off the manifold. Certify such a network by simulating all N neurons (METHOD.md section 8)."""
