"""The committed notebooks are what scripts/ builds: same cells (type, source, nbval tags) in the same
order, executed top to bottom in one run. The cells are built in memory; nothing is executed."""

import ast
import importlib
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ("build_notebooks", "build_lessons", "build_panels_notebook")


def _built():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        out = {}
        for script in SCRIPTS:
            mod = importlib.import_module(script)
            out.update(getattr(mod, "LESSONS", None) or mod.NOTEBOOKS)
        return out
    finally:
        sys.path.remove(str(ROOT / "scripts"))


BUILT = _built()


def _tags(cell):
    return [t for t in cell.metadata.get("tags", []) if t in ("nbval-ignore-output", "nbval-skip", "solution")]


def _prints(source: str) -> bool:
    """Whether a cell shows something when run: its last statement is an expression (displayed),
    or it calls print."""
    tree = ast.parse(source)
    last = bool(tree.body) and isinstance(tree.body[-1], ast.Expr)
    return last or any(isinstance(n, ast.Call) and getattr(n.func, "id", None) == "print" for n in ast.walk(tree))


def test_every_committed_notebook_has_a_script():
    committed = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert committed == sorted(BUILT), "notebooks/ and scripts/ disagree on which notebooks exist"


@pytest.mark.parametrize("name", sorted(BUILT))
def test_committed_notebook_has_the_scripts_cells(name):
    nb = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    built = BUILT[name]
    assert [c.cell_type for c in nb.cells] == [c.cell_type for c in built], name
    for i, (have, want) in enumerate(zip(nb.cells, built)):
        assert have.source == want.source, f"{name} cell {i}: the committed source is not the script's"
        assert _tags(have) == _tags(want), f"{name} cell {i}: tags"


@pytest.mark.parametrize("name", sorted(BUILT))
def test_committed_notebook_was_executed_in_one_run(name):
    """Execution counts 1, 2, ... in cell order (one top-to-bottom run), and every cell that shows
    something (a final expression or a print) carries its output."""
    nb = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    # the lessons' starter code with blanks is never run (skip-execution): no count, no output
    starters = [c for c in code_cells if "skip-execution" in c.metadata.get("tags", [])]
    assert all(c.execution_count is None and not c.outputs for c in starters), name
    cells = [c for c in code_cells if c not in starters]
    assert [c.execution_count for c in cells] == list(range(1, len(cells) + 1)), name
    for i, cell in enumerate(cells):
        if _prints(cell.source):
            assert cell.outputs, f"{name} code cell {i} has no outputs:\n{cell.source}"
        assert not any(o.get("output_type") == "error" for o in cell.outputs), f"{name} code cell {i} raised"
