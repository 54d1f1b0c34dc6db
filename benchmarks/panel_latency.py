"""Latency of the widget panels, from a control change to updated figure data (medians).

    JAX_PLATFORMS=cpu .venv/bin/python benchmarks/panel_latency.py

Targets (issue: live widget panels): playground parameter change <= 100 ms; low_rank Retrain for
N = 256 <= 0.5 s, after the first call. Each change below is synchronous: when the assignment
returns, the FigureWidget holds the new data.
"""

from __future__ import annotations

import os
import statistics
import time

os.environ.setdefault("PLOTLY_RENDERER", "plotly_mimetype")

import jax  # noqa: E402

import ddm_explore as ddm  # noqa: E402
from ddm_explore.panels import PanelState, Playground, TrainPanel  # noqa: E402


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main():
    state = PanelState("van_der_pol", key=jax.random.key(0))
    pg = Playground(state)
    mu = pg.sliders["mu"]
    new_values = [1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7]
    first_visit = [timed(lambda v=v: setattr(mu, "value", v)) for v in new_values]
    revisit = [timed(lambda v=v: setattr(mu, "value", v)) for v in new_values]
    assert pg.error is None, pg.error
    field = [timed(lambda v=v: ddm.analysis.drift_field(ddm.systems.van_der_pol(mu=v + 0.05), 17)) for v in new_values]

    state.set_target("van_der_pol", mu=1.0)
    tp = TrainPanel(state)
    tp.n_neurons.value = 256
    tp.retrain.click()  # the first call (compilations)
    retrain = []
    for seed in range(1, 8):
        tp.seed.value = seed
        retrain.append(timed(tp.retrain.click))
    assert tp.error is None, tp.error

    med = statistics.median
    print(f"device: {jax.devices()[0].platform}, {os.cpu_count()} CPU cores visible")
    print(f"playground mu change, new value (traced parameters, no recompile):  median {med(first_visit) * 1e3:8.1f} ms "
          f"(target 100 ms: ratio {med(first_visit) / 0.1:.1f}x)")
    print(f"playground mu change, value seen before (no compile):               median {med(revisit) * 1e3:8.1f} ms "
          f"(target 100 ms: ratio {med(revisit) / 0.1:.2f}x)")
    print(f"  of which drift field on the 17x17 grid (new SDE):                 median {med(field) * 1e3:8.1f} ms")
    print(f"low_rank Retrain, N = 256, after the first call:                   median {med(retrain) * 1e3:8.1f} ms "
          f"(target 500 ms: ratio {med(retrain) / 0.5:.2f}x)")


if __name__ == "__main__":
    main()
