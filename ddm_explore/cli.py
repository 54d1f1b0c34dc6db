"""Command line: ``ddm-explore lab`` opens the notebook gallery in JupyterLab."""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
from pathlib import Path


def _gallery_dir() -> Path:
    here = Path.cwd() / "notebooks"
    if here.is_dir():
        return here
    return Path(__file__).resolve().parent.parent / "notebooks"


def lab(args) -> int:
    """Start JupyterLab on the gallery, bound to 127.0.0.1 with a random token."""
    token = args.token or secrets.token_hex(24)
    cmd = [sys.executable, "-m", "jupyter", "lab", str(args.notebooks or _gallery_dir()),
           "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={args.port}",
           f"--IdentityProvider.token={token}", "--ServerApp.open_browser=" + str(not args.no_browser)]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    env = dict(os.environ)
    env.setdefault("PLOTLY_RENDERER", "plotly_mimetype")
    print(f"JupyterLab on http://127.0.0.1:{args.port}/lab?token={token}", flush=True)
    return subprocess.call(cmd, env=env)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ddm-explore",
        description="Drift–diffusion matching: train rate networks to embed SDEs, and explore them.")
    sub = parser.add_subparsers(dest="command", required=True)
    p_lab = sub.add_parser("lab", help="open the notebook gallery in JupyterLab (127.0.0.1, token)")
    p_lab.add_argument("--no-browser", action="store_true", help="do not open a browser (headless use)")
    p_lab.add_argument("--port", type=int, default=8888, help="port on 127.0.0.1 (default 8888)")
    p_lab.add_argument("--token", default=None, help="access token (default: a random one, printed)")
    p_lab.add_argument("--notebooks", default=None, help="folder to serve (default: the gallery)")
    p_lab.set_defaults(func=lab)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
