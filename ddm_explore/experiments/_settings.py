"""Settings the experiments share: the ``ddm.simulate`` defaults of their runs."""

from __future__ import annotations

from .._checks import check_positive

#: ddm.simulate settings of the experiments' runs unless their ``simulate_kwargs`` say otherwise
SIMULATE_DEFAULTS = dict(dt=0.01, record_every=10)


def simulate_settings(simulate_kwargs, reserved) -> dict:
    """``SIMULATE_DEFAULTS`` updated by the user's ``simulate_kwargs``, which may not set what the experiment sets.

    Examples
    --------
    >>> simulate_settings(dict(dt=0.02), ("t_max",))
    {'dt': 0.02, 'record_every': 10}
    """
    if simulate_kwargs is not None and not isinstance(simulate_kwargs, dict):
        raise ValueError(f"`simulate_kwargs` must be a dict of ddm.simulate settings or None, got {simulate_kwargs!r:.80}")
    sim = {**SIMULATE_DEFAULTS, **(simulate_kwargs or {})}
    taken = sorted(set(sim) & set(reserved))
    if taken:
        raise ValueError(f"`simulate_kwargs` may not set {taken}: the experiment sets them")
    sim["dt"] = check_positive("simulate_kwargs['dt']", sim["dt"])
    return sim
