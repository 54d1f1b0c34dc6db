"""Screenshots of every panel of the app, served as a class gets it, in headless Chromium at 1280x800.

    .venv/bin/python scripts/app_screenshots.py            # writes docs/figures/app_<panel>.png

It starts ``ddm-explore classroom`` on 127.0.0.1, opens the page, turns the playground's fixed
points on, cues well 2 in the transitions panel, presses the decompositions panel's entropy
production button and saves those panels; then it retrains the Train panel with symmetric
connectivity (the Voila case that used to break it) and saves that. Needs /usr/bin/chromium.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ddm_explore.cli import build_parser, classroom_command  # noqa: E402
from ddm_explore.panels._train import CONNECTIVITY_OPTIONS  # noqa: E402

OUT = ROOT / "docs" / "figures"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
TOKEN = "ddm-screenshots"
PANELS = ("playground", "train", "trajectories", "transitions", "decompositions")


def serve(tmp: Path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    args = build_parser().parse_args(["classroom", "--port", str(port), "--token", TOKEN,
                                      "--jax-cache", str(tmp / "jax-cache")])
    cmd, env = classroom_command(args)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=open(tmp / "voila.log", "w"), stderr=subprocess.STDOUT,
                            start_new_session=True)
    for _ in range(240):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/probe?token={TOKEN}", timeout=2)
        except urllib.error.HTTPError:
            return proc, f"http://127.0.0.1:{port}/?token={TOKEN}"
        except OSError:
            time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGTERM)
    raise RuntimeError("the app did not start:\n" + (tmp / "voila.log").read_text()[-2000:])


def shoot(page, name):
    """One panel's picture. A panel taller than the 800 px window (the decompositions) is taken
    with the window made taller for that picture only: the layout depends on the width alone, and
    an element screenshot larger than the window comes out shifted in Voila's scrolling page."""
    panel = page.locator(f".ddm-{name}")
    height = panel.bounding_box()["height"]
    if height > 780:
        page.set_viewport_size(dict(width=1280, height=int(height) + 40))
    panel.scroll_into_view_if_needed()
    page.wait_for_timeout(800)
    panel.screenshot(path=str(OUT / f"app_{name}.png"))
    page.set_viewport_size(dict(width=1280, height=800))
    print("wrote", OUT / f"app_{name}.png", flush=True)


def main():
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = serve(Path(tmp))
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
                page = browser.new_page(viewport=dict(width=1280, height=800))
                page.set_default_timeout(600_000)
                page.goto(url, timeout=600_000)
                for name in PANELS:
                    page.wait_for_selector(f".ddm-{name} .js-plotly-plot svg.main-svg")
                page.check(".ddm-fixed-points input")
                page.click(".ddm-cue button:has-text('2')")
                page.click(".ddm-sweep")
                page.wait_for_function("() => document.querySelector('.ddm-decomp-readout').innerText.includes('against c:')")
                page.wait_for_timeout(3000)
                for name in PANELS:
                    if name == "train":  # after a symmetric Retrain, below
                        continue
                    shoot(page, name)
                label = dict((v, k) for k, v in CONNECTIVITY_OPTIONS)["symmetric"]
                page.select_option(".ddm-connectivity select", label=label)
                page.click(".ddm-retrain")
                page.wait_for_function("() => document.querySelector('.ddm-eps').innerText.includes('symmetric')")
                page.wait_for_timeout(5000)  # the other panels redraw after the new network
                shoot(page, "train")
                browser.close()
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(30)


if __name__ == "__main__":
    main()
