"""Self-study versions: for learners without an instructor.

The same master, rendered with full correctness checks (every test, hidden ones included, runs
when the learner checks) and hints, and each solution folded below its check under the heading
"Solution · 参考答案". Self-study versions stay in the repository (``dist/selfstudy``); they are
never part of the package students install.
"""
from __future__ import annotations

import copy
import json
import re
import zipfile
from pathlib import Path

from .build import build_student, CHECKER_INIT
from .masters import dist_folder, has_tag as _has_tag, sha256 as _sha256, source as _source

__all__ = ["build_selfstudy", "SOLUTION_HEADING"]

SOLUTION_HEADING = "Solution · 参考答案"
_PROMPT_BLOCK = re.compile(r"^\s*#\s*BEGIN PROMPT.*?^\s*#\s*END PROMPT[^\n]*\n?", re.S | re.M)


def _all_tests(zip_path: Path) -> dict:
    """Every test of the bundle as notebook-metadata tests, all public (self-study checks all)."""
    tests = {}
    with zipfile.ZipFile(zip_path) as zf:
        for name in sorted(n for n in zf.namelist() if re.fullmatch(r"tests/[\w.-]+\.py", n)):
            scope: dict = {}
            exec(zf.read(name).decode("utf-8"), scope)   # the instructor's own bundle
            spec = scope["test"]
            for suite in spec.get("suites", []):
                for case in suite.get("cases", []):
                    case["hidden"] = False
            tests[spec["name"]] = spec
    return tests


def _clean_solution(src: str) -> str:
    """Show a solution as a learner should read it: otter's markers removed."""
    src = _PROMPT_BLOCK.sub("", src)
    lines = []
    for line in src.splitlines():
        if re.search(r"#\s*(BEGIN|END) SOLUTION", line) or line.rstrip().endswith("# SEED"):
            continue
        lines.append(re.sub(r"\s*#\s*SOLUTION(\s+NO PROMPT)?\s*$", "", line))
    return "\n".join(lines).strip("\n")


def _has_tag(cell: dict, tag: str) -> bool:
    return tag in (cell.get("metadata", {}).get("tags") or [])


def _solution_cells(solutions: list[dict]) -> list[dict]:
    heading = {
        "cell_type": "markdown", "metadata": {"tags": ["selfstudy_solution"]},
        "source": (f"#### {SOLUTION_HEADING}\n\n"
                   "Try the exercise and its check first. The solution is folded below: click the "
                   "three dots (···) to open it.\n\n先自己作答并运行检查，再看答案。答案已折叠：点击下方的"
                   "三个点（···）展开。"),
    }
    cells = [heading]
    for sol in solutions:
        cell = {"cell_type": sol["cell_type"], "source": _clean_solution(_source(sol)),
                "metadata": {"jupyter": {"source_hidden": True}, "tags": ["selfstudy_solution"]}}
        if sol["cell_type"] == "code":
            cell.update(execution_count=None, outputs=[])
        cells.append(cell)
    return cells


def build_selfstudy(master: str | Path, dist: str | Path | None = None, rebuild: bool = False) -> Path:
    """Render a master as a self-study notebook: otter's student version, with each solution
    below its exercise's check, under the heading "Solution · 参考答案", collapsed until clicked.

    Written to ``dist/selfstudy/<master name>.ipynb`` (the same file name, so the notebook's
    ``grader.check`` cells keep working). The checks run every test (hidden ones included). Reuses the ``otter
    assign`` output of ``make student`` when the master has not changed since (``rebuild=True``
    forces a fresh build).
    """
    master = Path(master).resolve()
    dist = dist_folder(dist)
    build_dir = dist / "build" / master.stem
    stale = (dist / "autograder" / f"{master.stem}.master-sha256")
    manifest = dist / "autograder" / f"{master.stem}.manifest.json"
    if (rebuild or not stale.exists() or stale.read_text().strip() != _sha256(master.read_bytes())
            or not (build_dir / "student" / master.name).exists()
            or not (build_dir / "autograder" / master.name).exists() or not manifest.exists()):
        build_student(master, dist)
    student = json.loads((dist / "student" / master.name).read_text(encoding="utf-8"))
    solved = json.loads((build_dir / "autograder" / master.name).read_text(encoding="utf-8"))

    # otter writes both notebooks from one transformed list of cells: the autograder copy keeps the
    # solution cells (tagged), the student copy replaces code solutions in place and drops written
    # (Markdown) ones. Walk both together and put each question's solutions after its check cell.
    s_cells = student["cells"]
    out: list[dict] = []
    pending: list[dict] = []
    j = 0

    def flush():
        if pending:
            out.extend(_solution_cells(pending))
            pending.clear()

    for cell in solved["cells"]:
        if _has_tag(cell, "otter_assign_solution_cell"):
            pending.append(cell)
            if cell["cell_type"] == "code" or _has_tag(cell, "otter_include"):
                out.append(s_cells[j])
                j += 1
            continue
        if j >= len(s_cells):
            break
        nxt = s_cells[j]
        j += 1
        if pending and not _source(nxt).lstrip().startswith("grader.check("):
            flush()
        out.append(nxt)
        if _source(nxt).lstrip().startswith("grader.check("):
            flush()
    flush()
    out.extend(s_cells[j:])

    # A self-learner hands nothing in: drop the export cell and its "Submission" heading.
    keep = []
    for k, cell in enumerate(out):
        src = _source(cell)
        if "grader.export(" in src:
            continue
        if (cell["cell_type"] == "markdown" and src.lstrip().startswith("## Submission")
                and k + 1 < len(out) and "grader.export(" in _source(out[k + 1])):
            continue
        keep.append(cell)
    intro = {
        "cell_type": "markdown", "metadata": {"tags": ["selfstudy_intro"]},
        "source": ("**Self-study version · 自学版**\n\n"
                   "Each exercise is followed by its check and then by a folded solution headed "
                   f"\"{SOLUTION_HEADING}\". Write your answer, run the check, and open the "
                   "solution only after trying.\n\n每道题之后依次是检查单元格和折叠的参考答案。先作答、"
                   "运行检查，尝试之后再展开答案。"),
    }
    insert_at = 1 if keep and "casekit.exercises.Checker(" in _source(keep[0]) else 0
    if insert_at:   # full checks: every test runs, with its hints
        keep[0] = dict(keep[0], source=_source(keep[0]).replace(
            f"Checker({master.name!r}", f"Checker({master.name!r}, mode='selfstudy'", 1))
    keep.insert(insert_at, intro)
    nb = copy.deepcopy(student)
    nb["cells"] = keep
    nb.setdefault("metadata", {}).setdefault("otter", {})["tests"] = _all_tests(
        dist / "autograder" / f"{master.stem}.zip")
    for k, cell in enumerate(nb["cells"]):
        cell.setdefault("id", f"selfstudy-{k}")  # new cells need an id (nbformat 4.5)
    import nbformat

    node = nbformat.from_dict(nb)
    target = dist / "selfstudy" / master.name
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(node, str(target))
    return target


