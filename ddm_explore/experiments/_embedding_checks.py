"""Plausibility checks of a network's simulated runs against its reference: does it stay on the
reference's attractor, keep its spread, keep its chaos and its oscillation?"""

from __future__ import annotations

import warnings

import numpy as np

#: the reference's box, widened by this fraction of its range on each side, is "on the attractor"
ESCAPE_MARGIN = 0.1
#: more than this fraction of the network's states outside that box: the run left the attractor
ESCAPE_FRACTION = 0.05
#: the network's late-time spread in a coordinate below this fraction of the reference's: collapsed
COLLAPSE_RATIO = 0.2
#: the network's largest exponent below this fraction of a clearly positive target exponent: no chaos
CHAOS_RATIO = 0.1


class EmbeddingWarning(UserWarning):
    """A fitted network's simulated runs do not look like its reference trajectories: they leave
    the reference's attractor, collapse to a fixed point or a small cycle, lose the target's chaos
    or its oscillation (see :func:`ddm_explore.experiments.embedding_report`)."""


def _late_spread(runs) -> np.ndarray:
    """Per latent coordinate: the standard deviation over the second half of each trial, averaged
    over trials and runs."""
    out = []
    for z in runs:
        v = z.transpose("trial", "time", "latent").values
        out.append(v[:, v.shape[1] // 2:].std(axis=1).mean(axis=0))
    return np.mean(out, axis=0)


def embedding_problems(reference, model, lyapunov=(np.nan, np.nan), lyapunov_sem=(np.nan, np.nan),
                       period=(np.nan, np.nan)) -> list:
    """What looks wrong with the network runs ``model`` against the ``reference`` runs (lists of
    (trial, time, latent) DataArrays), each problem one sentence with its numbers:

    - left the attractor: more than ``ESCAPE_FRACTION`` of the network's states lie outside the
      reference's box widened by ``ESCAPE_MARGIN`` of its range on each side;
    - collapsed: in some coordinate the network's late-time spread (standard deviation over the
      second half of each trial, mean over trials) is below ``COLLAPSE_RATIO`` of the reference's;
    - no chaos: the target's largest exponent is positive by more than 3 standard errors and the
      network's is below ``CHAOS_RATIO`` of it;
    - no oscillation: the target's noise-free run has a period and the network's has none.

    ``lyapunov``, ``lyapunov_sem``, ``period``: (target, network), NaN where unknown.
    """
    problems = []
    ref = np.concatenate([r.values.reshape(-1, r.sizes["latent"]) for r in reference])
    net = np.concatenate([m.values.reshape(-1, m.sizes["latent"]) for m in model])
    lo, hi = ref.min(axis=0), ref.max(axis=0)
    pad = ESCAPE_MARGIN * (hi - lo)
    outside = float(np.mean(np.any((net < lo - pad) | (net > hi + pad), axis=1)))
    if outside > ESCAPE_FRACTION:
        problems.append(f"the network left the reference's attractor: {outside:.0%} of its states lie outside the "
                        f"reference's box widened by {ESCAPE_MARGIN:.0%} of its range (bar {ESCAPE_FRACTION:.0%})")
    ratio = _late_spread(model) / np.maximum(_late_spread(reference), 1e-300)
    if np.any(ratio < COLLAPSE_RATIO):
        i = int(np.argmin(ratio))
        problems.append(f"the network collapsed: its late-time spread in latent {i} is {ratio[i]:.2g} of the "
                        f"reference's (bar {COLLAPSE_RATIO:g}; a fixed point or a small cycle)")
    lam_t, lam_n = lyapunov
    if lam_t > 0 and lam_t > 3 * lyapunov_sem[0] and not lam_n >= CHAOS_RATIO * lam_t:
        problems.append(f"the network is not chaotic: its largest exponent {lam_n:.3g} against the target's "
                        f"{lam_t:.3g} (bar {CHAOS_RATIO:g} of it)")
    if np.isfinite(period[0]) and not np.isfinite(period[1]):
        problems.append(f"the network does not oscillate: its noise-free run settles where the target's has "
                        f"period {period[0]:.4g}")
    return problems


def warn_embedding(problems: list, name: str = "network"):
    """One :class:`EmbeddingWarning` per problem."""
    for p in problems:
        warnings.warn(f"embedding_report ({name}): {p}", EmbeddingWarning, stacklevel=3)
