"""What every simulable system answers: a target SDE and a rate network share one batched interface.

A *system* has a latent state z in R^d (user coordinates) and a state x that is integrated: z itself
for an SDE, the N neuron states for a network. Everything written once for "a system" (simulation,
fields on a grid, fixed points, Lyapunov exponents, irreversibility) uses only these calls:

- ``latent_drift(z, u=None)`` (..., d), ``noise_loading(z)`` (..., d, m), ``latent_diffusion(z)``
  (..., d, d): the latent SDE, batched over leading axes;
- ``initial_state(z)``, ``state_drift(x, u)``, ``state_noise(x, dw)``, ``readout(x)``: the state
  that is integrated and how it maps to z;
- sizes ``dim``, ``noise_dim``, ``input_dim``, ``state_dim``; ``region`` (None for an SDE built
  without one: ``require_region`` gives the error that says what to pass); ``constant_diffusion``;
  ``private_noise`` (per-state-coordinate noise, 0 for an SDE); ``leak_rate`` (a rate the
  integrator must resolve whatever the latent drift, 1 for a network's neurons);
  ``has_neurons``; ``time_scale``; ``describe()`` (attrs for results).

Where the two really differ (a network integrates N neurons), the difference lives in these
methods, not in type checks spread over the package.
"""

from __future__ import annotations

import jax.numpy as jnp

from ._checks import _show


class System:
    """Base of :class:`~ddm_explore.SDE` and :class:`~ddm_explore.Network` (see the module text)."""

    has_neurons: bool = False
    leak_rate: float = 0.0

    def latent_diffusion(self, z):
        """``D(z) = g g^T / 2``, shape (..., d, d)."""
        g = self.noise_loading(z)
        return 0.5 * g @ jnp.swapaxes(g, -1, -2)

    def fused_noise_columns(self):
        """The constant (state_dim, m) noise loading to add as broadcast multiply-adds in the
        simulation step, or None (then ``state_noise`` is called)."""
        return None


def require_region(system, purpose: str, instead: str):
    """The system's region (low, high), or, when it has none (``ddm.SDE(..., region=None)``), a
    ValueError naming ``region``, saying what needed it and what to pass instead.

    Examples
    --------
    >>> import ddm_explore as ddm
    >>> from ddm_explore._system import require_region
    >>> sde = ddm.SDE(drift=lambda z: -z, dim=1)
    >>> require_region(sde, "fit's default sampler", "sampler=ddm.occupation(points)")
    Traceback (most recent call last):
    ...
    ValueError: `region` is None for SDE 'SDE', and fit's default sampler needs one: pass sampler=ddm.occupation(points), or region=(low, high) to ddm.SDE
    """
    region = getattr(system, "region", None)
    if region is None:
        raise ValueError(f"`region` is None for {type(system).__name__} {getattr(system, 'name', '')!r}, and {purpose} "
                         f"needs one: pass {instead}, or region=(low, high) to ddm.SDE")
    return region


def check_system(name: str, value) -> System:
    """An SDE or a fitted Network, else a ValueError naming the argument."""
    if not isinstance(value, System):
        raise ValueError(f"`{name}` must be a ddm.SDE or a fitted Network, got {_show(value)}")
    return value


def check_network(name: str, value) -> System:
    """A fitted Network, else a ValueError naming the argument."""
    if not isinstance(value, System) or not value.has_neurons:
        raise ValueError(f"`{name}` must be a fitted Network, got {_show(value)}")
    return value


def is_sde(value) -> bool:
    """True for a target SDE (a system without neurons)."""
    return isinstance(value, System) and not value.has_neurons


def check_sde(name: str, value) -> System:
    """A target SDE, else a ValueError naming the argument."""
    if not is_sde(value):
        raise ValueError(f"`{name}` must be a ddm.SDE (e.g. ddm.systems.van_der_pol()), got {_show(value)}")
    return value
