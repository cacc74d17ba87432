"""Instructor tools: student versions, offline autograding and self-study mode.

Everything here drives otter-grader itself (``otter assign`` builds the student version and the
autograder bundle, ``otter run`` grades one submission without Docker); this module only finds the
masters, checks the results, keeps going past broken submissions and writes tables an instructor
can read.

Command line (run from the repository root)::

    python -m casekit.instructor list                     # the exercise masters found
    python -m casekit.instructor student [00 02 ...]      # dist/student/*.ipynb + dist/autograder/*.zip
    python -m casekit.instructor grade SUBMISSIONS_DIR    # dist/grades/: CSV tables + feedback/*.md
    python -m casekit.instructor selfstudy [00 02 ...]    # dist/selfstudy/*.ipynb, solutions collapsed
    python -m casekit.instructor scan                     # re-check dist/student/ for leaked solutions

Every master is ``notebooks/exercises/*.ipynb``, so a unit's master is covered as soon as it lands.
"""
from __future__ import annotations

import argparse
import ast
import copy
import csv
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import yaml

from .errors import CasekitError

__all__ = [
    "Leak", "Build", "exercise_masters", "find_masters", "build_student", "scan_for_leaks",
    "scan_built", "build_selfstudy", "build_students", "grade", "default_jobs", "main",
]

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = ROOT / "notebooks" / "exercises"
DIST = ROOT / "dist"
# Bump when the shape of a cached grading result changes, so old cache entries are not reused.
CACHE_VERSION = "1"
SOLUTION_HEADING = "Solution · 参考答案"


# --------------------------------------------------------------------------------------------
# finding masters and running otter
# --------------------------------------------------------------------------------------------

def exercise_masters(exercises: str | Path | None = None) -> list[Path]:
    """Every exercise master (``notebooks/exercises/*.ipynb``), in teaching order."""
    folder = Path(exercises) if exercises else EXERCISES
    if not folder.is_dir():
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


_running: set[subprocess.Popen] = set()
_running_lock = threading.Lock()


def _kill(proc: subprocess.Popen) -> None:
    """Stop an otter run and the kernel it started (its own process group)."""
    try:
        if hasattr(os, "killpg"):
            os.killpg(proc.pid, signal.SIGKILL)
        else:  # pragma: no cover - Windows
            proc.kill()
    except (ProcessLookupError, PermissionError):
        pass


def _stop_running() -> None:
    with _running_lock:
        for proc in list(_running):
            _kill(proc)


def _otter(*args: str, cwd: Path, timeout: float) -> subprocess.CompletedProcess:
    """Run the otter command line of this Python environment.

    Each run gets its own process group, so a timeout or an interrupted batch stops the run and
    the notebook kernel it started, and a Ctrl-C reaches casekit, not half-finished otter runs.
    """
    cmd = [sys.executable, "-m", "otter", *args]
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, start_new_session=True)
    with _running_lock:
        _running.add(proc)
    try:
        out, err = proc.communicate(timeout=timeout)
    except BaseException:   # timeout, or an interrupt in the calling thread
        _kill(proc)
        proc.communicate()
        raise
    finally:
        with _running_lock:
            _running.discard(proc)
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Build:
    """What ``build_student`` produced for one master."""
    master: Path
    student: Path          # the notebook to hand out
    autograder: Path       # the zip that ``otter run`` grades with
    build_dir: Path        # otter assign's full output (student/ and autograder/)
    master_sha256: str

    def __repr__(self) -> str:
        return (f"Build({self.master.name})\n  student:    {self.student}\n"
                f"  autograder: {self.autograder}")


def _assign_hint(log: str) -> str:
    if "Expected nothing" in log and "Got:" in log:
        return ("\nHint: a test cell ends in a bare expression. otter compares what it prints with "
                "the cell's stored output, and masters are stored without outputs, so write the test "
                "as `assert <expression>` instead.")
    return ""


def build_student(master: str | Path, dist: str | Path | None = None, timeout: float = 900) -> Build:
    """Run ``otter assign`` on one master and collect the results under ``dist``.

    Writes ``dist/build/<name>/`` (otter's own output), ``dist/student/<name>.ipynb`` (hand this
    out) and ``dist/autograder/<name>.zip`` (grade with it). Refuses to leave a student version
    behind if it leaks solution text or hidden tests (see :func:`scan_for_leaks`).
    """
    master = Path(master).resolve()
    if not master.exists():
        raise CasekitError(f"The exercise master {master} does not exist.")
    dist = Path(dist or DIST).resolve()
    build_dir = dist / "build" / master.stem
    shutil.rmtree(build_dir, ignore_errors=True)
    build_dir.parent.mkdir(parents=True, exist_ok=True)
    # cwd = the master's folder, so files the master names in its config are found.
    res = _otter("assign", str(master), str(build_dir), cwd=master.parent, timeout=timeout)
    log = res.stdout + res.stderr
    student_nb = build_dir / "student" / master.name
    zips = sorted((build_dir / "autograder").glob("*.zip"))
    if res.returncode != 0 or not student_nb.exists() or not zips:
        shutil.rmtree(build_dir, ignore_errors=True)
        tail = "\n".join(log.strip().splitlines()[-25:])
        raise CasekitError(f"otter assign failed on {master.name} (its solutions must pass its own "
                           f"tests). The end of otter's report:\n{tail}{_assign_hint(log)}")
    leaks = scan_for_leaks(master, student_nb)
    if leaks:
        shutil.rmtree(build_dir / "student", ignore_errors=True)
        raise CasekitError(f"The student version of {master.name} would leak {len(leaks)} item(s); "
                           "nothing was written to dist/student. Fix the master (solutions inside "
                           "# BEGIN SOLUTION / # END SOLUTION raw cells, hidden tests marked "
                           "hidden: true):\n" + "\n".join(f"  - {leak}" for leak in leaks))
    out_student = dist / "student" / master.name
    out_zip = dist / "autograder" / f"{master.stem}.zip"
    out_student.parent.mkdir(parents=True, exist_ok=True)
    out_zip.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(student_nb, out_student)
    shutil.copy2(zips[-1], out_zip)
    sha = _sha256(master.read_bytes())
    (out_zip.with_suffix(".master-sha256")).write_text(sha + "\n")
    return Build(master, out_student, out_zip, build_dir, sha)


def default_jobs() -> int:
    """How many otter runs to do at once: one per CPU core (each runs its own kernel)."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def build_students(masters: Iterable[str | Path], dist: str | Path | None = None,
                   jobs: int | None = None, timeout: float = 900,
                   on_done=None) -> dict[str, Build | CasekitError]:
    """:func:`build_student` for several masters, ``jobs`` at a time (default: one per core).

    Returns ``{master file name: Build}``, or the :class:`CasekitError` that explains why that
    master failed; one failing master never stops the others. ``on_done(name, result)`` is called
    as each finishes.
    """
    masters = [Path(m) for m in masters]
    results: dict[str, Build | CasekitError] = {}

    def one(master: Path):
        try:
            return build_student(master, dist, timeout=timeout)
        except CasekitError as exc:
            return exc

    pool = ThreadPoolExecutor(max_workers=max(1, jobs or default_jobs()))
    futures: dict = {}
    try:
        futures = {pool.submit(one, m): m for m in masters}
        for fut in as_completed(futures):
            name = futures[fut].name
            results[name] = fut.result()
            if on_done:
                on_done(name, results[name])
    except KeyboardInterrupt:
        for fut in futures:
            fut.cancel()
        _stop_running()     # the otter runs have their own process group: stop them here
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return {m.name: results[m.name] for m in masters}


# --------------------------------------------------------------------------------------------
# leak scan
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Leak:
    """A piece of the master that must not appear in the student version."""
    kind: str        # "solution", "hidden test", "marker"
    question: str
    text: str

    def __str__(self) -> str:
        return f"{self.kind} ({self.question or 'outside questions'}): {self.text[:120]!r}"


_RAW_BLOCK = re.compile(r"^\s*#\s*(BEGIN|END)\s+(QUESTION|SOLUTION|TESTS|PROMPT)\b", re.I)
_CONFIG = re.compile(r'^\s*"""\s*#\s*BEGIN TEST CONFIG(.*?)"""\s*#\s*END TEST CONFIG\s*\n?', re.S)
_MARKERS = ["# BEGIN SOLUTION", "# END SOLUTION", "# BEGIN TESTS", "# BEGIN QUESTION",
            "BEGIN TEST CONFIG", "hidden: true", "# ASSIGNMENT CONFIG"]
_MIN_SECRET = 8  # shorter fragments ("6", "True") are not evidence of a leak


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _code_forms(text: str) -> set[str]:
    """A code fragment as written and as Python would print it back (otter re-quotes tests)."""
    forms = {_squash(text)}
    for mode in ("eval", "exec"):
        try:
            forms.add(_squash(ast.unparse(ast.parse(text.strip(), mode=mode))))
        except (SyntaxError, ValueError):
            continue
    return {f for f in forms if f}


def _master_parts(master: dict) -> tuple[list[tuple[str, str, str]], str]:
    """Secrets of a master as (kind, question, text), and all of its public text."""
    secrets: list[tuple[str, str, str]] = []
    public: list[str] = []
    question, stack = "", []
    for cell in master.get("cells", []):
        src = _source(cell)
        first = src.strip().splitlines()[0] if src.strip() else ""
        if cell.get("cell_type") == "raw":
            m = _RAW_BLOCK.match(first)
            if m:
                begin, block = m.group(1).upper() == "BEGIN", m.group(2).upper()
                if block == "QUESTION" and begin:
                    try:
                        question = str((yaml.safe_load(src.split("\n", 1)[1]) or {}).get("name", ""))
                    except (yaml.YAMLError, IndexError, AttributeError):
                        question = ""
                if begin:
                    stack.append(block)
                elif stack:
                    stack.pop()
                continue
            continue  # assignment config and other raw cells never reach students
        in_solution = "SOLUTION" in stack
        in_tests = "TESTS" in stack
        if in_tests and cell.get("cell_type") == "code":
            cfg = _CONFIG.match(src)
            conf = {}
            if cfg:
                try:
                    conf = yaml.safe_load(cfg.group(1)) or {}
                except yaml.YAMLError:
                    conf = {}
            body = src[cfg.end():] if cfg else src
            if conf.get("hidden"):
                secrets += [("hidden test", question, line) for line in body.splitlines() if line.strip()]
                if conf.get("failure_message"):
                    secrets.append(("hidden test", question, str(conf["failure_message"])))
                if conf.get("success_message"):
                    secrets.append(("hidden test", question, str(conf["success_message"])))
            else:
                public.append(body)
                public += [str(conf.get(k, "")) for k in ("failure_message", "success_message")]
            continue
        if cell.get("cell_type") != "code":
            (secrets.extend(("solution", question, line) for line in src.splitlines() if line.strip())
             if in_solution else public.append(src))
            continue
        block = False
        for line in src.splitlines():
            stripped = line.rstrip()
            if re.search(r"#\s*BEGIN SOLUTION", stripped):
                block = True
                continue
            if re.search(r"#\s*END SOLUTION", stripped):
                block = False
                continue
            marked = re.search(r"\s*#\s*SOLUTION(\s+NO PROMPT)?\s*$", stripped)
            if block or marked:
                text = stripped[:marked.start()] if marked else stripped
                # `x = value  # SOLUTION` keeps `x = ...` for the student; the value is the secret.
                assign = re.match(r"^\s*[\w.\[\]'\", ]+?\s*=(?!=)(.*)$", text) if marked else None
                secrets.append(("solution", question, assign.group(1) if assign else text))
            else:
                public.append(line)
    return secrets, "\n".join(public)


def _student_corpus(student: dict) -> str:
    """Everything a student can read in the notebook: sources, outputs, metadata (where otter
    keeps the public tests), with code also in Python's own re-printed form."""
    chunks: list[str] = []
    for cell in student.get("cells", []):
        src = _source(cell)
        chunks.append(src)
        if cell.get("cell_type") == "code":
            chunks += [f for line in src.splitlines() for f in _code_forms(line)]
        for out in cell.get("outputs", []) or []:
            chunks.append(json.dumps(out, ensure_ascii=False))
            for key in ("text",):
                if key in out:
                    chunks.append(_source({"source": out[key]}))
            for value in (out.get("data") or {}).values():
                chunks.append(_source({"source": value}) if isinstance(value, (str, list)) else "")
        chunks.append(json.dumps(cell.get("metadata", {}), ensure_ascii=False))

    def walk(node):
        if isinstance(node, dict):
            for v in node.values():
                yield from walk(v)
        elif isinstance(node, list):
            for v in node:
                yield from walk(v)
        elif isinstance(node, str):
            yield node

    for text in walk(student.get("metadata", {})):
        chunks.append(text)
        code = "\n".join(re.sub(r"^(>>>|\.\.\.) ?", "", ln) for ln in text.splitlines())
        chunks += [f for line in code.splitlines() for f in _code_forms(line)]
    return _squash("\n".join(chunks))


def scan_for_leaks(master: str | Path, student: str | Path) -> list[Leak]:
    """Compare a generated student notebook with its master; return what leaked (empty = clean).

    A leak is a solution fragment (a line marked ``# SOLUTION``, a line inside a solution block, a
    written answer), a hidden test (its code or its messages), or an otter marker, found anywhere a
    student can read: cell sources, outputs or notebook metadata. Fragments shorter than 8
    characters, and fragments the master also shows outside its solutions (in a prompt, say), are
    not counted.
    """
    master_nb = json.loads(Path(master).read_text(encoding="utf-8"))
    student_nb = json.loads(Path(student).read_text(encoding="utf-8"))
    secrets, public = _master_parts(master_nb)
    public_forms = _squash(public) + "\n" + "\n".join(
        f for line in public.splitlines() for f in _code_forms(line))
    corpus = _student_corpus(student_nb)
    leaks: list[Leak] = []
    seen: set[tuple[str, str]] = set()
    for kind, question, text in secrets:
        forms = {f for f in _code_forms(text) if len(f) >= _MIN_SECRET}
        if not forms or any(f in public_forms for f in forms):
            continue
        if any(f in corpus for f in forms) and (kind, text) not in seen:
            seen.add((kind, text))
            leaks.append(Leak(kind, question, text.strip()))
    raw_sources = "\n".join(_source(c) for c in student_nb.get("cells", []))
    for marker in _MARKERS:
        if marker.lower() in raw_sources.lower():
            leaks.append(Leak("marker", "", marker))
    for line in raw_sources.splitlines():
        if re.search(r"#\s*SOLUTION(\s+NO PROMPT)?\s*$", line):
            leaks.append(Leak("marker", "", line.strip()))
    return leaks


def scan_built(dist: str | Path | None = None, exercises: str | Path | None = None) -> dict[str, list[Leak]]:
    """Scan every notebook in ``dist/student`` against its master."""
    dist = Path(dist or DIST)
    masters = {m.name: m for m in exercise_masters(exercises)}
    found = sorted((dist / "student").glob("*.ipynb"))
    if not found:
        raise CasekitError(f"No student versions in {dist / 'student'}. Build them first: "
                           "python -m casekit.instructor student")
    report = {}
    for nb in found:
        if nb.name not in masters:
            raise CasekitError(f"{nb} has no master of the same name in {exercises or EXERCISES}.")
        report[nb.name] = scan_for_leaks(masters[nb.name], nb)
    return report


# --------------------------------------------------------------------------------------------
# self-study mode
# --------------------------------------------------------------------------------------------

_PROMPT_BLOCK = re.compile(r"^\s*#\s*BEGIN PROMPT.*?^\s*#\s*END PROMPT[^\n]*\n?", re.S | re.M)


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
    ``grader.check`` cells keep working). The checks are the public tests. Reuses the ``otter
    assign`` output of ``make student`` when the master has not changed since (``rebuild=True``
    forces a fresh build).
    """
    master = Path(master).resolve()
    dist = Path(dist or DIST).resolve()
    build_dir = dist / "build" / master.stem
    stale = (dist / "autograder" / f"{master.stem}.master-sha256")
    if (rebuild or not stale.exists() or stale.read_text().strip() != _sha256(master.read_bytes())
            or not (build_dir / "student" / master.name).exists()
            or not (build_dir / "autograder" / master.name).exists()):
        build_student(master, dist)
    student = json.loads((build_dir / "student" / master.name).read_text(encoding="utf-8"))
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
    insert_at = 1 if keep and "otter.Notebook(" in _source(keep[0]) else 0
    keep.insert(insert_at, intro)
    nb = copy.deepcopy(student)
    nb["cells"] = keep
    for k, cell in enumerate(nb["cells"]):
        cell.setdefault("id", f"selfstudy-{k}")  # new cells need an id (nbformat 4.5)
    import nbformat

    node = nbformat.from_dict(nb)
    target = dist / "selfstudy" / master.name
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(node, str(target))
    return target


# --------------------------------------------------------------------------------------------
# grading
# --------------------------------------------------------------------------------------------

@dataclass
class _Submission:
    path: Path
    student: str
    data: bytes
    notebook: dict | None = None
    error: str = ""


def _read_submission(path: Path, root: Path) -> _Submission:
    rel = path.relative_to(root)
    student = rel.parts[0] if len(rel.parts) > 1 else path.stem
    data = path.read_bytes()
    sub = _Submission(path, student, data)
    if not data.strip():
        sub.error = "the file is empty (0 bytes of notebook) · 文件为空"
        return sub
    try:
        nb = json.loads(data.decode("utf-8"))
        if not isinstance(nb, dict) or "cells" not in nb:
            raise ValueError("no 'cells' list")
        sub.notebook = nb
    except (UnicodeDecodeError, ValueError) as exc:
        sub.error = f"the file is not a readable notebook ({exc.__class__.__name__}) · 文件不是可读取的笔记本"
    return sub


def _assignment_of(sub: _Submission, names: list[str], forced: str | None) -> str | None:
    if forced:
        return forced
    meta = ((sub.notebook or {}).get("metadata") or {}).get("otter") or {}
    if meta.get("assignment_name") in names:
        return meta["assignment_name"]
    hits = [n for n in names if n in sub.path.name]
    if len(hits) == 1:
        return hits[0]
    return names[0] if len(names) == 1 else None


def _strip_student_suffix(student: str, assignment: str) -> str:
    cut = student.replace(assignment, "").strip("_- .")
    return cut or student


class _Progress:
    """A one-line progress bar on stderr: bar, count, elapsed, time left (no tqdm needed)."""

    def __init__(self, total: int, enabled: bool = True, stream=None):
        self.total, self.done, self.enabled = total, 0, enabled
        self.stream = stream or sys.stderr
        self.start = time.monotonic()
        self.graded_time, self.graded = 0.0, 0
        self.jobs = 1

    @staticmethod
    def _clock(seconds: float) -> str:
        seconds = int(round(seconds))
        return f"{seconds // 60}:{seconds % 60:02d}"

    def line(self, label: str = "") -> str:
        width = 24
        filled = int(width * self.done / self.total) if self.total else width
        bar = "█" * filled + "·" * (width - filled)
        elapsed = time.monotonic() - self.start
        if self.graded:
            left = self.graded_time / self.graded * (self.total - self.done) / self.jobs
            eta = f"~{self._clock(left)} left"
        else:
            eta = "time left: estimating" if self.done < self.total else "done"
        return (f"\r[{bar}] {self.done}/{self.total} submissions · {self._clock(elapsed)} elapsed · "
                f"{eta} {label[:30]:<30}")

    def update(self, label: str = "", seconds: float | None = None):
        self.done += 1
        if seconds is not None:
            self.graded_time += seconds
            self.graded += 1
        self.show(label)

    def show(self, label: str = ""):
        if self.enabled:
            self.stream.write(self.line(label))
            self.stream.flush()

    def close(self):
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


def _questions_of(student_nb: Path) -> dict[str, float]:
    """Question names and points, in order, from the student version's stored public tests."""
    nb = json.loads(student_nb.read_text(encoding="utf-8"))
    tests = ((nb.get("metadata") or {}).get("otter") or {}).get("tests") or {}
    return {name: float(t.get("points") or 0) for name, t in tests.items()}


def _autograder_questions(zip_path: Path) -> dict[str, float]:
    """Question names and points from the autograder bundle (all tests, hidden ones included)."""
    import zipfile

    out: dict[str, float] = {}
    with zipfile.ZipFile(zip_path) as zf:
        for name in sorted(n for n in zf.namelist() if n.startswith("tests/") and n.endswith(".py")):
            text = zf.read(name).decode("utf-8")
            m = re.search(r"['\"]points['\"]\s*:\s*([\d.]+)", text)
            out[Path(name).stem] = float(m.group(1)) if m else 0.0
    return out


def _cell_errors(nb: dict | None) -> list[str]:
    """Errors that cells raised when otter executed the submission (and casekit's short ones)."""
    found = []
    for k, cell in enumerate((nb or {}).get("cells", [])):
        for out in cell.get("outputs", []) or []:
            if out.get("output_type") == "error":
                found.append(f"cell {k + 1}: {out.get('ename')}: {str(out.get('evalue'))[:120]}")
            elif out.get("output_type") == "stream" and out.get("name") == "stderr":
                text = _source({"source": out.get("text", "")})
                if text.startswith("casekit: "):
                    found.append(f"cell {k + 1}: {text.strip()[:140]}")
    return found


def _missing_cells(sub_nb: dict, handout: dict) -> list[str]:
    """Handout cells (by cell id) that the submission no longer has."""
    ids = {c.get("id") for c in sub_nb.get("cells", [])}
    missing = []
    for cell in handout.get("cells", []):
        cid = cell.get("id")
        if cid and cid not in ids:
            src = _source(cell).strip()
            if _has_tag(cell, "otter_answer_cell") or src.startswith("grader.check("):
                missing.append(src.splitlines()[0][:60] if src else "(empty cell)")
    return missing


def _grade_one(sub: _Submission, assignment: str, zip_path: Path, handout: dict,
               questions: dict[str, float], timeout: float) -> dict:
    """Grade one submission with ``otter run``; never raises for a broken submission."""
    notes: list[str] = []
    expected = f"{assignment}.ipynb"
    if assignment not in sub.path.name:
        notes.append(f"file was renamed to {sub.path.name!r}; graded as {expected} · "
                     f"文件被改名，已按 {expected} 评分")
    result = {"questions": {q: {"score": 0.0, "possible": p, "passed": 0, "tests": 0, "feedback": []}
                            for q, p in questions.items()},
              "notes": notes, "status": "graded"}
    if sub.error:
        notes.append(sub.error)
        result["status"] = "unreadable"
        return result
    code_cells = [c for c in sub.notebook.get("cells", []) if c.get("cell_type") == "code"
                  and _source(c).strip()]
    if not code_cells:
        notes.append("the notebook has no code in it: nothing to grade · 笔记本中没有代码，无法评分")
        result["status"] = "empty"
        return result
    missing = _missing_cells(sub.notebook, handout)
    if missing:
        notes.append(f"{len(missing)} answer/check cell(s) of the handout were deleted · "
                     f"删除了讲义中的 {len(missing)} 个作答/检查单元格: " + "; ".join(missing))
    with tempfile.TemporaryDirectory(prefix="casekit-grade-") as tmp:
        tmpdir = Path(tmp)
        (tmpdir / expected).write_bytes(sub.data)
        try:
            res = _otter("run", "-p", "--no-logo", "-a", str(zip_path), "-o", str(tmpdir),
                         str(tmpdir / expected), cwd=tmpdir, timeout=timeout)
        except subprocess.TimeoutExpired:
            notes.append(f"grading stopped after {timeout:.0f} s (an endless loop or a very slow "
                         f"cell?) · 评分超时（{timeout:.0f} 秒）")
            result["status"] = "timeout"
            return result
        pkl = tmpdir / "results.pkl"
        if res.returncode != 0 or not pkl.exists():
            last = (res.stderr or res.stdout).strip().splitlines()[-1:] or ["no output"]
            notes.append(f"otter could not run this notebook: {last[0][:160]} · otter 无法运行该笔记本")
            result["status"] = "error"
            return result
        import pickle

        with open(pkl, "rb") as fh:
            graded = pickle.load(fh)
    data = graded.to_dict()
    for qname, q in data.items():
        entry = result["questions"].setdefault(
            qname, {"score": 0.0, "possible": 0.0, "passed": 0, "tests": 0, "feedback": []})
        entry["score"] = float(q.get("score") or 0)
        entry["possible"] = float(q.get("possible") or entry["possible"])
        cases = q.get("test_case_results") or []
        entry["tests"] = len(cases)
        entry["passed"] = sum(bool(c.get("passed")) for c in cases)
        for case in cases:
            if case.get("passed"):
                continue
            tc = case.get("test_case") or {}
            msg = tc.get("failure_message") or "a check failed · 有检查未通过"
            undefined = re.search(r"NameError: name '(\w+)' is not defined", case.get("message") or "")
            if undefined:
                msg += (f" [`{undefined.group(1)}` was not defined when grading ran: its cell was "
                        f"deleted, not filled in, or raised an error · 评分时 `{undefined.group(1)}` "
                        "未定义]")
            entry["feedback"].append(("(hidden check) " if tc.get("hidden") else "") + msg)
    errors = _cell_errors(getattr(graded, "notebook", None))
    if errors:
        notes.append(f"{len(errors)} cell(s) raised an error when run · {len(errors)} 个单元格运行出错: "
                     + "; ".join(errors[:5]))
    if notes and result["status"] == "graded":
        result["status"] = "graded_with_notes"
    return result


def _feedback_md(student: str, rows: list[dict]) -> str:
    lines = [f"# Feedback · 反馈: {student}", ""]
    for assignment in dict.fromkeys(r["assignment"] for r in rows):
        mine = [r for r in rows if r["assignment"] == assignment]
        total = sum(r["score"] for r in mine)
        possible = sum(r["possible"] for r in mine)
        lines += [f"## {assignment}: {total:g} / {possible:g}", ""]
        notes = mine[0]["notes"]
        if notes:
            lines += [f"> **Note · 说明:** {n}" for n in notes.split(" | ")] + [""]
        for r in mine:
            mark = "✅" if r["possible"] and r["score"] >= r["possible"] else ("🟡" if r["score"] else "❌")
            lines.append(f"- {mark} **{r['question']}**: {r['score']:g} / {r['possible']:g}")
            for msg in filter(None, r["feedback"].split(" | ")):
                lines.append(f"    - {msg}")
        lines.append("")
    return "\n".join(lines)


def _write_tables(rows: list[dict], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    cols = ["student", "assignment", "question", "score", "possible", "tests_passed", "tests",
            "status", "feedback", "notes", "file"]
    with open(out / "grades_long.csv", "w", newline="", encoding="utf-8-sig") as fh:
        w = csv.DictWriter(fh, fieldnames=cols, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    for old in out.glob("*_scores.csv"):
        old.unlink()
    by_assignment: dict[str, list[dict]] = {}
    for r in rows:
        by_assignment.setdefault(r["assignment"], []).append(r)
    for assignment, arows in by_assignment.items():
        questions = list(dict.fromkeys(r["question"] for r in arows))
        table: dict[str, dict] = {}
        for r in arows:
            t = table.setdefault(r["student"], {"student": r["student"], "total": 0.0, "possible": 0.0,
                                                "status": r["status"], "notes": r["notes"],
                                                "file": r["file"]})
            t[r["question"]] = r["score"]
            t["total"] += r["score"]
            t["possible"] += r["possible"]
        for t in table.values():
            t["percent"] = round(100 * t["total"] / t["possible"], 1) if t["possible"] else 0.0
        fields = ["student", *questions, "total", "possible", "percent", "status", "notes", "file"]
        with open(out / f"{assignment}_scores.csv", "w", newline="", encoding="utf-8-sig") as fh:
            w = csv.DictWriter(fh, fieldnames=fields)
            w.writeheader()
            w.writerows(table[s] for s in sorted(table))
    fb = out / "feedback"
    fb.mkdir(exist_ok=True)
    for student in sorted({r["student"] for r in rows}):
        safe = re.sub(r"[^\w.-]+", "_", student)
        (fb / f"{safe}.md").write_text(_feedback_md(student, [r for r in rows if r["student"] == student]),
                                       encoding="utf-8")


@dataclass
class GradeReport:
    """What :func:`grade` did: rows of the long table and where the files are."""
    rows: list[dict] = field(default_factory=list)
    out: Path | None = None
    graded: int = 0
    from_cache: int = 0
    interrupted: bool = False

    def scores(self) -> dict[tuple[str, str], float]:
        """Total score per (student, assignment)."""
        totals: dict[tuple[str, str], float] = {}
        for r in self.rows:
            key = (r["student"], r["assignment"])
            totals[key] = totals.get(key, 0.0) + r["score"]
        return totals

    def __repr__(self) -> str:
        return (f"GradeReport: {len(self.scores())} submission(s), {self.graded} graded now, "
                f"{self.from_cache} from cache{', INTERRUPTED' if self.interrupted else ''}\n"
                f"  tables and feedback in {self.out}")


def grade(submissions: str | Path, out: str | Path | None = None, dist: str | Path | None = None,
          assignment: str | None = None, exercises: str | Path | None = None,
          timeout: float = 600, progress: bool = True, stream=None,
          jobs: int | None = None) -> GradeReport:
    """Grade every ``*.ipynb`` under ``submissions`` with ``otter run`` (no Docker).

    Layout: one folder per student (``alice/02_keda_zhongtu_exercises.ipynb``) or files named
    ``<student>_<exercise>.ipynb``. The exercise is read from the notebook's otter metadata, else
    from its file name, else ``assignment``. Writes to ``out`` (default ``dist/grades``):
    ``grades_long.csv`` (student × question), ``<exercise>_scores.csv`` (a row per student, a column
    per question) and ``feedback/<student>.md``. Results are cached by file hash in ``out/.cache``:
    run again after an interruption and only what is left gets graded. ``jobs`` submissions are
    graded at once (default: one per CPU core); the tables keep the files' order.
    """
    root = Path(submissions)
    if not root.is_dir():
        raise CasekitError(f"The submissions folder {root} does not exist. Give the folder that "
                           "holds the handed-in notebooks (one folder per student, or "
                           "<student>_<exercise>.ipynb files).")
    dist = Path(dist or DIST).resolve()
    out = Path(out or dist / "grades").resolve()
    cache = out / ".cache"
    cache.mkdir(parents=True, exist_ok=True)
    masters = {m.stem: m for m in exercise_masters(exercises)}
    if assignment and assignment not in masters:
        hits = [n for n in masters if n.startswith(assignment) or assignment in n]
        if len(hits) != 1:
            raise CasekitError(f"--assignment {assignment!r} matches {len(hits)} masters; use one "
                               f"of: {', '.join(masters)}.")
        assignment = hits[0]
    files = sorted(p for p in root.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    if not files:
        raise CasekitError(f"No notebooks (*.ipynb) under {root}.")

    report = GradeReport(out=out)
    bar = _Progress(len(files), enabled=progress, stream=stream)
    bar.show()
    prepared: dict[str, tuple[Path, dict, dict, str]] = {}

    def prepare(name: str):
        if name not in prepared:
            master = masters[name]
            sha = _sha256(master.read_bytes())
            zip_path = dist / "autograder" / f"{name}.zip"
            stamp = zip_path.with_suffix(".master-sha256")
            if not zip_path.exists() or not stamp.exists() or stamp.read_text().strip() != sha:
                build_student(master, dist)
            handout_path = dist / "student" / master.name
            handout = json.loads(handout_path.read_text(encoding="utf-8"))
            questions = _autograder_questions(zip_path) or _questions_of(handout_path)
            order = list(_questions_of(handout_path)) + [q for q in questions
                                                         if q not in _questions_of(handout_path)]
            prepared[name] = (zip_path, handout, {q: questions.get(q, 0.0) for q in order}, sha)
        return prepared[name]

    results: dict[int, list[dict]] = {}   # by position in ``files``, so the tables keep file order
    work = []
    stopping = threading.Event()
    pool = None
    futures = []

    def one(item):
        k, path, sub, name, cached = item
        t0 = time.monotonic()
        zip_path, handout, questions, _ = prepared[name]
        student = _strip_student_suffix(sub.student, name)
        result = _grade_one(sub, name, zip_path, handout, questions, timeout)
        if stopping.is_set():   # the run was killed by an interrupt: not a result, grade it next time
            return None
        rows = [{"student": student, "assignment": name, "question": qname,
                 "score": q["score"], "possible": q["possible"],
                 "tests_passed": q["passed"], "tests": q["tests"],
                 "status": result["status"], "feedback": " | ".join(q["feedback"]),
                 "notes": " | ".join(result["notes"]),
                 "file": str(path.relative_to(root))}
                for qname, q in result["questions"].items()]
        tmp = cached.with_suffix(".tmp")
        tmp.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
        tmp.replace(cached)  # atomic: an interrupted write never looks like a result
        return k, student, rows, time.monotonic() - t0

    try:
        for k, path in enumerate(files):
            sub = _read_submission(path, root)
            name = _assignment_of(sub, list(masters), assignment)
            if name is None:
                results[k] = [{"student": sub.student, "assignment": "(unknown)", "question": "", "score": 0.0,
                               "possible": 0.0, "tests_passed": 0, "tests": 0, "status": "unknown_exercise",
                               "feedback": "", "file": str(path.relative_to(root)),
                               "notes": "could not tell which exercise this is; rerun with --assignment · "
                                        "无法判断是哪一份练习，请用 --assignment 指定"}]
                bar.update(sub.student)
                continue
            zip_path, handout, questions, master_sha = prepare(name)
            key = _sha256(sub.data + master_sha.encode() + CACHE_VERSION.encode()
                          + str(path.relative_to(root)).encode())
            cached = cache / f"{key}.json"
            if cached.exists():
                results[k] = json.loads(cached.read_text(encoding="utf-8"))
                report.from_cache += 1
                bar.update(sub.student)
                continue
            work.append((k, path, sub, name, cached))

        jobs = max(1, min(jobs or default_jobs(), len(work) or 1))
        bar.jobs = jobs
        if jobs == 1:   # in this thread: a Ctrl-C lands in the run itself, which _otter stops
            finished = (one(item) for item in work)
        else:
            pool = ThreadPoolExecutor(max_workers=jobs)
            futures = [pool.submit(one, item) for item in work]
            finished = (fut.result() for fut in as_completed(futures))
        for done in finished:
            if done is None:
                continue
            k, student, rows, seconds = done
            results[k] = rows
            report.graded += 1
            bar.update(student, seconds)
    except KeyboardInterrupt:
        # Stop at once: runs not started are cancelled, runs in progress are killed and not
        # cached; every finished submission is already cached and goes into the tables below.
        report.interrupted = True
        stopping.set()
        for fut in futures:
            fut.cancel()
        _stop_running()
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        bar.close()
        report.rows = [row for k in sorted(results) for row in results[k]]
        if report.rows:
            _write_tables(report.rows, out)
    return report


# --------------------------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------------------------

def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m casekit.instructor",
                                description="casekit instructor tools (built on otter-grader).")
    p.add_argument("--exercises", help="folder of exercise masters (default notebooks/exercises)")
    p.add_argument("--dist", help="output folder (default dist/)")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the exercise masters")
    s = sub.add_parser("student", help="student versions and autograder bundles for the masters")
    s.add_argument("masters", nargs="*", help="numbers or name parts (default: all)")
    s.add_argument("--jobs", type=int, default=None, help="masters built at once (default: one per CPU core)")
    g = sub.add_parser("grade", help="grade a folder of submissions offline")
    g.add_argument("submissions", help="folder of handed-in notebooks")
    g.add_argument("--out", help="where tables and feedback go (default dist/grades)")
    g.add_argument("--assignment", help="grade every file as this exercise (number or name)")
    g.add_argument("--timeout", type=float, default=600, help="seconds per submission (default 600)")
    g.add_argument("--no-progress", action="store_true", help="no progress bar")
    g.add_argument("--jobs", type=int, default=None,
                   help="submissions graded at once (default: one per CPU core)")
    ss = sub.add_parser("selfstudy", help="self-study versions with collapsed solutions")
    ss.add_argument("masters", nargs="*", help="numbers or name parts (default: all)")
    sub.add_parser("scan", help="check dist/student for leaked solutions or hidden tests")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "list":
            for m in exercise_masters(args.exercises):
                print(m.relative_to(ROOT) if m.is_relative_to(ROOT) else m)
            return 0
        if args.command == "student":
            masters = find_masters(args.masters, args.exercises)
            print(f"otter assign on {len(masters)} master(s), {args.jobs or default_jobs()} at a time ...",
                  flush=True)

            def report(name, result):
                if isinstance(result, CasekitError):
                    print(f"{name}: FAILED: {result}", file=sys.stderr, flush=True)
                else:
                    print(f"{name}\n  student version: {result.student}\n"
                          f"  autograder:      {result.autograder}", flush=True)

            results = build_students(masters, args.dist, jobs=args.jobs, on_done=report)
            failed = [n for n, r in results.items() if isinstance(r, CasekitError)]
            if failed:
                print(f"casekit: {len(failed)} master(s) failed: {', '.join(failed)}", file=sys.stderr)
                return 1
            print("Hand out dist/student/ (or push it to the class repository for nbgitpuller); "
                  "keep dist/autograder/ for grading.")
            return 0
        if args.command == "selfstudy":
            failed = []
            for m in find_masters(args.masters, args.exercises):
                print(f"self-study version of {m.name} ...", flush=True)
                try:
                    print(f"  {build_selfstudy(m, args.dist)}")
                except CasekitError as exc:
                    failed.append(m.name)
                    print(f"  FAILED: {exc}", file=sys.stderr)
            return 1 if failed else 0
        if args.command == "scan":
            report = scan_built(args.dist, args.exercises)
            bad = 0
            for name, leaks in report.items():
                print(f"{name}: {'clean' if not leaks else f'{len(leaks)} LEAK(S)'}")
                for leak in leaks:
                    print(f"  - {leak}")
                bad += bool(leaks)
            return 1 if bad else 0
        if args.command == "grade":
            report = grade(args.submissions, out=args.out, dist=args.dist, assignment=args.assignment,
                           exercises=args.exercises, timeout=args.timeout,
                           progress=not args.no_progress, jobs=args.jobs)
            print(report)
            if report.interrupted:
                print("Interrupted. Run the same command again to resume: finished submissions are "
                      "cached and will not be graded twice.", file=sys.stderr)
                return 130
            return 0
    except CasekitError as exc:
        print(f"casekit: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ncasekit: interrupted; nothing half-built was kept. Run the same command again.",
              file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
