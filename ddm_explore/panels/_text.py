"""What a student reads: the systems and their parameters by name and meaning, and plain-text
renderings of parameter sets (never a Python dict on screen)."""

from __future__ import annotations

import math

#: system -> (title, one sentence on what it is)
SYSTEM_TEXT = {
    "van_der_pol": ("Van der Pol oscillator", "a stable limit cycle (a rhythm) around an unstable state at the origin"),
    "double_well": ("double well", "a particle shaken in two valleys, hopping over the hill between them"),
    "ornstein_uhlenbeck": ("rotating Ornstein–Uhlenbeck process",
                           "noise pulled back to the origin; w makes the probability circulate"),
    "stuart_landau": ("Stuart–Landau oscillator", "the simplest rhythm that is born at a Hopf bifurcation (mu = 0)"),
    "ring_wells": ("four memories on a ring",
                   "wells (memories) on a circle; the rotational current c carries the state from one to the next"),
    "lorenz63": ("Lorenz attractor", "deterministic chaos in three dimensions (slowed down 10 times)"),
}

#: (system, parameter) -> (label, tooltip). Time is in units of the neurons' time constant tau.
PARAM_TEXT = {
    ("van_der_pol", "mu"): ("damping mu", "nonlinear damping: small mu, a smooth sine-like cycle; large mu, slow "
                                          "phases and fast jumps"),
    ("van_der_pol", "sigma"): ("noise sigma", "size of the random kicks on both coordinates (per sqrt(tau))"),
    ("double_well", "s"): ("noise s", "noise intensity (the diffusion coefficient D = s): more noise, more hops "
                                      "between the two wells"),
    ("ornstein_uhlenbeck", "w"): ("rotation w", "rotation rate (1/tau): w > 0 makes probability circulate around "
                                               "the origin; the histogram does not change"),
    ("ornstein_uhlenbeck", "s"): ("noise s", "size of the random kicks (per sqrt(tau)); the spread is s / sqrt(2)"),
    ("stuart_landau", "mu"): ("growth mu", "growth rate at the origin (1/tau): mu < 0 a quiet state, mu > 0 a rhythm "
                                           "of radius sqrt(mu)"),
    ("stuart_landau", "omega"): ("frequency omega", "angular frequency of the rhythm (radians per tau)"),
    ("stuart_landau", "sigma"): ("noise sigma", "size of the random kicks on both coordinates (per sqrt(tau))"),
    ("ring_wells", "c"): ("rotational current c", "strength of the push around the ring (1/tau): 0, the state stays "
                                                  "in a memory; larger c, it travels from memory to memory"),
    ("ring_wells", "D"): ("noise D", "diffusion coefficient (per tau): more noise, more spontaneous hops"),
    ("ring_wells", "h"): ("well depth h", "how deep the four wells are: deeper wells hold the state longer"),
    ("lorenz63", "rho"): ("Rayleigh number rho", "heating of the Lorenz convection: chaos above about 24.7"),
    ("lorenz63", "noise"): ("noise", "size of the random kicks on each coordinate"),
}


def system_title(system: str) -> str:
    """The human name of a system in :data:`SYSTEM_TEXT` (the factory name if it has none)."""
    return SYSTEM_TEXT.get(system, (system.replace("_", " "), ""))[0]


def param_label(system: str, name: str) -> str:
    """The label of a parameter slider, e.g. "rotational current c"."""
    return PARAM_TEXT.get((system, name), (name, ""))[0]


def param_tooltip(system: str, name: str) -> str:
    return PARAM_TEXT.get((system, name), ("", name))[1]


def params_text(system: str, params: dict, names=None) -> str:
    """A parameter set as text a student reads: "rotational current c = 0.5, noise D = 0.1".

    Parameters
    ----------
    system : str
        A name in :data:`SYSTEM_TEXT`.
    params : dict
        Parameter values.
    names : iterable of str, optional
        Which parameters to show, in order (default: those that have a slider, see
        :data:`PARAM_TEXT`).

    Examples
    --------
    >>> params_text("ring_wells", {"c": 0.5, "D": 0.1, "h": 0.3, "K": 4})
    'rotational current c = 0.5, noise D = 0.1, well depth h = 0.3'
    """
    if names is None:
        names = [n for (s, n) in PARAM_TEXT if s == system and n in params]
    return ", ".join(f"{param_label(system, n)} = {_short(params[n])}" for n in names)


def _short(v) -> str:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    return f"{f:g}" if not math.isnan(f) else "not defined"
