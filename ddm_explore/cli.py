"""Command line: ``ddm-explore lab`` opens the notebook gallery in JupyterLab; ``ddm-explore
figures --out DIR`` regenerates the paper's figures."""

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


def figures(args) -> int:
    """Regenerate the paper's figures headless: standalone HTML (plotly.js copied beside them, no
    network needed to view) and PNG where an image exporter (kaleido) works; prints each check line.
    JAX and the figures load here, not at the top: ``ddm-explore --help`` and ``lab`` stay instant."""
    import jax
    from tqdm.auto import tqdm

    from .panels.paper_figures import registry

    reg = registry()
    names = args.only or list(reg)
    unknown = [n for n in names if n not in reg]
    if unknown:
        print(f"unknown figure(s) {unknown}; available: {', '.join(reg)}", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    failed, png_note = [], None
    lines = []
    for name in tqdm(names, desc="figures", disable=args.quiet):
        compute, plot = reg[name]
        ds = compute(key=jax.random.key(args.seed))
        fig = plot(ds)
        fig.write_html(out / f"{name}.html", include_plotlyjs="directory")
        if not args.no_png:
            try:
                fig.write_image(out / f"{name}.png", scale=1)
            except Exception as err:  # the exporter is optional: say why once
                png_note = png_note or f"PNG export unavailable ({type(err).__name__}: {str(err).splitlines()[0][:120]})"
        line = f"{name}: {ds.attrs.get('check', '')}"
        lines.append(line)
        tqdm.write(line) if not args.quiet else None
        if not ds.attrs.get("passed", 1):
            failed.append(name)
    (out / "checks.txt").write_text("\n".join(lines) + "\n")
    if png_note:
        print(png_note + "; HTML written", file=sys.stderr)
    print(f"wrote {len(names)} figure(s) to {out}")
    return 1 if failed else 0


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
    p_fig = sub.add_parser("figures", help="regenerate every paper figure headless (HTML, and PNG when possible)")
    p_fig.add_argument("--out", required=True, help="output folder (created if missing)")
    p_fig.add_argument("--only", nargs="+", metavar="NAME", help="only these figures")
    p_fig.add_argument("--seed", type=int, default=0, help="PRNG seed of every experiment (default 0)")
    p_fig.add_argument("--no-png", action="store_true", help="skip PNG export")
    p_fig.add_argument("--quiet", action="store_true", help="no progress bar")
    p_fig.set_defaults(func=figures)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
