"""The panels notebook served by Voila, driven in headless Chromium (Playwright): what a class sees.

Needs /usr/bin/chromium (``python3 dev.py test`` installs it when run as root). The test fails,
never skips, when the browser is missing. It checks that the first drawn plots match the
controls, moves a slider and checks the plots follow it, clicks Retrain and checks the plot of the
network and the eps readout change, moves the trajectory panel's private noise and flips its
"fitted for this noise" switch and checks the drawn paths are the library's, and saves
screenshots under the test's tmp dir.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import jax
import numpy as np
import pytest

import ddm_explore as ddm
from ddm_explore.panels import SYSTEMS
from ddm_explore.panels import _trajectories as trajectories_module
from ddm_explore.panels._plots import arrows
from ddm_explore.panels._train import N_GRID as TRAIN_GRID

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "panels.ipynb"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
START_S = 300  # Voila runs the whole notebook on page load: first compilations on 2 busy cores

# plotly.js may hold arrays as typed arrays or as {dtype, bdata, shape}: read both
READ_TRACES = """
(sel) => {
  const gd = document.querySelector(sel + ' .js-plotly-plot');
  if (!gd || !gd.data) return null;
  const dec = (v) => {
    if (v === undefined || v === null) return null;
    if (ArrayBuffer.isView(v)) return Array.from(v);
    if (Array.isArray(v)) return v.map(dec);
    if (v.bdata !== undefined) {
      const bin = atob(v.bdata); const buf = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) buf[i] = bin.charCodeAt(i);
      const T = {f8: Float64Array, f4: Float32Array, i4: Int32Array, i8: BigInt64Array, u1: Uint8Array, i1: Int8Array,
                 u2: Uint16Array, i2: Int16Array, u4: Uint32Array}[v.dtype];
      let flat = Array.from(new T(buf.buffer)).map(Number);
      if (v.shape) {
        const shape = String(v.shape).split(',').map(Number);
        if (shape.length === 2) { const out = []; for (let r = 0; r < shape[0]; r++) out.push(flat.slice(r * shape[1], (r + 1) * shape[1])); return out; }
      }
      return flat;
    }
    return v;
  };
  return gd.data.map(t => ({type: t.type, name: t.name, x: dec(t.x), y: dec(t.y), z: dec(t.z)}));
}
"""


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def voila_url(tmp_path):
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: run `python3 dev.py test` as root (it installs Debian's chromium) "
                    f"or `apt-get install -y chromium`")
    port = _free_port()
    log = open(tmp_path / "voila.log", "w")
    env = dict(os.environ, PLOTLY_RENDERER="plotly_mimetype", PYTHONHASHSEED="0")
    proc = subprocess.Popen([sys.executable, "-m", "voila", str(NOTEBOOK), "--no-browser", f"--port={port}",
                             "--Voila.ip=127.0.0.1"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:  # ready when a missing path answers 403/404 (a GET of / would run the notebook)
            try:
                urllib.request.urlopen(f"{url}/ddm-readiness-probe", timeout=2)
            except urllib.error.HTTPError as err:
                if err.code in (403, 404):
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("voila did not start:\n" + (tmp_path / "voila.log").read_text()[-3000:])
            time.sleep(0.5)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def _contours(traces):
    return [np.asarray(t["z"], float) for t in traces if t["type"] == "contour"]


def _expected_nullclines(params, n_grid):
    f = ddm.analysis.drift_field(ddm.systems.ring_wells(**params), n_grid).drift.values
    return [f[..., 0].T, f[..., 1].T]


def _wait_for(read, accept, what, timeout=120.0):
    """Poll read() until accept(value); fail with the last value after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if accept(value):
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not seen within {timeout:.0f} s; last value {str(value)[:600]}")
        time.sleep(0.5)


def _flat(traces, i, key):
    return np.asarray(traces[i][key], float)


@pytest.mark.slow
def test_voila_app_follows_a_slider_and_retrain(voila_url, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True,
                                                   args=ARGS, viewport=dict(width=1500, height=1000))
        page_errors = []
        try:
            page = ctx.new_page()
            page.on("pageerror", lambda err: page_errors.append(str(err)[:300]))
            page.set_default_timeout(START_S * 1000)
            page.goto(voila_url, timeout=START_S * 1000)
            panels = (".ddm-playground", ".ddm-train", ".ddm-trajectories", ".ddm-transitions", ".ddm-decompositions")
            for sel in panels:
                page.wait_for_selector(f"{sel} .js-plotly-plot")
            page.wait_for_function(f"() => ({READ_TRACES})('.ddm-decompositions') !== null")
            page.set_default_timeout(120_000)

            def controls():
                return {name: float(page.inner_text(f".ddm-param-{name} .widget-readout")) for name in ("c", "D", "h")}

            def traces(sel):
                return page.evaluate(READ_TRACES, sel)

            # 1. the first drawn plots match the controls
            params = controls()
            assert params == dict(c=0.5, D=0.1, h=0.3)
            first = traces(".ddm-playground")
            got = _contours(first)
            assert len(got) == 2, [(t["type"], t["name"], str(t["z"])[:200]) for t in first]
            n_grid = got[0].shape[0]
            for g, e in zip(got, _expected_nullclines(params, n_grid)):
                np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)
            train_first = traces(".ddm-train")
            tx, _ = arrows(ddm.analysis.drift_field(ddm.systems.ring_wells(**params), TRAIN_GRID).drift)
            np.testing.assert_allclose(_flat(train_first, 0, "x"), tx, rtol=1e-5, atol=1e-6)
            eps_first = page.inner_text(".ddm-eps")
            assert "eps_f =" in eps_first and "press Retrain" not in eps_first
            assert "simulated: network" in page.inner_text(".ddm-transitions-readout")
            page.screenshot(path=str(tmp_path / "panels_first.png"), full_page=True)

            # 2. a slider move reaches the kernel and every panel that depends on the target
            handle = page.locator(".ddm-param-c .noUi-handle")
            handle.focus()
            page.keyboard.press("ArrowRight")
            moved = _wait_for(controls, lambda v: v["c"] != params["c"], "the c slider's readout")
            assert moved == dict(params, c=0.6), page_errors
            expect = _expected_nullclines(moved, n_grid)

            def nullclines_follow(tr):
                z = _contours(tr)
                return len(z) == 2 and all(np.allclose(g, e, rtol=1e-5, atol=1e-6) for g, e in zip(z, expect))

            _wait_for(lambda: traces(".ddm-playground"), nullclines_follow, f"playground nullclines at c = 0.6 (page errors {page_errors})")
            eps_moved = _wait_for(lambda: page.inner_text(".ddm-eps"), lambda v: "press Retrain" in v,
                                  "the eps readout marking the network as fitted to another target")
            _wait_for(lambda: page.inner_text(".ddm-transitions-readout"), lambda v: "simulated: target" in v,
                      "the transitions panel switching to the target")
            train_moved = traces(".ddm-train")
            tx, _ = arrows(ddm.analysis.drift_field(ddm.systems.ring_wells(**moved), TRAIN_GRID).drift)
            np.testing.assert_allclose(_flat(train_moved, 0, "x"), tx, rtol=1e-5, atol=1e-6)

            # 3. Retrain: a network fitted to c = 0.6 replaces the old one in the plot and the readout
            page.click(".ddm-retrain")
            eps_new = _wait_for(lambda: page.inner_text(".ddm-eps"), lambda v: "press Retrain" not in v and v != eps_moved,
                                "the eps readout of the new network")
            assert "eps_f =" in eps_new and "N = 128" in eps_new
            net_x = _wait_for(lambda: _flat(traces(".ddm-train"), 1, "x"),
                              lambda x: x.shape != _flat(train_moved, 1, "x").shape or not np.allclose(x, _flat(train_moved, 1, "x"), equal_nan=True),
                              "the network's drift arrows after Retrain")
            _wait_for(lambda: page.inner_text(".ddm-transitions-readout"), lambda v: "simulated: network" in v,
                      "the transitions panel simulating the new network")
            # the drawn network drift is that of the network the library fits with the panel's settings
            net, _ = ddm.fit(ddm.systems.ring_wells(**moved), 128, key=jax.random.fold_in(jax.random.key(0), 0),
                             ridge=1e-9, connectivity="low_rank", noise="additive", progress=False)
            nx, _ = arrows(ddm.analysis.drift_error_field(net, ddm.systems.ring_wells(**moved), TRAIN_GRID).drift_network)
            np.testing.assert_allclose(net_x, nx, rtol=1e-3, atol=1e-4)

            # 4. the trajectory panel's private noise: the slider and the switch reach the kernel, and
            # the drawn network paths are those of the network the library fits for that noise
            def network_paths():
                return _flat(traces(".ddm-trajectories"), 0, "x")

            plain_x = network_paths()
            assert "private noise s = 0.00" in page.inner_text(".ddm-traj-readout")
            page.locator(".ddm-traj-private-noise .noUi-handle").focus()
            page.keyboard.press("ArrowRight")
            _wait_for(lambda: page.inner_text(".ddm-traj-readout"), lambda v: "plain fit" in v and "s = 0.01" in v,
                      f"the trajectory readout at private noise 0.01 (page errors {page_errors})")
            noisy_x = _wait_for(network_paths, lambda x: x.shape != plain_x.shape or not np.allclose(x, plain_x, equal_nan=True),
                                "the network's paths with private noise")
            page.click(".ddm-traj-fitted button:has-text('fitted for this noise')")
            _wait_for(lambda: page.inner_text(".ddm-traj-readout"), lambda v: "fitted for this noise" in v,
                      "the trajectory readout of the noise-aware network")
            aware_x = _wait_for(network_paths, lambda x: x.shape != noisy_x.shape or not np.allclose(x, noisy_x, equal_nan=True),
                                "the noise-aware network's paths")
            aware, _ = ddm.fit(ddm.systems.ring_wells(**moved), 128, key=jax.random.fold_in(jax.random.key(0), 0),
                               ridge=1e-9, connectivity="low_rank", noise="additive", private_noise=0.01, progress=False)
            k_z0, k_sim = jax.random.split(jax.random.fold_in(jax.random.key(0), 0))
            n_traj = trajectories_module.N_TRIALS
            lo, hi = ddm.systems.ring_wells(**moved).region
            z0 = np.asarray(jax.random.uniform(k_z0, (n_traj, 2), minval=lo, maxval=hi))
            ref = ddm.simulate(aware, n_trials=n_traj, key=k_sim, z0=z0, progress=False, **SYSTEMS["ring_wells"]["sim"])
            np.testing.assert_allclose(aware_x[np.isfinite(aware_x)], ref.z.values[..., 0].ravel(), rtol=1e-3, atol=1e-3)

            shot = tmp_path / "panels.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
            for sel in panels:  # the app scrolls inside the page: one picture per panel
                page.locator(sel).screenshot(path=str(tmp_path / f"{sel.strip('.')}.png"))
        finally:
            ctx.close()
