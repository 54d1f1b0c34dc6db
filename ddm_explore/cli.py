"""Command line: ``ddm-explore lab`` opens the notebook gallery in JupyterLab; ``ddm-explore
classroom`` serves the panels app (notebooks/panels.ipynb) to a class with Voila; ``ddm-explore
figures --out DIR`` regenerates the paper's figures."""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
from pathlib import Path


#: the names of ``ddm_explore.panels.paper_figures.registry()``, listed here so ``--help`` shows them
#: without loading JAX (a test keeps the two equal)
FIGURE_NAMES = ("e1_embedding", "e2_nonequilibrium_chaos", "symmetric_vs_asymmetric", "e3_associative_memory",
                "e4_episodic_sequences", "e5_decompositions")


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


def _classroom_dir() -> Path:
    """The folder of the classroom's Voila settings (classroom/voila.py beside notebooks/)."""
    return _gallery_dir().parent / "classroom"


def classroom_command(args) -> tuple[list, dict]:
    """The Voila command line and environment of :func:`classroom` (also used by the tests)."""
    notebook = Path(args.notebook) if args.notebook else _gallery_dir() / "panels.ipynb"
    cmd = [sys.executable, "-m", "voila", str(notebook), "--no-browser", f"--Voila.ip={args.ip}", f"--port={args.port}",
           "--Voila.port_retries=0", f"--Voila.token={args.token}", f"--Voila.config_file_paths={_classroom_dir()}",
           f"--MappingKernelManager.cull_idle_timeout={args.cull_idle}", "--template=classroom"]
    if args.pool:
        # kernels that ran the notebook before a student arrives (one per page, refilled behind them)
        cmd += ["--preheat_kernel=True", f"--pool_size={args.pool}"]
    env = dict(os.environ)
    env.setdefault("PLOTLY_RENDERER", "plotly_mimetype")
    # the page template (classroom/jupyter/voila/templates/classroom): Voila's lab template without
    # its stylesheets from a CDN, so a class server needs no internet
    env["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(_classroom_dir() / "jupyter"), env.get("JUPYTER_PATH")) if p)
    if args.jax_cache:
        # every kernel reads and writes one persistent compilation cache: after the first page the
        # compilations are loaded, not redone
        Path(args.jax_cache).mkdir(parents=True, exist_ok=True)
        env["JAX_COMPILATION_CACHE_DIR"] = str(args.jax_cache)
        env.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
    return cmd, env


def classroom_kernels(pid: int) -> list:
    """The live ipykernel processes of the classroom server with process id ``pid`` (Voila lists
    none over HTTP; a zombie, dead but not yet reaped, is not alive). Uses psutil (the ``test``
    extra): the browser tests and ``benchmarks/classroom_load.py`` count kernels with it."""
    import psutil

    out = []
    for c in psutil.Process(pid).children(recursive=True):
        try:
            if c.status() != psutil.STATUS_ZOMBIE and any("ipykernel" in part for part in c.cmdline()):
                out.append(c)
        except psutil.Error:  # gone meanwhile
            pass
    return out


def classroom(args) -> int:
    """Serve notebooks/panels.ipynb as a Voila app to a class: a token, kernels shut down when a
    page is left (at the latest 60 s after its connection closed) and culled when idle
    (classroom/voila.py), a page that loads nothing from the internet, optionally a pool of
    preheated kernels."""
    args.token = args.token or secrets.token_urlsafe(12)
    cmd, env = classroom_command(args)
    host = "127.0.0.1" if args.ip in ("127.0.0.1", "localhost") else "<this machine's address>"
    print(f"students open http://{host}:{args.port}/?token={args.token}", flush=True)
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
            except Exception as err:  # the exporter is optional: say why once, with the real reason
                png_note = png_note or f"PNG export unavailable: {_export_reason(err)}"
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


def _export_reason(err: BaseException) -> str:
    """Why plotly could not write a PNG, in one line: the first non-empty line of the error or of
    the error it came from (plotly wraps a missing kaleido in a RuntimeError with an empty message)."""
    for e in (err, err.__cause__, err.__context__):
        if e is None:
            continue
        lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()]
        if lines:
            return f"{type(e).__name__}: {lines[0][:160]}"
    return f"{type(err).__name__} (is the image exporter kaleido installed? pip install kaleido)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ddm-explore",
        description="Drift–diffusion matching: train rate networks to embed SDEs, and explore them.",
        epilog=f"figures: {', '.join(FIGURE_NAMES)} (ddm-explore figures --out DIR [--only NAME ...])")
    sub = parser.add_subparsers(dest="command", required=True)
    p_lab = sub.add_parser("lab", help="open the notebook gallery in JupyterLab (127.0.0.1, token)")
    p_lab.add_argument("--no-browser", action="store_true", help="do not open a browser (headless use)")
    p_lab.add_argument("--port", type=int, default=8888, help="port on 127.0.0.1 (default 8888)")
    p_lab.add_argument("--token", default=None, help="access token (default: a random one, printed)")
    p_lab.add_argument("--notebooks", default=None, help="folder to serve (default: the gallery)")
    p_lab.set_defaults(func=lab)
    p_cls = sub.add_parser("classroom", help="serve the panels app to a class with Voila (token, kernel culling)")
    p_cls.add_argument("--ip", default="127.0.0.1",
                       help="address to listen on (default 127.0.0.1; 0.0.0.0 for students on the local network)")
    p_cls.add_argument("--port", type=int, default=8866, help="port (default 8866)")
    p_cls.add_argument("--token", default=None, help="access token (default: a random one, printed with the URL)")
    p_cls.add_argument("--pool", type=int, default=0,
                       help="kernels kept preheated (the notebook already run) for arriving students (default 0)")
    p_cls.add_argument("--cull-idle", type=int, default=600,
                       help="seconds without activity before a kernel that never had a page (a preheated one) is "
                            "shut down (default 600); a kernel whose page left goes within 60 s")
    p_cls.add_argument("--jax-cache", default=str(Path.home() / ".cache" / "ddm_explore" / "jax"),
                       help="persistent JAX compilation cache shared by the kernels ('' for none)")
    p_cls.add_argument("--notebook", default=None, help="notebook to serve (default: notebooks/panels.ipynb)")
    p_cls.set_defaults(func=classroom)
    p_fig = sub.add_parser("figures", help="regenerate the paper's figures headless (HTML, and PNG when possible): "
                                           + ", ".join(FIGURE_NAMES))
    p_fig.add_argument("--out", required=True, help="output folder (created if missing)")
    p_fig.add_argument("--only", nargs="+", metavar="NAME", choices=FIGURE_NAMES,
                       help=f"only these figures, of: {', '.join(FIGURE_NAMES)}")
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
