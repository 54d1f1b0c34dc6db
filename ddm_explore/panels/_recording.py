"""The example recording a student retrains from in the Train panel: trajectories of the current
target, simulated in-process with a fixed key (no download), observed every Delta."""

from __future__ import annotations

from dataclasses import dataclass

import jax
import numpy as np

from .._checks import _show, check_int, check_positive
from ..simulation import simulate as _simulate

#: the simulation step of a recording (every observation step is a multiple of it)
RECORDING_DT = 0.005
#: the recording's key is ``fold_in(state key, RECORDING_SEED)``: the same target gives the same
#: recording in every session, whatever the network's seed
RECORDING_SEED = 7919


@dataclass(frozen=True)
class Recording:
    """Which example recording of a target: ``n_trials`` trials of ``t_max`` (tau) each, observed
    every ``delta`` (tau), started uniformly in the target's region.

    Parameters
    ----------
    n_trials : int
        Number of trials (at least 2: the ridge is chosen on held-out trials).
    t_max : float
        Length of each trial, in tau.
    delta : float
        Observation step, in tau: a multiple of :data:`RECORDING_DT` (0.005).

    Examples
    --------
    >>> import jax, ddm_explore as ddm
    >>> from ddm_explore.panels import Recording
    >>> z = Recording(n_trials=4, t_max=2.0).record(ddm.systems.van_der_pol(), key=jax.random.key(0))
    >>> z.dims, z.sizes["time"], round(float(z.time[1] - z.time[0]), 6)
    (('trial', 'time', 'latent'), 101, 0.02)
    """

    n_trials: int = 32
    t_max: float = 100.0
    delta: float = 0.02

    def __post_init__(self):
        check_int("n_trials", self.n_trials, minimum=2)
        t_max = check_positive("t_max", self.t_max)
        delta = check_positive("delta", self.delta)
        steps = delta / RECORDING_DT
        if abs(steps - round(steps)) > 1e-9 * steps:
            raise ValueError(f"`delta` must be a multiple of the simulation step {RECORDING_DT}, got {_show(self.delta)}")
        if t_max < 2 * delta:
            raise ValueError(f"`t_max` must hold at least two observation steps (>= {2 * delta:g}), got {_show(self.t_max)}")
        object.__setattr__(self, "t_max", t_max)
        object.__setattr__(self, "delta", delta)

    @property
    def record_every(self) -> int:
        return int(round(self.delta / RECORDING_DT))

    def record(self, target, *, key):
        """The recording of ``target``: an xarray DataArray (trial, time, latent), time in tau."""
        t_max = RECORDING_DT * self.record_every * int(np.ceil(self.t_max / self.delta - 1e-9))
        ds = _simulate(target, t_max=t_max, dt=RECORDING_DT, n_trials=self.n_trials, key=key,
                       record_every=self.record_every, progress=False)
        z = ds.z
        z.attrs.update(source="example recording", n_trials=self.n_trials, delta=self.delta)
        return z

    def describe(self) -> str:
        """The recording in words: "32 trials of 100 tau, observed every 0.02 tau"."""
        return f"{self.n_trials} trials of {self.t_max:g} tau, observed every {self.delta:g} tau"


def recording_key(key):
    """The fixed key of every example recording drawn from a panel state's key."""
    return jax.random.fold_in(key, RECORDING_SEED)
