"""The panels notebook served by Voila, driven in headless Chromium (Playwright): what a class sees.

Needs /usr/bin/chromium (``python3 dev.py test`` installs it when run as root). The test fails,
never skips, when the browser is missing. It checks that the first drawn plots match the
controls and saves a screenshot. Driving the app (slider drag, Retrain click) does not yet reach the
kernel under Voila ('[anywidget] Failed to initialize model' in the page log): an open item of the
panels issue, not asserted here.
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

import numpy as np
import pytest

import ddm_explore as ddm
from ddm_explore.panels._plots import arrows

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


def _expected_nullclines(mu, sigma, n_grid):
    f = ddm.analysis.drift_field(ddm.systems.van_der_pol(mu=mu, sigma=sigma), n_grid).drift.values
    return [f[..., 0].T, f[..., 1].T]


@pytest.mark.slow
def test_voila_app_first_drawn_plots_match_controls(voila_url, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True,
                                                   args=ARGS, viewport=dict(width=1500, height=1000))
        try:
            page = ctx.new_page()
            page.set_default_timeout(START_S * 1000)
            page.goto(voila_url, timeout=START_S * 1000)
            for sel in (".ddm-playground", ".ddm-train", ".ddm-trajectories"):
                page.wait_for_selector(f"{sel} .js-plotly-plot")
            page.wait_for_function(f"() => ({READ_TRACES})('.ddm-trajectories') !== null")
            page.set_default_timeout(120_000)

            def controls():
                mu = float(page.inner_text(".ddm-param-mu .widget-readout"))
                sigma = float(page.inner_text(".ddm-param-sigma .widget-readout"))
                return mu, sigma

            # 1. the first drawn playground plot matches the sliders
            mu, sigma = controls()
            assert (mu, sigma) == (1.0, 0.1)
            first = page.evaluate(READ_TRACES, ".ddm-playground")
            got = _contours(first)
            assert len(got) == 2, [(t["type"], t["name"], str(t["z"])[:200]) for t in first]
            n_grid = got[0].shape[0]
            for g, e in zip(got, _expected_nullclines(mu, sigma, n_grid)):
                np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)
            train_first = page.evaluate(READ_TRACES, ".ddm-train")
            tx, ty = arrows(ddm.analysis.drift_field(ddm.systems.van_der_pol(mu=mu, sigma=sigma), n_grid).drift)
            np.testing.assert_allclose(np.asarray(train_first[0]["x"], float), tx, rtol=1e-5, atol=1e-6)
            eps_first = page.inner_text(".ddm-eps")
            assert "eps_f =" in eps_first and "press Retrain" not in eps_first

            shot = tmp_path / "panels.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
        finally:
            ctx.close()
