"""The panels app served as a class gets it (``ddm-explore classroom``: Voila with a token and
classroom/voila.py), driven in headless Chromium (Playwright) at a 1280x800 viewport.

Needs /usr/bin/chromium (``python3 dev.py test`` installs it when run as root). The test fails,
never skips, when the browser is missing. It checks that the first drawn plots match the
controls, that no panel reaches past the visible width and no visible text shows a Python dict,
"None" or "nan", moves a slider and checks the plots follow it, clicks Retrain and checks the
plot of the network and the eps readout change, moves the trajectory panel's private noise and
flips its "fitted for this noise" switch and checks the drawn paths are the library's, retrains
with symmetric connectivity and checks no widget shows an error and the Train plot keeps its
width and keeps following the target, then reloads the page three times and checks that at most
one kernel is alive afterwards (each page's kernel is shut down when it is left), and that the
kernel of a page whose shutdown request is refused is shut down by the server once the page's
connection has been gone for classroom/voila.py's PAGE_LEFT_S. Every request that would leave
127.0.0.1 is refused (a class server without internet) and counted: there must be none, and the
buttons' icon font must load from the app. Screenshots go under the test's tmp dir.
"""

import json
import os
import re
import runpy
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import jax
import numpy as np
import pytest
from traitlets.config import Config

import ddm_explore as ddm
from ddm_explore.cli import build_parser, classroom_command, classroom_kernels
from ddm_explore.panels import SYSTEMS
from ddm_explore.panels import _trajectories as trajectories_module
from ddm_explore.panels._plots import arrows
from ddm_explore.panels._train import CONNECTIVITY_OPTIONS
from ddm_explore.panels._train import N_GRID as TRAIN_GRID

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "panels.ipynb"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
START_S = 300  # Voila runs the whole notebook on page load: first compilations on 2 busy cores
VIEWPORT = dict(width=1280, height=800)
TOKEN = "ddm-browser-test"
PANELS = (".ddm-playground", ".ddm-train", ".ddm-trajectories", ".ddm-transitions", ".ddm-decompositions")

# what a student sees: the text of the page and of the plots (SVG text is not in innerText), and
# how far right each panel and the page reach
VISIBLE = """
() => ({
  text: document.body.innerText,
  svg: Array.from(document.querySelectorAll('.js-plotly-plot svg text')).map(t => t.textContent),
  width: document.documentElement.clientWidth,
  scroll_width: document.documentElement.scrollWidth,
  panels: Array.from(document.querySelectorAll('.ddm-panel')).map(p => {
    const r = p.getBoundingClientRect(); return {cls: p.className, left: r.left, right: r.right}; }),
  plots: Array.from(document.querySelectorAll('.ddm-panel .js-plotly-plot')).map(p => p.getBoundingClientRect().width),
})
"""
#: the server's kernel settings (classroom/voila.py): a left page's kernel goes within
#: PAGE_LEFT_S + CULL_INTERVAL_S even when its page's shutdown request never arrives
SERVER = runpy.run_path(str(ROOT / "classroom" / "voila.py"), init_globals=dict(c=Config()))
#: how long a left page's kernel may take to go when its page's shutdown request works
LEAVE_S = 20
assert LEAVE_S < SERVER["PAGE_LEFT_S"]  # so the request, not the server's fallback, is what is checked
# the Retrain button's icon: the font its ::before glyph uses, and whether a face of it has loaded
ICON_FONT = """
() => { const i = document.querySelector('.ddm-retrain i');
  const family = i ? getComputedStyle(i, '::before').fontFamily : '';
  const loaded = Array.from(document.fonts).some(f => family.includes(f.family.replace(/"/g, '')) && f.status === 'loaded');
  return {family, loaded}; }
"""
# a Python dict, None or nan, as str() of a dict or a float prints them
DEVELOPER_TEXT = re.compile(r"\{'|\bNone\b|\bnan\b|Error displaying widget|model not found|Traceback|xarray|ddm\.")

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
def app(tmp_path):
    """The classroom command's Voila server (its token, settings and a fresh compilation cache) on
    127.0.0.1; yields (url with the token, server process)."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: run `python3 dev.py test` as root (it installs Debian's chromium) "
                    f"or `apt-get install -y chromium`")
    port = _free_port()
    args = build_parser().parse_args(["classroom", "--port", str(port), "--token", TOKEN, "--notebook", str(NOTEBOOK),
                                      "--jax-cache", str(tmp_path / "jax-cache")])
    cmd, env = classroom_command(args)
    env.update(PYTHONHASHSEED="0", PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p))
    log = open(tmp_path / "voila.log", "w")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:  # ready when a missing path answers 403/404 (a GET of / would run the notebook)
            try:
                urllib.request.urlopen(f"{url}/ddm-readiness-probe?token={TOKEN}", timeout=2)
            except urllib.error.HTTPError as err:
                if err.code in (403, 404):
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("voila did not start:\n" + (tmp_path / "voila.log").read_text()[-3000:])
            time.sleep(0.5)
        yield f"{url}/?token={TOKEN}", proc
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def _check_visible(page, where):
    """No panel reaches past the visible width, every plot has room, no text a student reads
    shows a dict, None, nan, a widget error or developer text."""
    v = page.evaluate(VISIBLE)
    assert v["scroll_width"] <= v["width"], f"{where}: the page scrolls sideways ({v['scroll_width']} > {v['width']} px)"
    wide = [p for p in v["panels"] if p["right"] > v["width"] + 0.5 or p["left"] < -0.5]
    assert not wide, f"{where}: panels past the visible area (width {v['width']}): {wide}"
    assert all(w > 300 for w in v["plots"]), f"{where}: a plot squeezed: widths {v['plots']}"
    bad = [t for t in [*v["text"].splitlines(), *v["svg"]] if DEVELOPER_TEXT.search(t)]
    assert not bad, f"{where}: text a student should not see: {bad[:10]}"


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
def _open(page, url):
    """Load the app and wait (bounded) until every panel has drawn its plot."""
    page.set_default_timeout(START_S * 1000)
    page.goto(url, timeout=START_S * 1000)
    for sel in PANELS:
        page.wait_for_selector(f"{sel} .js-plotly-plot")
    page.wait_for_function(f"() => ({READ_TRACES})('.ddm-decompositions') !== null")
    page.set_default_timeout(120_000)


def test_voila_app_follows_a_slider_and_retrain(app, tmp_path):
    from playwright.sync_api import sync_playwright

    url, server = app
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True,
                                                   args=ARGS, viewport=VIEWPORT)
        page_errors, external = [], []
        # a class server without internet: every request that would leave 127.0.0.1 is counted and
        # refused, and the app must work without it (its icons included)
        ctx.route("**/*", lambda route: _only_local(route, external))
        try:
            page = ctx.new_page()
            page.on("pageerror", lambda err: page_errors.append(str(err)[:300]))
            _open(page, url)
            panels = PANELS
            assert not external, f"requests that left 127.0.0.1: {external[:5]}"
            loads = re.findall(r'<(?:link|script|img|iframe)\b[^>]*\b(?:href|src)="(https?://[^"]+)"', page.content())
            assert not loads, f"the page loads from outside: {loads}"
            _wait_for(lambda: page.evaluate(ICON_FONT), lambda v: v["loaded"] and "Font Awesome" in v["family"],
                      "the Retrain button's icon font, served by the app")

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
            _check_visible(page, "first page")

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
            assert "eps_f =" in eps_new and "128 neurons" in eps_new
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

            _check_visible(page, "after Retrain and private noise")
            shot = tmp_path / "panels.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
            for sel in panels:  # the app scrolls inside the page: one picture per panel
                page.locator(sel).screenshot(path=str(tmp_path / f"{sel.strip('.')}.png"))

            # 5. a symmetric Retrain: no widget error, the Train plot keeps its width and follows the target
            _symmetric_retrain(page, traces, controls, tmp_path)
            _check_visible(page, "after a symmetric Retrain")

            # 6. three reloads leave at most one kernel (the page's): a left page's kernel is shut down
            # by the page's request, well before the server's fallback (PAGE_LEFT_S) would
            for _ in range(3):
                _open(page, url)
            alive = _wait_for(lambda: len(classroom_kernels(server.pid)), lambda n: n <= 1, "at most one kernel after three reloads",
                              timeout=LEAVE_S)
            assert alive == 1
            page.close(run_before_unload=True)  # a student closes the tab
            _wait_for(lambda: len(classroom_kernels(server.pid)), lambda n: n == 0, "no kernel once the last page is closed",
                      timeout=LEAVE_S)
            assert not external, f"requests that left 127.0.0.1: {external[:5]}"

            # 7. a page whose shutdown request fails (here: its cookies are gone, so the server refuses
            # it) still has its kernel shut down, by the server, once its connection has been closed
            # for PAGE_LEFT_S (at the next cull)
            page = ctx.new_page()
            _open(page, url)
            ctx.clear_cookies()
            page.close(run_before_unload=True)
            left = time.monotonic()
            time.sleep(LEAVE_S)
            assert len(classroom_kernels(server.pid)) == 1, "the refused request shut the kernel down: the check proves nothing"
            _wait_for(lambda: len(classroom_kernels(server.pid)), lambda n: n == 0, "the server shutting down a left page's kernel",
                      timeout=SERVER["PAGE_LEFT_S"] + SERVER["CULL_INTERVAL_S"] + 20 - (time.monotonic() - left))
        finally:
            ctx.close()


def _only_local(route, external):
    """Let a request to 127.0.0.1 (or an inline data: or blob: URL) through; count and refuse any other."""
    url = route.request.url
    if url.startswith(("data:", "blob:")) or urllib.parse.urlsplit(url).hostname == "127.0.0.1":
        route.continue_()
    else:
        external.append(url)
        route.abort()


def _symmetric_retrain(page, traces, controls, tmp_path):
    width = page.evaluate("() => document.querySelector('.ddm-train .js-plotly-plot').getBoundingClientRect().width")
    page.select_option(".ddm-connectivity select", label=dict((v, k) for k, v in CONNECTIVITY_OPTIONS)["symmetric"])
    page.click(".ddm-retrain")
    _wait_for(lambda: page.inner_text(".ddm-eps"), lambda v: "symmetric" in v and "press Retrain" not in v,
              "the eps readout of the symmetric network", timeout=300)
    # the other panels redraw after the announcement: the transitions panel simulates the new network
    _wait_for(lambda: page.inner_text(".ddm-transitions-readout"), lambda v: "symmetric" in v,
              "the transitions panel simulating the symmetric network", timeout=300)
    page.wait_for_timeout(3000)
    page.locator(".ddm-train").screenshot(path=str(tmp_path / "train_symmetric.png"))
    text = page.inner_text("body")
    assert "Error displaying widget" not in text and "model not found" not in text, text[:2000]
    after = page.evaluate("() => document.querySelector('.ddm-train .js-plotly-plot').getBoundingClientRect().width")
    assert after > 0.9 * width, f"the Train plot shrank from {width} to {after} px"
    # the Train plot keeps updating: a move of c redraws the target drift there
    before = controls()
    page.locator(".ddm-param-c .noUi-handle").focus()
    page.keyboard.press("ArrowRight")
    moved = _wait_for(controls, lambda v: v["c"] != before["c"], "the c slider after the symmetric Retrain")
    tx, _ = arrows(ddm.analysis.drift_field(ddm.systems.ring_wells(**moved), TRAIN_GRID).drift)
    _wait_for(lambda: _flat(traces(".ddm-train"), 0, "x"), lambda x: x.shape == tx.shape and np.allclose(x, tx, rtol=1e-5, atol=1e-6, equal_nan=True),
              "the Train panel's target drift after the symmetric Retrain")


@pytest.fixture
def lab(tmp_path):
    """JupyterLab on a temporary copy of panels.ipynb (token, autosave and news off, fresh config
    dirs, the app object exposed so the test can run all cells); yields the notebook's URL."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: run `python3 dev.py test` as root or `apt-get install -y chromium`")
    copy = tmp_path / "notebooks"
    copy.mkdir()
    (copy / NOTEBOOK.name).write_bytes(NOTEBOOK.read_bytes())
    settings = tmp_path / "lab-settings"
    for rel, value in {"@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                                           "checkForUpdates": False},
                       "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False}}.items():
        (settings / rel).parent.mkdir(parents=True, exist_ok=True)
        (settings / rel).write_text(json.dumps(value))
    env = dict(os.environ, PLOTLY_RENDERER="plotly_mimetype", PYTHONHASHSEED="0", JUPYTERLAB_SETTINGS_DIR=str(settings),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "workspaces"), JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
               PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p))
    port = _free_port()
    cmd = [sys.executable, "-m", "jupyterlab", str(copy), "--no-browser", "--ServerApp.ip=127.0.0.1",
           f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={TOKEN}",
           "--LabApp.expose_app_in_browser=True"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    log = open(tmp_path / "lab.log", "w")
    proc = subprocess.Popen(cmd, cwd=copy, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=2)
                break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("jupyter lab did not start:\n" + (tmp_path / "lab.log").read_text()[-3000:])
            time.sleep(0.5)
        yield f"{url}/lab/tree/{NOTEBOOK.name}?token={TOKEN}"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


# how far right each panel reaches, against the right edge of the visible notebook area
LAB_LAYOUT = """
() => {
  const nb = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer')
          || document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  const area = nb.getBoundingClientRect();
  const sidebar = document.querySelector('#jp-left-stack');
  return {
    right: area.right, left: area.left,
    sidebar: sidebar ? sidebar.getBoundingClientRect().width : 0,
    panels: Array.from(document.querySelectorAll('.ddm-panel')).map(p => {
      const r = p.getBoundingClientRect(); return {cls: p.className, left: r.left, right: r.right}; }),
    plots: Array.from(document.querySelectorAll('.ddm-panel .js-plotly-plot')).map(p => p.getBoundingClientRect().width),
  };
}
"""


@pytest.mark.slow
def test_jupyterlab_with_the_file_browser_open_keeps_every_panel_in_view(lab, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True,
                                                   args=ARGS, viewport=VIEWPORT)
        try:
            page = ctx.new_page()
            page.set_default_timeout(START_S * 1000)
            page.goto(lab, timeout=START_S * 1000)
            page.wait_for_selector(".jp-NotebookPanel .jp-Cell")
            if not page.is_visible(".jp-FileBrowser"):
                page.evaluate("window.jupyterapp.commands.execute('filebrowser:activate')")
            page.wait_for_selector(".jp-FileBrowser", state="visible")
            page.wait_for_function("() => window.jupyterapp && window.jupyterapp.commands.hasCommand('notebook:run-all-cells')")
            page.wait_for_selector(".jp-Notebook-ExecutionIndicator, .jp-KernelStatus, .jp-Toolbar-kernelName")
            page.wait_for_timeout(3000)  # the kernel connects
            page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
            for sel in PANELS:  # each panel drawn (the notebook scrolls: bring each into view)
                page.wait_for_selector(f"{sel} .js-plotly-plot", state="attached")
                page.locator(sel).scroll_into_view_if_needed()
                page.wait_for_selector(f"{sel} .js-plotly-plot svg.main-svg", state="attached")
            page.wait_for_timeout(2000)
            page.screenshot(path=str(tmp_path / "lab.png"))
            v = page.evaluate(LAB_LAYOUT)
            assert v["sidebar"] > 150, f"the file browser is not open: {v}"
            wide = [q for q in v["panels"] if q["right"] > v["right"] + 0.5]
            assert len(v["panels"]) == len(PANELS) and not wide, f"panels past the notebook's right edge {v['right']}: {wide}"
            assert all(w > 300 for w in v["plots"]), f"a plot squeezed: widths {v['plots']}"
        finally:
            ctx.close()
