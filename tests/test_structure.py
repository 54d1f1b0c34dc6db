"""The package's structure: layers import one way, functions stay small, one system interface.

These are checks on the source (ast), so they fail the moment a change breaks the layout that
README's layout section and ../shared/STYLE.md describe.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "ddm_explore"
#: layer of each top-level part of the package: a module may import only from its layer or below
LAYERS = {"_checks": 0, "_system": 0, "_steps": 0, "_threads": 0, "_progress": 0, "_estimates": 0, "sdes": 1, "network": 2,
          "io": 3, "matching": 3, "simulation": 3, "inputs": 3, "analysis": 4, "experiments": 5, "panels": 6,
          "cli": 7, "__init__": 8}
#: function-level imports, each with its reason
LOCAL_IMPORTS_ALLOWED = {"cli.py": "the command line loads JAX only for the commands that need it"}
MAX_BODY_LINES, MAX_PARAMETERS, MAX_TYPE_DISPATCHES = 80, 14, 10


def _modules():
    return sorted(p for p in PACKAGE.rglob("*.py"))


def _part(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0].removesuffix(".py")


def _imported_parts(path: Path, tree) -> set:
    """Top-level parts of the package that a module imports (relative imports resolved)."""
    rel = path.relative_to(PACKAGE)
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = list(rel.parts[:-1])[: len(rel.parts) - node.level]
            parts = base + (node.module.split(".") if node.module else [])
            if parts:
                out.add(parts[0].removesuffix(".py"))
            else:  # "from . import x" at the top
                out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("ddm_explore."):
            out.add(node.module.split(".")[1])
    return out


def _functions(tree):
    return [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def test_layers_import_one_way():
    wrong = []
    for path in _modules():
        tree = ast.parse(path.read_text())
        mine = LAYERS[_part(path)]
        for part in _imported_parts(path, tree):
            if part in LAYERS and LAYERS[part] > mine:
                wrong.append(f"{path.relative_to(PACKAGE)} imports {part}")
    assert not wrong, wrong


def test_functions_are_short_with_few_parameters():
    long, wide = [], []
    for path in _modules():
        for fn in _functions(ast.parse(path.read_text())):
            body = fn.body[1:] if ast.get_docstring(fn) else fn.body
            lines = body[-1].end_lineno - body[0].lineno + 1 if body else 0
            a = fn.args
            n_params = len(a.posonlyargs + a.args + a.kwonlyargs) + bool(a.vararg) + bool(a.kwarg)
            if lines > MAX_BODY_LINES:
                long.append(f"{path.relative_to(PACKAGE)}:{fn.lineno} {fn.name}: {lines} lines")
            if n_params > MAX_PARAMETERS:
                wide.append(f"{path.relative_to(PACKAGE)}:{fn.lineno} {fn.name}: {n_params} parameters")
    assert not long and not wide, long + wide


def test_no_local_imports():
    found = []
    for path in _modules():
        if path.name in LOCAL_IMPORTS_ALLOWED:
            continue
        for fn in _functions(ast.parse(path.read_text())):
            found += [f"{path.relative_to(PACKAGE)}:{n.lineno}" for n in ast.walk(fn) if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert not found, found


def test_few_type_dispatches_on_network_or_sde():
    # simulate, fields, fixed points, exponents and irreversibility are written once for a system
    # (ddm_explore/_system.py): a type check on Network or SDE is the exception
    hits = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "isinstance" and len(node.args) == 2:
                names = {n.id for n in ast.walk(node.args[1]) if isinstance(n, ast.Name)}
                if names & {"Network", "SDE"}:
                    hits.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert len(hits) <= MAX_TYPE_DISPATCHES, hits


@pytest.mark.parametrize("name", ["simulate", "simulation", "fit", "matching_errors", "Optax", "ClosedForm"])
def test_public_names_have_one_home(name):
    import ddm_explore as ddm

    assert hasattr(ddm, name)
    # each public function is defined once and re-exported, never a second implementation
    defs = [p for p in _modules() for n in ast.walk(ast.parse(p.read_text()))
            if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name == name]
    assert len(defs) <= 1, defs


def test_simulation_subpackage_is_reachable():
    import ddm_explore as ddm

    assert callable(ddm.simulate) and callable(ddm.simulation.check_stable_dt)
