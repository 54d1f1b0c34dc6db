"""What the notebook build scripts share: the cell helpers, `write` and `execute` (one environment).

    from _notebook_build import code, md, show, write, execute

A build script keeps its own list of cells; `build` writes and executes the chosen ones.
Executing needs the package's environment (.venv/bin/python scripts/build_....py).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat as nbf

ROOT = Path(__file__).resolve().parent.parent
NB = ROOT / "notebooks"
md, code = nbf.v4.new_markdown_cell, nbf.v4.new_code_cell


def ignore_output(cell):
    """nbval: don't compare this cell's output (plotly JSON carries random trace ids, widgets their ids)."""
    cell.metadata.setdefault("tags", []).append("nbval-ignore-output")
    return cell


def show(src: str):
    """A cell that displays a figure or widgets: nbval does not compare its output."""
    return ignore_output(code(src))


def collapsed(src: str, title: str = "Solution"):
    """A solution cell, collapsed in JupyterLab: its code and its output stay hidden until clicked
    (nbval still runs it and checks the output)."""
    cell = code(src)
    cell.metadata["jupyter"] = {"source_hidden": True, "outputs_hidden": True}
    cell.metadata.setdefault("tags", []).append("solution")
    return cell


def blanks(src: str):
    """Starter code with blanks (``___``) for the student to fill: not run when the notebook is
    built (nbclient's ``skip-execution``) nor when it is tested (``nbval-skip``), so it stores no
    output."""
    cell = code(src)
    cell.metadata.setdefault("tags", []).extend(["skip-execution", "nbval-skip"])
    return cell


def notebook(cells: list):
    """The notebook object of these cells (python3 kernel), not yet written."""
    nb = nbf.v4.new_notebook()
    nb.cells = cells
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def write(name: str, cells: list) -> Path:
    """Write notebooks/<name>.ipynb with these cells (no outputs); returns its path."""
    path = NB / f"{name}.ipynb"
    nbf.write(notebook(cells), path)
    return path


def environment() -> dict:
    """The one environment every notebook is executed in: plotly's mimetype renderer (what nbval and
    JupyterLab show), a fixed hash seed, the CPU unless the caller chose a JAX platform."""
    env = dict(os.environ, PLOTLY_RENDERER="plotly_mimetype", PYTHONHASHSEED="0")
    env.setdefault("JAX_PLATFORMS", "cpu")
    return env


def execute(path: Path) -> None:
    """Run the notebook in place, in notebooks/; the widget state (which would embed plotly.js,
    megabytes) is not stored."""
    subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", "--inplace",
                    "--ExecutePreprocessor.timeout=600", "--ExecutePreprocessor.store_widget_state=False", str(path)],
                   check=True, env=environment(), cwd=NB)


#: what a stored widget output says where no kernel runs it (a notebook opened before it is run)
WIDGET_NOTE = "A live panel: run the notebook (Run > Run All Cells) to use it here, or open the app with python3 dev.py classroom."


def describe_widgets(path: Path) -> None:
    """Replace the plain-text fallback of every stored widget output (``VBox(children=(HBox(...``,
    which JupyterLab shows for an untrusted or not yet run notebook) by :data:`WIDGET_NOTE`."""
    nb = nbf.read(path, as_version=4)
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "application/vnd.jupyter.widget-view+json" in data:
                data["text/plain"] = WIDGET_NOTE
    nbf.write(nb, path)


def build(notebooks: dict[str, list], prefixes: list[str], after=None) -> None:
    """Write and execute the notebooks whose name starts with one of the prefixes (all if none);
    ``after(path)``, if given, runs on each executed notebook."""
    for name, cells in notebooks.items():
        if prefixes and not any(name.startswith(p) for p in prefixes):
            continue
        path = write(name, cells)
        execute(path)
        if after is not None:
            after(path)
        print("built", path.name, flush=True)
