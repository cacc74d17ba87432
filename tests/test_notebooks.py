"""Every notebook runs top to bottom from a fresh kernel, and is stored without outputs.

A new notebook under notebooks/ is picked up the moment it exists. Exercise masters are checked by
``otter assign`` in test_exercises.py instead (their solution cells are otter syntax).
"""
import json
from pathlib import Path

import nbformat
import pytest
from notebook_runner import execute

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
ALL = sorted(p for p in (ROOT / "notebooks").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


@pytest.mark.parametrize("path", ALL, ids=lambda p: str(p.relative_to(ROOT)))
def test_stored_without_outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    dirty = [i for i, c in enumerate(nb["cells"]) if c.get("outputs") or c.get("execution_count")]
    assert not dirty, f"{path.name}: cells {dirty} have outputs; run `jupyter nbconvert --clear-output --inplace {path}`"


@pytest.mark.parametrize("path", ALL, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_function_definitions_in_narrative(path):
    if "exercises" in path.parts:
        return
    nb = nbformat.read(path, as_version=4)
    defs = [c.source[:60] for c in nb.cells if c.cell_type == "code" and
            any(line.lstrip().startswith(("def ", "class ")) for line in c.source.splitlines())]
    assert not defs, f"{path.name}: notebooks narrate and call; move these into casekit: {defs}"


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_from_fresh_kernel(path):
    nb = nbformat.read(path, as_version=4)
    # bounded: a kernel that does not start in 120 s, or a cell silent for 60 s, fails naming the cell
    execute(nb, path.name, path.parent)
    errors = [
        (i, o.get("ename"), o.get("evalue"))
        for i, c in enumerate(nb.cells) if c.cell_type == "code"
        for o in c.get("outputs", []) if o.get("output_type") == "error"
        and "raises-exception" not in c.metadata.get("tags", [])
    ]
    assert not errors, errors
    # nothing shows a raw Python traceback to a reader, even in cells that demonstrate a mistake
    for c in nb.cells:
        for o in c.get("outputs", []):
            text = o.get("text", "") if o.get("output_type") == "stream" else ""
            assert "Traceback (most recent call last)" not in text
