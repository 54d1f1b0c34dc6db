"""The state the panels share: the target system, its parameters and the fitted network."""

from __future__ import annotations

import dataclasses
import warnings
from typing import NamedTuple

import jax
import jax.numpy as jnp

from .. import systems as _systems
from .._estimates import PrivateNoiseWarning, SampleSizeWarning
from ..matching import FromData as _FromData
from ..matching import fit as _fit
from ..matching._solvers import default_solver as _default_solver
from ._recording import Recording, recording_key

#: the systems a panel offers: factory name -> slider specs {param: (min, max, step, default)}
#: and simulation settings for sample paths (dt, t_max, record_every; t_max a multiple of dt)
SYSTEMS = {
    "van_der_pol": dict(params=dict(mu=(0.2, 3.0, 0.1, 1.0), sigma=(0.0, 0.5, 0.02, 0.1)),
                        sim=dict(dt=0.01, t_max=30.0, record_every=5)),
    "double_well": dict(params=dict(s=(0.02, 0.3, 0.01, 0.1)), sim=dict(dt=0.01, t_max=100.0, record_every=20)),
    "ornstein_uhlenbeck": dict(params=dict(w=(0.0, 3.0, 0.1, 1.0), s=(0.1, 2.0, 0.1, 1.0)),
                               sim=dict(dt=0.01, t_max=30.0, record_every=5)),
    "stuart_landau": dict(params=dict(mu=(-1.0, 2.0, 0.1, 1.0), omega=(0.0, 3.0, 0.1, 1.0), sigma=(0.0, 0.5, 0.02, 0.1)),
                          sim=dict(dt=0.01, t_max=30.0, record_every=5)),
    "ring_wells": dict(params=dict(c=(0.0, 2.0, 0.1, 0.0), D=(0.02, 0.3, 0.01, 0.1), h=(0.0, 1.0, 0.05, 0.3)),
                       sim=dict(dt=0.01, t_max=100.0, record_every=20)),
    "lorenz63": dict(params=dict(rho=(10.0, 40.0, 1.0, 28.0), noise=(0.0, 2.0, 0.1, 0.0)),
                     sim=dict(dt=0.01, t_max=100.0, record_every=5)),
}



class Fitted(NamedTuple):
    """A network fitted by :meth:`PanelState.fit_network`: the network, its report, the target it
    was fitted to, that target's (system, params), the fit's keywords and the example recording it
    was fitted to (None: fitted to the target's formulas) with the fit's sample-size notes ("" if none)."""

    net: object
    report: object
    target: object
    fitted_to: tuple
    settings: dict
    recording: object = None
    notes: str = ""


#: example recordings kept per state (each 32 trials x 100 tau x d floats: a few MB)
RECORDINGS_KEPT = 4


def available_systems() -> list[str]:
    """The names in :data:`SYSTEMS` that this version of ``ddm.systems`` provides."""
    return [name for name in SYSTEMS if hasattr(_systems, name)]


class PanelState:
    """One target, its parameters and the network fitted to it, shared by the panels.

    Panels register callbacks with :meth:`observe`; :meth:`set_target` and :meth:`retrain` call
    them, so a change made in one panel reaches the others. A failed change raises and leaves
    the state as it was.

    Parameters
    ----------
    system : str
        A name in :data:`SYSTEMS` (a factory of ``ddm.systems``).
    key : PRNG key, optional
        Key of the fits and simulations (default ``jax.random.key(0)``).
    **params
        Parameters of the system (default: the slider defaults).

    Examples
    --------
    >>> from ddm_explore.panels import PanelState
    >>> state = PanelState("van_der_pol", mu=1.5)
    >>> state.target.params["mu"], state.net is None
    (1.5, True)
    """

    def __init__(self, system: str = "van_der_pol", *, key=None, **params):
        self.key = jax.random.key(0) if key is None else key
        self.net = None
        self.report = None
        self.net_params = None  # the (system, params) the network was fitted to
        self.fit_settings = None  # the keywords of the last retrain (n_neurons, seed, fit_kw)
        self.fit_recording = None  # the Recording the network was fitted to (None: the formulas)
        self.fit_notes = ""  # the last fit's sample-size notes
        self._recordings = {}  # (system, params, Recording) -> the example recording (DataArray)
        self._fit_target = None  # the target of the last retrain
        self._noise_fits = {}  # private noise s -> (net, report, notes): fits for s with the last settings
        self._observers = {"target": [], "network": []}
        self.system, self.params, self.target = None, {}, None
        self.set_target(system, **params)

    # ------------------------------------------------------------------------------------------
    def observe(self, callback, what: str = "target"):
        """Call ``callback(state)`` after each change of ``what`` ("target" or "network")."""
        if what not in self._observers:
            raise ValueError(f"`what` must be 'target' or 'network', got {what!r}")
        self._observers[what].append(callback)

    def _notify(self, what):
        for cb in list(self._observers[what]):
            cb(self)

    def set_target(self, system: str | None = None, **params):
        """Build ``ddm.systems.<system>(**params)`` and make it the target (unchanged on error)."""
        system = self.system if system is None else system
        if system not in available_systems():
            raise ValueError(f"`system` must be one of {available_systems()}, got {system!r}")
        if system != self.system:
            full = {p: spec[3] for p, spec in SYSTEMS[system]["params"].items()}
        else:
            full = dict(self.params)
        full.update(params)
        # a new SDE for new values reuses every compiled program (its parameters are traced)
        target = getattr(_systems, system)(**full)
        self.system, self.params, self.target = system, full, target
        self._notify("target")
        return target

    @property
    def sim(self) -> dict:
        """Simulation settings (dt, t_max, record_every) for sample paths of the current system."""
        return dict(SYSTEMS[self.system]["sim"])

    @property
    def network_is_current(self) -> bool:
        """True when the network was fitted to the current target and parameters."""
        return self.net is not None and self.net_params == (self.system, self.params)

    def retrain(self, n_neurons: int = 256, *, seed: int = 0, progress: bool = False, recording: Recording | None = None,
                **fit_kw):
        """``ddm.fit`` the current target (key: ``fold_in(key, seed)``), or its example ``recording``;
        store and announce the network and its report (:meth:`fit_network`, then :meth:`set_network`)."""
        fitted = self.fit_network(n_neurons, seed=seed, progress=progress, recording=recording, **fit_kw)
        self.set_network(fitted)
        return fitted.net, fitted.report

    def recording(self, recording: Recording):
        """The example recording of the current target (:class:`Recording`): simulated with a key
        fixed by the state's key, so the same target and settings give the same data; kept for the
        last few targets.

        Examples
        --------
        >>> from ddm_explore.panels import PanelState, Recording
        >>> state = PanelState("double_well")
        >>> z = state.recording(Recording(n_trials=8, t_max=10.0))
        >>> z.sizes["trial"], z is state.recording(Recording(n_trials=8, t_max=10.0))
        (8, True)
        """
        if not isinstance(recording, Recording):
            raise TypeError(f"`recording` must be a ddm_explore.panels.Recording, got {type(recording).__name__}")
        tag = (self.system, tuple(sorted(self.params.items())), recording)
        if tag not in self._recordings:
            while len(self._recordings) >= RECORDINGS_KEPT:
                self._recordings.pop(next(iter(self._recordings)))
            self._recordings[tag] = recording.record(self.target, key=recording_key(self.key))
        return self._recordings[tag]

    def fit_network(self, n_neurons: int = 256, *, seed: int = 0, progress: bool = False,
                    recording: Recording | None = None, **fit_kw) -> "Fitted":
        """``ddm.fit`` the current target (key: ``fold_in(key, seed)``) without storing or announcing
        it: a panel runs the fit inside its progress area and announces it outside (the other
        panels' redraws then write nothing into that area).

        With ``recording`` the network learns from the target's example recording instead of its
        formulas (``ddm.fit(data, N, solver=ddm.FromData(...))``, the ridge chosen on held-out
        trials); the formulas only score it (``truth``: the report's eps_f and eps_D on the data's
        states). ``fit_kw`` then takes ``connectivity``, ``noise`` and ``steps``.
        """
        key = jax.random.fold_in(self.key, seed)
        target, system, params = self.target, self.system, dict(self.params)
        notes = ""
        if recording is None:
            net, report = _fit(target, n_neurons, key=key, progress=progress, **fit_kw)
        else:
            data = self.recording(recording)
            with warnings.catch_warnings(record=True) as caught:  # said by the panel, not printed
                warnings.simplefilter("always", SampleSizeWarning)
                net, report = _fit_recording(data, target, n_neurons, key, progress, **fit_kw)
            notes = _notes(caught, SampleSizeWarning)
        return Fitted(net, report, target, (system, params), dict(n_neurons=n_neurons, seed=seed, **fit_kw), recording,
                      notes)

    def set_network(self, fitted: "Fitted"):
        """Make a :meth:`fit_network` result the shared network and announce it."""
        self.net, self.report, self.net_params = fitted.net, fitted.report, fitted.fitted_to
        self.fit_settings, self.fit_recording, self.fit_notes = dict(fitted.settings), fitted.recording, fitted.notes
        self._fit_target, self._noise_fits = fitted.target, {}
        self._notify("network")

    def network_with_private_noise(self, s: float, *, fitted: bool):
        """The shared network as it runs with private per-neuron noise ``s`` (METHOD.md section 8).

        ``fitted=False``: the network of the last :meth:`retrain`, run with noise s
        (``net.replace(private_noise=s)``). ``fitted=True``: a network fitted for that noise,
        ``ddm.fit(..., private_noise=s)`` with the same target, settings and key as the last
        retrain; one fit per distinct s, cached until the next retrain (at s = 0 both are the
        shared network). Announces nothing.

        Returns
        -------
        net : Network
            With ``net.private_noise == s``.
        report : xarray.Dataset
            Its fit report (``unmatched_diffusion`` for a fit with s > 0).
        notes : str
            The fit's :class:`ddm_explore._estimates.PrivateNoiseWarning` messages ("" if none).

        Examples
        --------
        >>> from ddm_explore.panels import PanelState
        >>> state = PanelState("ring_wells", c=0.4)
        >>> _ = state.retrain(64)
        >>> net, report, notes = state.network_with_private_noise(0.05, fitted=True)
        >>> round(float(net.private_noise), 2), "unmatched_diffusion" in report
        (0.05, True)
        """
        if self.net is None:
            raise ValueError("no network yet: press Retrain in the Train panel")
        s = float(s)
        if not s >= 0:
            raise ValueError(f"`s` (the private noise) must be >= 0, got {s!r}")
        if not fitted or s == 0:
            return self.net.replace(private_noise=jnp.float32(s)), self.report, ""
        if self.fit_recording is not None:
            raise ValueError("this network learnt from recorded data, and a fit for private noise needs the target's "
                             "formulas: choose 'plain fit', or retrain from the formulas")
        if s not in self._noise_fits:
            kw = dict(self.fit_settings)
            n_neurons, seed = kw.pop("n_neurons"), kw.pop("seed")
            key = jax.random.fold_in(self.key, seed)
            with warnings.catch_warnings(record=True) as caught:  # shown by the panel, not printed
                warnings.simplefilter("always", PrivateNoiseWarning)
                net, report = _fit(self._fit_target, n_neurons, key=key, progress=False, **dict(kw, private_noise=s))
            notes = _notes(caught, PrivateNoiseWarning)
            self._noise_fits[s] = (net, report, notes)
        return self._noise_fits[s]


def _fit_recording(data, truth, n_neurons, key, progress, *, connectivity="low_rank", noise="additive", steps=None,
                   ridge=None):
    """``ddm.fit`` on a recording: the ridge chosen on held-out trials (a given ``ridge`` is the
    formulas' setting and does not apply), full or symmetric J trained for ``steps`` steps."""
    train = None
    if connectivity != "low_rank":
        train = _default_solver(connectivity)
        if steps is not None:
            train = dataclasses.replace(train, steps=int(steps))
    solver = _FromData(train=train, truth=truth)
    return _fit(data, n_neurons, key=key, connectivity=connectivity, noise=noise, solver=solver, progress=progress)


def _notes(caught, category) -> str:
    """The messages of the caught warnings of ``category``, joined; the others go on as usual."""
    for w in caught:
        if not issubclass(w.category, category):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return "; ".join(str(w.message) for w in caught if issubclass(w.category, category))
