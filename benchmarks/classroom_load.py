"""A class on one server: N students open the panels app at once and work with it for a while.

    .venv/bin/python benchmarks/classroom_load.py --students 1 2 4 8 --minutes 3
    .venv/bin/python benchmarks/classroom_load.py --students 4 --pool 2 --warm 120   # preheated kernels

For each N it starts the app as ``ddm-explore classroom`` serves it (token, classroom/voila.py,
kernel culling; a fresh JAX compilation cache unless ``--cache`` names one), then drives N pages
in headless Chromium (Playwright, one browser context per student, all in one browser), every
page on 127.0.0.1 only. Each student opens the page, waits for the plots, then for ``--minutes``
repeats: move the playground's rotational-current slider one step (timed until the playground and
the transitions panel both show the new value), think for ``--think`` seconds, press Retrain
(timed until the Train panel shows the new network), think again. Every loop is bounded in time
and count, and the script stops the server itself.

A student leaves by closing the tab as a browser does: the page's unload handler sends Voila's
shutdown request, and the student's browser context stays open until the page has gone (and
LEAVE_S more), so the request can leave (Playwright's ``page.close(run_before_unload=True)`` does
not wait for the page to go; closing the context right after it raced the request, and under
load the request lost).

It prints, per N: the time to the first usable page (median, max), each interaction's median
and p95 latency, the peak memory of the server and its kernels (PSS, sampled every 2 s) and how
many kernels are alive SHUTDOWN_S after every page was closed (their pages' shutdown requests)
and LEFT_S after (the server's own fallback, classroom/voila.py: a kernel whose page's
connection has been closed PAGE_LEFT_S is shut down at the next cull, every CULL_INTERVAL_S);
PASS when the p95 of every interaction is under 1 s, the peak under 24 GiB and no kernel is left
at LEFT_S. The largest N that passes is the
class one server takes; measure it on an otherwise idle machine (other work on the cores shows
up as latency). Needs /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import runpy
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
from traitlets.config import Config

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ddm_explore.cli import build_parser, classroom_command, classroom_kernels  # noqa: E402

#: the server's settings, as `ddm-explore classroom` serves them
SERVER = runpy.run_path(str(ROOT / "classroom" / "voila.py"), init_globals=dict(c=Config()))
#: seconds a student's browser stays after the tab has gone (the shutdown request leaves)
LEAVE_S = 5
#: kernels are counted this long after the last page closed: a page's shutdown request is done by then
SHUTDOWN_S = 20
#: and this long: the server has shut down every kernel whose page's connection closed (the
#: fallback's PAGE_LEFT_S + one CULL_INTERVAL_S, and 15 s for a shutdown on busy cores)
LEFT_S = SERVER["PAGE_LEFT_S"] + SERVER["CULL_INTERVAL_S"] + 15

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
TOKEN = "ddm-classroom-load"
PANELS = (".ddm-playground", ".ddm-train", ".ddm-trajectories", ".ddm-transitions", ".ddm-decompositions")
FIRST_PAGE_S = 900  # bounded wait for a page's first plots (N kernels compiling on 2 cores)
STEP_S = 120  # bounded wait for one interaction
MEMORY_LIMIT = 24 * 2**30
#: the title of a panel's plot
TITLE = "(sel) => { const t = document.querySelector(sel + ' .js-plotly-plot .gtitle'); return t ? t.textContent : ''; }"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(pool: int, cache: str, log_path: Path):
    port = _free_port()
    args = build_parser().parse_args(["classroom", "--port", str(port), "--token", TOKEN, "--pool", str(pool),
                                      "--jax-cache", cache])
    cmd, env = classroom_command(args)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=open(log_path, "w"), stderr=subprocess.STDOUT,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/ddm-readiness-probe?token={TOKEN}", timeout=2)
        except urllib.error.HTTPError as err:
            if err.code in (403, 404):
                return proc, f"{url}/?token={TOKEN}"
        except OSError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.5)
    stop_server(proc)
    raise RuntimeError("the classroom server did not start:\n" + log_path.read_text()[-3000:])


def stop_server(proc):
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def kernels(proc):
    """The server's live ipykernel processes."""
    return classroom_kernels(proc.pid)


def memory(proc) -> int:
    """PSS of the server and all its children (shared pages counted once)."""
    total = 0
    for p in [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]:
        try:
            info = p.memory_full_info()
            total += getattr(info, "pss", info.rss)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return total


class MemoryWatch(threading.Thread):
    """Samples :func:`memory` every 2 s until stopped; keeps the peak."""

    def __init__(self, proc):
        super().__init__(daemon=True)
        self.proc, self.peak, self._done = proc, 0, threading.Event()

    def run(self):
        while not self._done.is_set():
            try:
                self.peak = max(self.peak, memory(self.proc))
            except psutil.NoSuchProcess:
                return
            self._done.wait(2.0)

    def stop(self):
        self._done.set()
        self.join(10)


async def timed(page, action, done_js, arg=None) -> float:
    t0 = time.perf_counter()
    await action()
    await page.wait_for_function(done_js, arg=arg, timeout=STEP_S * 1000, polling=50)
    return time.perf_counter() - t0


async def student(browser, url, i, minutes, think, out):
    ctx = await browser.new_context(viewport=dict(width=1280, height=800))
    page = await ctx.new_page()
    try:
        t0 = time.perf_counter()
        await page.goto(url, timeout=FIRST_PAGE_S * 1000)
        for sel in PANELS:
            await page.wait_for_selector(f"{sel} .js-plotly-plot", timeout=FIRST_PAGE_S * 1000)
        out["first_page"].append(time.perf_counter() - t0)
        end, direction, n = time.monotonic() + 60 * minutes, "ArrowRight", 0
        while time.monotonic() < end and n < 1000:
            n += 1
            handle = page.locator(".ddm-param-c .noUi-handle")
            old = float(await page.inner_text(".ddm-param-c .widget-readout"))
            want = f"c = {round(old + (0.1 if direction == 'ArrowRight' else -0.1), 2):g}"

            async def move():
                await handle.focus()
                await page.keyboard.press(direction)

            done = ("(w) => [" + ",".join(f"({TITLE})('{s}')" for s in (".ddm-playground", ".ddm-transitions"))
                    + "].every(t => t.includes(w))")
            out["slider"].append(await timed(page, move, done, want))
            direction = "ArrowLeft" if direction == "ArrowRight" else "ArrowRight"
            await asyncio.sleep(think)
            before = await page.inner_text(".ddm-eps")
            out["retrain"].append(await timed(
                page, lambda: page.click(".ddm-retrain"),
                "(b) => { const t = document.querySelector('.ddm-eps').innerText; return t !== b && !t.includes('press Retrain'); }",
                before))
            await asyncio.sleep(think)
    except Exception as err:  # one student's failure is a result, not a crash of the run
        out["errors"].append(f"student {i}: {type(err).__name__}: {str(err).splitlines()[0][:200]}")
    finally:
        await page.close(run_before_unload=True)  # the student closes the tab: its unload handler sends the shutdown
        deadline = time.monotonic() + 30  # close() does not wait for the page to go: the browser stays till then
        while not page.is_closed() and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        await asyncio.sleep(LEAVE_S)
        await ctx.close()


async def drive(url, n, minutes, think, stagger):
    from playwright.async_api import async_playwright

    out = dict(first_page=[], slider=[], retrain=[], errors=[])
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            tasks = []
            for i in range(n):
                tasks.append(asyncio.create_task(student(browser, url, i, minutes, think, out)))
                await asyncio.sleep(stagger)
            await asyncio.gather(*tasks)
        finally:
            await browser.close()
    return out


def p95(xs):
    return sorted(xs)[max(0, int(round(0.95 * len(xs))) - 1)] if xs else float("nan")


def one_class(n, args, tmp):
    cache = args.cache if args.cache is not None else tempfile.mkdtemp(prefix="jax-cache-", dir=tmp)
    proc, url = start_server(args.pool, cache, Path(tmp) / f"voila-{n}.log")
    watch = MemoryWatch(proc)
    watch.start()
    try:
        time.sleep(args.warm)  # a pool fills before the class arrives
        out = asyncio.run(drive(url, n, args.minutes, args.think, args.stagger))
        closed, counts = time.monotonic(), []
        for wait in (SHUTDOWN_S, LEFT_S):  # the pool's preheated kernels stay by design
            while len(kernels(proc)) > args.pool and time.monotonic() < closed + wait:
                time.sleep(1)
            counts.append(len(kernels(proc)) - args.pool)
    finally:
        watch.stop()
        stop_server(proc)
    return out, watch.peak, counts


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, nargs="+", default=[1, 2, 4], help="class sizes N to run, each on a fresh server")
    ap.add_argument("--minutes", type=float, default=3.0, help="how long each student works after the first page")
    ap.add_argument("--think", type=float, default=3.0, help="seconds between a student's interactions")
    ap.add_argument("--stagger", type=float, default=1.0, help="seconds between two students' arrivals")
    ap.add_argument("--pool", type=int, default=0, help="preheated kernels (ddm-explore classroom --pool)")
    ap.add_argument("--warm", type=float, default=0.0, help="seconds between the server's start and the first student")
    ap.add_argument("--cache", default=None, help="JAX compilation cache folder (default: a fresh one per N)")
    args = ap.parse_args(argv)
    if not os.path.exists(CHROMIUM):
        sys.exit(f"{CHROMIUM} is missing: apt-get install -y chromium")
    print(f"## Classroom load: {os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB, "
          f"load average {os.getloadavg()[0]:.1f} at the start; {args.minutes:g} min per student, think {args.think:g} s, "
          f"pool {args.pool}\n")
    print("| students | first page median / max (s) | slider median / p95 (s) | Retrain median / p95 (s) | "
          f"peak memory (GiB) | kernels left after {SHUTDOWN_S} / {LEFT_S} s | errors | verdict |")
    print("|---|---|---|---|---|---|---|---|")
    best = 0
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.students:
            out, peak, (early, left) = one_class(n, args, tmp)
            ok = (not out["errors"] and p95(out["slider"]) < 1.0 and p95(out["retrain"]) < 1.0 and peak < MEMORY_LIMIT
                  and left <= 0 and len(out["first_page"]) == n)
            best = n if ok else best
            fp = out["first_page"] or [float("nan")]
            print(f"| {n} | {statistics.median(fp):.1f} / {max(fp):.1f} | "
                  f"{statistics.median(out['slider'] or [float('nan')]):.2f} / {p95(out['slider']):.2f} | "
                  f"{statistics.median(out['retrain'] or [float('nan')]):.2f} / {p95(out['retrain']):.2f} | "
                  f"{peak / 2**30:.1f} | {max(early, 0)} / {max(left, 0)} | {len(out['errors'])} | {'PASS' if ok else 'FAIL'} |",
                  flush=True)
            for e in out["errors"][:5]:
                print(f"    {e}")
    print(f"\nlargest class that passed (p95 < 1 s, memory < 24 GiB, nothing left after {LEFT_S} s): {best}")
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
