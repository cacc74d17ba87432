"""A student's exercise session, driven in a real kernel: answers typed into the handed-out notebook,
its own check cells run, what each check said read back.

``session(handout, master, lang, mode)`` copies the handout (student or self-study version) into a
fresh folder under its own file name, types the master's solutions into its answer cells, saves it,
and executes it with nbclient in a kernel started with ``CASEKIT_LANG=lang``: every check cell runs
as the student runs it, and the export cell writes the zip that grading reads. Cells appended after
the handout's own then try, per question, the other things a student types: the same answers as
Chinese names, a form slip (a tuple for a list, a list for a set, text for a number …), an answer
left as handed out, a cell that raises, and a well-formed wrong answer (from
``tests/data/exercise_journeys.yaml``). Each appended check prints one JSON line that the test
reads back.
"""
from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import yaml

from exercise_masters import parse
from notebook_runner import execute

ROOT = Path(__file__).resolve().parent.parent
_WRONG_FILE = ROOT / "tests" / "data" / "exercise_journeys.yaml"
WRONG = yaml.safe_load(_WRONG_FILE.read_text(encoding="utf-8")) if _WRONG_FILE.exists() else {}

# Runs in the student's kernel after the handout's own cells: the other cases, one JSON line each.
_PROBE = r'''
import json as _json, pandas as _pd
from casekit import glossary as _g
_ids = set(_g.glossary()["id"].astype(str))
def _zh(v):
    if isinstance(v, str):
        return _g.label(v, "zh") if v in _ids else v
    if isinstance(v, list):
        return [_zh(x) for x in v]
    if isinstance(v, tuple):
        return tuple(_zh(x) for x in v)
    if isinstance(v, (set, frozenset)):
        return {_zh(x) for x in v}
    if isinstance(v, dict):
        return {k: _zh(x) for k, x in v.items()}
    return v
def _slip(v):
    """The same answer with the commonest slip of its type."""
    if isinstance(v, bool): return str(v)
    if isinstance(v, (int, float)): return str(v)
    if isinstance(v, str): return [v]
    if isinstance(v, list): return tuple(v)
    if isinstance(v, (set, frozenset)): return sorted(v, key=str)
    if isinstance(v, tuple): return list(v)
    if isinstance(v, dict): return list(v.items())
    if isinstance(v, _pd.DataFrame): return v.to_dict()
    if isinstance(v, _pd.Series): return v.tolist()
    return None
def _report(case, q, r):
    print("JOURNEY " + _json.dumps({"case": case, "q": q, "status": r.status, "text": repr(r)}, ensure_ascii=False))
_right = {n: globals()[n] for n in %(names)r if n in globals()}
'''


@dataclass
class Session:
    exercise: str
    lang: str
    mode: str
    checks: dict[str, str] = field(default_factory=dict)        # question -> what its own check cell showed
    cases: list[dict] = field(default_factory=list)             # {"case", "q", "status", "text"}
    export: Path | None = None
    export_output: str = ""

    def case(self, case: str, q: str) -> dict:
        return next(c for c in self.cases if c["case"] == case and c["q"] == q)


def _source(cell) -> str:
    return cell.source if isinstance(cell.source, str) else "".join(cell.source)


def _text(outputs) -> str:
    parts = []
    for o in outputs:
        if o.get("output_type") == "stream":
            parts.append(o.get("text", ""))
        elif "data" in o:
            parts.append(o["data"].get("text/plain", ""))
        elif o.get("output_type") == "error":
            parts.append(f"{o.get('ename')}: {o.get('evalue')}")
    return "\n".join(parts)


def solutions(master: Path) -> list[str]:
    """The master's solution code cells, in order, as a student would type them."""
    m = parse(master)
    return [re.sub(r"[ \t]*#\s*SOLUTION\s*$", "", src, flags=re.M)
            for q in m.questions for src in q.solution_code]


def questions(master: Path) -> dict[str, list[str]]:
    """Autograded questions and their answer names."""
    return {q.name: q.answer_names for q in parse(master).questions if q.solution_code}


def session(handout: Path, master: Path, lang: str, mode: str, work: Path, extra_cases: bool = True) -> Session:
    work.mkdir(parents=True, exist_ok=True)
    target = work / handout.name
    nb = nbformat.read(handout, as_version=4)
    answer_cells = [c for c in nb.cells if c.cell_type == "code" and "otter_answer_cell" in c.metadata.get("tags", [])]
    sols = solutions(master)
    assert len(answer_cells) == len(sols), f"{handout.name}: {len(answer_cells)} answer cells, {len(sols)} solutions"
    for cell, src in zip(answer_cells, sols):
        cell.source = src
    qs = questions(master)
    n_own = len(nb.cells)
    if extra_cases:
        names = [n for ns in qs.values() for n in ns]
        nb.cells.append(nbformat.v4.new_code_cell(_PROBE % {"names": names}))
        wrong = WRONG.get(master.stem, {})
        for q, ns in qs.items():
            restore = "\n".join(f"{n} = _right[{n!r}]" for n in ns)
            cases = {
                "zh_names": "\n".join(f"{n} = _zh(_right[{n!r}])" for n in ns),
                "slip": f"{ns[0]} = _slip(_right[{ns[0]!r}])",
                "not_attempted": f"{ns[0]} = ...",
            }
            if q in wrong:
                cases["wrong"] = "\n".join(f"{n} = {expr}" for n, expr in wrong[q].items())
            for case, body in cases.items():
                nb.cells.append(nbformat.v4.new_code_cell(f"{restore}\n{body}\n_report({case!r}, {q!r}, grader.check({q!r}))"))
            # a cell that raises, then the check (the student's real cell order)
            nb.cells.append(nbformat.v4.new_code_cell(f"{restore}\n{ns[0]} = undefined_name_in_journey"))
            nb.cells.append(nbformat.v4.new_code_cell(f"_report('raised', {q!r}, grader.check({q!r}))"))
            nb.cells.append(nbformat.v4.new_code_cell(restore))
    nbformat.write(nb, str(target))   # the export cell zips the notebook as saved on disk
    for stale in work.glob("*.zip"):
        stale.unlink()
    old = os.environ.get("CASEKIT_LANG")
    os.environ["CASEKIT_LANG"] = lang
    try:
        execute(nb, f"{handout.name} [{lang}, {mode}]", work, allow_errors=True)
    finally:
        if old is None:
            os.environ.pop("CASEKIT_LANG", None)
        else:
            os.environ["CASEKIT_LANG"] = old
    out = Session(handout.stem, lang, mode)
    for cell in nb.cells[:n_own]:
        src = _source(cell).strip()
        m = re.fullmatch(r'grader\.check\("(\w+)"\)', src)
        if m:
            out.checks[m.group(1)] = _text(cell.get("outputs", []))
        if "grader.export(" in src:
            out.export_output = _text(cell.get("outputs", []))
    for cell in nb.cells[n_own:]:
        for line in _text(cell.get("outputs", [])).splitlines():
            if line.startswith("JOURNEY "):
                out.cases.append(json.loads(line[len("JOURNEY "):]))
    zips = sorted(work.glob("*.zip"))
    out.export = zips[-1] if zips else None
    return out


def copy_submission(zip_path: Path, folder: Path, student: str) -> Path:
    dest = folder / student
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(zip_path, dest / zip_path.name)
    return dest
