#!/usr/bin/env python3
"""The project's commands, from a fresh clone with only Python 3.11+:

    python3 dev.py lab        # install what is missing, open the notebook gallery in JupyterLab
    python3 dev.py classroom  # install what is missing, serve the panels app to a class (Voila)
    python3 dev.py test       # install what is missing, run the whole test suite

Everything is installed into ./.venv (re-installed when pyproject.toml changes).
`lab` binds 127.0.0.1 with a token; `--no-browser` for headless use. `classroom` prints the URL
(with its token) students open; `--ip 0.0.0.0` serves the local network, `--pool N` keeps N
kernels preheated (see `ddm-explore classroom --help` and the README's "Serving the app to a class").
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PY = VENV / "bin" / "python"
STAMP = VENV / ".ddm_explore-installed"
EXTRAS = "test,cluster"  # the cluster extra: tests/test_sweep_cluster.py runs ddm.run_grid on a LocalCluster


def _run(cmd, **kw):
    print("+", " ".join(str(c) for c in cmd), flush=True)
    return subprocess.run(cmd, check=True, **kw)


def ensure_env() -> None:
    """Create .venv and install the package with its test and cluster extras when missing or out of date."""
    if sys.version_info < (3, 11):
        sys.exit(f"ddm_explore needs Python 3.11 or newer, this is {sys.version.split()[0]}")
    want = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest() + EXTRAS
    if PY.exists() and STAMP.exists() and STAMP.read_text() == want:
        return
    if not PY.exists():
        _run([sys.executable, "-m", "venv", str(VENV)])
    _run([str(PY), "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
    _run([str(PY), "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[{EXTRAS}]"])
    STAMP.write_text(want)


CHROMIUM = Path("/usr/bin/chromium")


def ensure_chromium() -> None:
    """The browser test drives Debian's Chromium: install it when missing and we are root (apt-get);
    otherwise leave it to the test, which fails with a message saying how to install it."""
    if CHROMIUM.exists() or not shutil.which("apt-get") or not hasattr(os, "geteuid") or os.geteuid() != 0:
        return
    try:
        _run(["apt-get", "update", "-qq"])
        _run(["apt-get", "install", "-y", "-qq", "chromium"], env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    except subprocess.CalledProcessError as err:
        print(f"could not install chromium ({err}); the browser test will fail", file=sys.stderr)


def env_vars() -> dict:
    env = dict(os.environ)
    env.setdefault("PLOTLY_RENDERER", "plotly_mimetype")
    env.setdefault("JAX_PLATFORMS", "cpu") if not shutil.which("nvidia-smi") else None
    env.setdefault("PYTHONHASHSEED", "0")
    env.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")  # two test workers may share one GPU
    return env


def parallel(args: list[str]) -> list[str]:
    """Two pytest-xdist workers, one test file each at a time (a notebook's cells stay in order in
    one kernel): much of the suite is single-threaded (XLA compilation, Python), so two workers
    keep both cores busy. Not when the caller chose (-n / -p no:xdist) or on a single core."""
    if any(a.startswith("-n") or a == "--numprocesses" or "xdist" in a for a in args) or (os.cpu_count() or 1) < 2:
        return []
    return ["-n", "2", "--dist", "loadfile"]


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("lab", "classroom", "test"):
        print(__doc__)
        return 2
    ensure_env()
    if argv[0] == "test":
        ensure_chromium()
        result = subprocess.run([str(PY), "-m", "pytest", *parallel(argv[1:]), *argv[1:]], cwd=ROOT, env=env_vars())
        if result.returncode == 5:
            print("pytest collected no tests: that is a failure here", file=sys.stderr)
        return result.returncode
    return subprocess.run([str(VENV / "bin" / "ddm-explore"), argv[0], *argv[1:]], cwd=ROOT, env=env_vars()).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
