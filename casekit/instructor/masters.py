"""Finding exercise masters and reading their structure (otter-grader's assign format).

A master's *setup* is its code cells before the first question (imports, data loads): the hidden
tests see the names these define, run fresh from the master, never from a student's cells. Its
*answer names* are the names its solution cells assign; only these leave a student's run.
"""
from __future__ import annotations

import ast
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import yaml

from ..errors import CasekitError

__all__ = ["ROOT", "EXERCISES", "DIST", "in_clone", "dist_folder", "Question", "MasterInfo", "exercise_masters", "find_masters",
           "parse_master", "source", "has_tag", "answer_names_of", "is_boilerplate"]

ROOT = Path(__file__).resolve().parent.parent.parent
EXERCISES = ROOT / "notebooks" / "exercises"
DIST = ROOT / "dist"


def in_clone() -> bool:
    """Is casekit running from the kit's repository (masters and dist/ beside it), not a wheel?"""
    return (ROOT / "pyproject.toml").is_file() and EXERCISES.is_dir()


def dist_folder(dist: str | Path | None) -> Path:
    """Where instructor commands write: the folder given, else the clone's ``dist/``. An installed
    casekit writes only where it is told (never into site-packages)."""
    if dist:
        return Path(dist).resolve()
    if not in_clone():
        raise CasekitError("Tell casekit where to write: pass --dist FOLDER (an installed casekit has no "
                           "repository folder to write into, and writes only where it is told).")
    return DIST.resolve()

_RAW_BLOCK = re.compile(r"^\s*#\s*(BEGIN|END)\s+(QUESTION|SOLUTION|TESTS|PROMPT)\b", re.I)
CONFIG = re.compile(r'^\s*"""\s*#\s*BEGIN TEST CONFIG(.*?)"""\s*#\s*END TEST CONFIG\s*\n?', re.S)


def source(cell: dict) -> str:
    """A cell's text; any other shape (a submission's ``"source": [1]``) reads as its text parts only."""
    src = cell.get("source", "") if isinstance(cell, dict) else ""
    if isinstance(src, str):
        return src
    if isinstance(src, list):
        return "".join(s for s in src if isinstance(s, str))
    return ""


def has_tag(cell: dict, tag: str) -> bool:
    meta = cell.get("metadata") if isinstance(cell, dict) else None
    tags = (meta.get("tags") if isinstance(meta, dict) else None) or []
    return isinstance(tags, list) and tag in tags


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def exercise_masters(exercises: str | Path | None = None) -> list[Path]:
    """Every exercise master (``notebooks/exercises/*.ipynb``), in teaching order."""
    folder = Path(exercises) if exercises else EXERCISES
    if not folder.is_dir():
        if not exercises and not in_clone():
            raise CasekitError("Exercise masters are not part of the installed package (they hold the "
                               "solutions). Pass --exercises FOLDER with the masters from the casekit "
                               "repository.")
        raise CasekitError(f"The exercise folder {folder} does not exist. Run this from the casekit "
                           "repository, or pass --exercises with the folder that holds the masters.")
    return sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))


def find_masters(selectors: Sequence[str] = (), exercises: str | Path | None = None) -> list[Path]:
    """The masters named by ``selectors`` (a number such as ``"02"``, a part of the name such as
    ``"keda"``, or a path); every master when ``selectors`` is empty."""
    masters = exercise_masters(exercises)
    if not selectors:
        if not masters:
            raise CasekitError(f"No exercise masters (*.ipynb) in {exercises or EXERCISES}.")
        return masters
    chosen: list[Path] = []
    for sel in selectors:
        path = Path(sel)
        if path.suffix == ".ipynb" and path.exists():
            hits = [path.resolve()]
        else:
            hits = [m for m in masters if m.stem.startswith(sel) or sel.lower() in m.stem.lower()]
        if not hits:
            names = ", ".join(m.stem for m in masters) or "(none)"
            raise CasekitError(f"No exercise master matches {sel!r}. Give its number (e.g. '00') or "
                               f"part of its name. Masters found: {names}.")
        chosen += [h for h in hits if h not in chosen]
    return chosen


@dataclass
class Question:
    """One question of a master. A written (manual) question may carry its marking guide in the
    metadata of its ``# BEGIN QUESTION`` cell::

        "metadata": {"casekit": {"rubric": {
            "levels": [{"points": 2, "label": "full · 满分", "description": "..."},
                       {"points": 1, "label": "partial · 部分", "description": "..."},
                       {"points": 0, "label": "none · 不得分", "description": "..."}],
            "model_answer": "..."}}}

    Without a ``model_answer`` there, the master's solution cell is the model answer.
    """
    name: str
    points: float
    manual: bool = False
    answer_names: list[str] = field(default_factory=list)
    prompt: str = ""
    rubric: dict = field(default_factory=dict)
    model_answer: str = ""


@dataclass
class MasterInfo:
    path: Path
    name: str
    sha256: str
    setup: list[str]
    questions: list[Question]
    run_cells: list[tuple[int, str]]      # the master's own code cells outside test blocks

    @property
    def answer_names(self) -> list[str]:
        return list(dict.fromkeys(n for q in self.questions for n in q.answer_names))


def _targets(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, (ast.Tuple, ast.List)):
        return [n for elt in node.elts for n in _targets(elt)]
    if isinstance(node, ast.Starred):
        return _targets(node.value)
    if isinstance(node, (ast.Subscript, ast.Attribute)):
        return _targets(node.value)
    return []


def answer_names_of(code: str) -> list[str]:
    """Names a solution cell assigns at top level (``x = …``, ``x[k] = …``, ``a, b = …``)."""
    code = "\n".join(ln for ln in code.splitlines() if not ln.lstrip().startswith(("%", "!")))
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    names: list[str] = []

    def walk(stmts):
        for st in stmts:
            if isinstance(st, ast.Assign):
                for t in st.targets:
                    names.extend(_targets(t))
            elif isinstance(st, (ast.AugAssign, ast.AnnAssign)):
                names.extend(_targets(st.target))
            elif isinstance(st, (ast.For, ast.While, ast.If, ast.With, ast.Try)):
                for part in ("body", "orelse", "finalbody"):
                    walk(getattr(st, part, []) or [])
                for h in getattr(st, "handlers", []) or []:
                    walk(h.body)
    walk(tree.body)
    return list(dict.fromkeys(names))


def parse_master(path: str | Path) -> MasterInfo:
    """Read a master's setup cells, questions (points, manual) and answer names."""
    path = Path(path)
    raw = path.read_bytes()
    try:
        nb = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise CasekitError(f"The master {path.name} is not a readable notebook ({exc}).") from exc
    setup: list[str] = []
    questions: list[Question] = []
    run_cells: list[tuple[int, str]] = []
    stack: list[str] = []
    current: Question | None = None
    seen_question = False
    for k, cell in enumerate(nb.get("cells", [])):
        src = source(cell)
        first = src.strip().splitlines()[0] if src.strip() else ""
        if cell.get("cell_type") == "raw":
            m = _RAW_BLOCK.match(first)
            if m:
                begin, block = m.group(1).upper() == "BEGIN", m.group(2).upper()
                if block == "QUESTION" and begin:
                    try:
                        conf = yaml.safe_load(src.split("\n", 1)[1]) or {}
                    except (yaml.YAMLError, IndexError):
                        conf = {}
                    if not isinstance(conf, dict) or not conf.get("name"):
                        raise CasekitError(f"{path.name}, cell {k + 1}: a BEGIN QUESTION cell needs a name.")
                    current = Question(str(conf["name"]), float(conf.get("points") or 0),
                                       bool(conf.get("manual")), rubric=_rubric_of(cell))
                    questions.append(current)
                    seen_question = True
                if begin:
                    stack.append(block)
                elif stack:
                    stack.pop()
            continue
        if cell.get("cell_type") == "markdown" and current is not None and stack[-1:] == ["QUESTION"]:
            current.prompt += ("\n\n" if current.prompt else "") + src.strip()
        if cell.get("cell_type") == "markdown" and current is not None and "SOLUTION" in stack and current.manual:
            current.model_answer += ("\n\n" if current.model_answer else "") + src.strip()
        if cell.get("cell_type") != "code":
            continue
        if "TESTS" in stack:
            continue
        if not seen_question:
            setup.append(src)
        run_cells.append((k, src))
        if "SOLUTION" in stack and current is not None:
            current.answer_names += [n for n in answer_names_of(src) if n not in current.answer_names]
    return MasterInfo(path, path.stem, sha256(raw), setup, questions, run_cells)


def _rubric_of(cell: dict) -> dict:
    """The marking guide in a BEGIN QUESTION cell's metadata (``casekit.rubric``), checked for shape."""
    meta = (cell.get("metadata") or {}).get("casekit") or {}
    rubric = meta.get("rubric") if isinstance(meta, dict) else None
    if not isinstance(rubric, dict):
        return {}
    levels = [lv for lv in rubric.get("levels") or [] if isinstance(lv, dict)]
    out = {"levels": [{"points": lv.get("points"), "label": str(lv.get("label", "")),
                       "description": str(lv.get("description", ""))} for lv in levels]}
    if isinstance(rubric.get("model_answer"), str):
        out["model_answer"] = rubric["model_answer"]
    return out


_BOILERPLATE = re.compile(r"^\s*(grader\.(check|check_all|export)\(|#\s*Save your notebook first)")


def is_boilerplate(src: str) -> bool:
    """otter's (or casekit's) own cells in a handout: initialising the checker, checks, export.
    A submission's run skips them: they are not the student's answers."""
    return bool(_BOILERPLATE.match(src)) or "otter.Notebook(" in src or "casekit.exercises.Checker(" in src
