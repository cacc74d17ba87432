"""Layers import downward only: the data layer knows no unit model, table, diagram, plot or widget.

The data/base layer is :data:`BASE`; unit models and presentation sit above it. Importing a base
module loads no upper module; no base module hides an import inside a function (the sign of a
dodged cycle), and the package's module-level imports have no cycle.
"""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "casekit"
BASE = ("datasets", "glossary", "units", "schemas", "i18n", "errors", "_guard", "settings", "_yaml", "_readonly")
UPPER_NAMES = ("collaboration", "tables", "diagrams", "plotting", "decision_cases", "six_paths", "cost_curves",
               "landscape")


def _is_upper(module: str) -> bool:
    name = module.removeprefix("casekit.")
    return (name in UPPER_NAMES or name.endswith(("_widgets", "_diagrams", "_plots"))
            or name.startswith(("collaboration", "six_paths", "cost_curves", "landscape")))


def _modules() -> dict[str, ast.Module]:
    return {p.stem: ast.parse(p.read_text(encoding="utf-8")) for p in sorted(PKG.glob("*.py"))
            if p.stem not in ("__init__", "__main__")}


def _target(node: ast.ImportFrom, alias: ast.alias) -> str | None:
    """The casekit module a relative import names (``from . import x`` names ``x``)."""
    if node.level != 1:
        return None
    if node.module:
        return node.module.split(".")[0]
    return alias.name


@pytest.mark.parametrize("module", BASE)
def test_a_base_module_loads_no_upper_module(module):
    code = (f"import sys, json; import casekit.{module}; "
            "print(json.dumps(sorted(m for m in sys.modules if m.startswith('casekit'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    upper = [m for m in loaded if _is_upper(m)]
    assert not upper, f"import casekit.{module} loads {upper}: the data layer must not reach up"


def test_base_modules_import_only_base_modules_and_nothing_inside_functions():
    mods = _modules()
    problems = []
    for name in BASE:
        tree = mods[name]
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom):
                continue
            for alias in node.names:
                target = _target(node, alias)
                if target is None:
                    continue
                if target not in BASE:
                    problems.append(f"{name}.py line {node.lineno} imports casekit.{target}, a layer above")
        top = {id(n) for n in tree.body}
        for fn in ast.walk(tree):
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for node in ast.walk(fn):
                    if isinstance(node, ast.ImportFrom) and node.level and id(node) not in top:
                        problems.append(f"{name}.py line {node.lineno}: function-local import from casekit "
                                        f"(in {fn.name}); import at the top, or move the code to its layer")
    assert not problems, "\n".join(problems)


def test_no_cycle_among_module_level_imports():
    mods = _modules()
    graph: dict[str, set[str]] = {}
    for name, tree in mods.items():
        deps = set()
        for node in tree.body:                    # module level only (incl. after `# noqa: E402`)
            if isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    target = _target(node, alias)
                    if target in mods and target != name:
                        deps.add(target)
        graph[name] = deps
    cycles = []
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                cycles.append(path[path.index(dep):] + [dep] if dep in path else [node, dep])
            elif dep not in state:
                visit(dep, path + [dep])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert not cycles, f"import cycles: {cycles}"


def test_import_casekit_keeps_its_public_names():
    code = ("import sys, casekit; ok = callable(casekit.load_dataset) and callable(casekit.dataset_names) "
            "and callable(casekit.set_language) and callable(casekit.show_case) and callable(casekit.table) "
            "and callable(casekit.diagrams.show) and callable(casekit.tables.label_codes); print(ok)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.stdout.strip().endswith("True"), out.stderr


def test_labels_come_from_the_data():
    """The label tables live in the glossary and the codebooks; tables.py re-exports the data layer's."""
    from casekit import collaboration, datasets, tables

    assert tables.label_codes is datasets.label_codes
    assert not hasattr(collaboration, "_LABELS")
    assert collaboration.term("sales", "founder_background") == "sales founders"
    assert collaboration.term("sales") == "sales"        # the department, as the glossary has it
    assert datasets.code_label("mixed", "zh", column="sources.source_type") == "混合来源"


def test_no_import_cycle_inside_the_instructor_package():
    """build and leaks used to import each other (leaks inside a function); imports at any level count."""
    import ast

    pkg = Path(__file__).resolve().parent.parent / "casekit" / "instructor"
    deps: dict[str, set[str]] = {}
    for path in pkg.glob("*.py"):
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                found |= {node.module.split(".")[0]} if node.module else {a.name for a in node.names}
        deps[path.stem] = found

    def reach(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for d in deps.get(todo.pop(), ()):
                if d not in seen:
                    seen.add(d)
                    todo.append(d)
        return seen

    cycles = sorted(m for m in deps if m in reach(m))
    assert not cycles, f"modules of casekit.instructor that import themselves through others: {cycles}"
