"""Student versions and autograder bundles: ``otter assign``, then proof, then hand-out.

For each master: otter assign writes the student version and the bundle of tests; casekit then
runs the master's own solutions through the sandboxed grading path (every autograded question
must get full marks) and a blank submission (every question must get nothing, so format checks
carry no points), scans the student version for leaks with the master's answer values, swaps
otter's check cells for casekit's bilingual format checks, and writes a manifest with keyed
hashes of the bundle (see :mod:`casekit.instructor.integrity`).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import zipfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from ..errors import CasekitError
from . import integrity
from . import sandbox as sb
from .evaluate import evaluate_cells
from .leaks import scan_for_leaks
from .manifest import MANIFEST_VERSION, load_manifest
from .masters import dist_folder, MasterInfo, has_tag, parse_master, source

__all__ = ["Build", "build_student", "build_students", "default_jobs", "load_manifest",
           "extract_tests", "MANIFEST_VERSION", "CHECKER_INIT"]

CHECKER_INIT = ("# casekit's checks: they test the form of your answers; correctness is checked when "
                "your work is graded.\n# 本单元格加载格式检查：只检查答案的形式，对错在评分时判定。\n"
                "import casekit.exercises\ngrader = casekit.exercises.Checker({name!r}, answers={answers})")


def checker_answers(info: MasterInfo, values: dict) -> dict[str, dict[str, str]]:
    """Each autograded question's answer names and the type of the master's solution for each
    (``number``, ``list``, ``set``, …): what the student's checker compares the form with."""
    from ..exercises import type_name

    return {q.name: {n: type_name(values[n]) for n in q.answer_names if values.get(n) is not None}
            for q in info.questions if not q.manual}


def _answers_literal(answers: dict[str, dict[str, str]]) -> str:
    """The answers dict as readable source, one question a line."""
    if not answers:
        return "{}"
    rows = [f"    {q!r}: {{{', '.join(f'{n!r}: {k!r}' for n, k in names.items())}}}," for q, names in answers.items()]
    return "{\n" + "\n".join(rows) + "\n}"

_running: set[subprocess.Popen] = set()
_lock = threading.Lock()


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def stop_running() -> None:
    with _lock:
        for proc in list(_running):
            _kill(proc)
    sb.stop_all()


def otter(*args: str, cwd: Path, timeout: float, attempts: int = 2) -> subprocess.CompletedProcess:
    """Run the otter command line of this Python environment in its own process group (a
    timeout or Ctrl-C stops the run and anything it started). Only instructor files go here.

    The build calls ``otter assign --no-run-tests``: otter then executes no notebook (its own
    run of the tests executes every cell with no limit per cell, and hung on the stage explorer's
    cell now and then; see benchmarks/bench_stall.py). The solutions are run instead by
    :func:`_prove`, through the sandboxed grader, within a time limit. The timeout here is a
    second line of defence: an attempt that runs out is stopped and tried once more (each in its
    own Jupyter runtime folder), the retry is said on screen, and if every attempt runs out a
    CasekitError says so with the machine's load and the end of what otter printed."""
    cmd = [sys.executable, "-m", "otter", *args]
    per_try = timeout / max(1, attempts)
    tail = ""
    for attempt in range(1, max(1, attempts) + 1):
        runtime = tempfile.mkdtemp(prefix="casekit-jupyter-runtime-")
        env = dict(os.environ, PYTHONWARNINGS="ignore", JUPYTER_RUNTIME_DIR=runtime)
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=env, start_new_session=True)
        with _lock:
            _running.add(proc)
        try:
            out, err = proc.communicate(timeout=per_try)
            return subprocess.CompletedProcess(cmd, proc.returncode, out, err)
        except subprocess.TimeoutExpired:
            _kill(proc)
            out, err = proc.communicate()
            tail = "\n".join((out + err).strip().splitlines()[-8:])
            if attempt < attempts:
                print(f"casekit: `otter {' '.join(args[:1])}` on {Path(args[-2]).name if len(args) > 1 else ''} "
                      f"did not finish within {per_try:.0f} s{_load_note()}; stopped it and trying once more.",
                      file=sys.stderr, flush=True)
        except BaseException:
            _kill(proc)
            proc.communicate()
            raise
        finally:
            with _lock:
                _running.discard(proc)
            shutil.rmtree(runtime, ignore_errors=True)
    raise CasekitError(f"`otter {' '.join(args[:1])}` did not finish within {per_try:.0f} s, {max(1, attempts)} "
                       f"times{_load_note()}; it was stopped. otter printed last:\n{tail or '(nothing)'}")


def _load_note() -> str:
    """The machine's load, when it is busy (more runnable processes than cores), for a message."""
    try:
        load = os.getloadavg()[0]
    except OSError:
        return ""
    cores = default_jobs()
    return f" (the machine was busy: load average {load:.1f} on {cores} cores)" if load > cores else ""


@dataclass
class Build:
    """What ``build_student`` produced for one master."""
    master: Path
    student: Path          # the notebook to hand out
    autograder: Path       # the bundle of tests (otter's zip)
    build_dir: Path        # otter assign's full output (student/ and autograder/)
    master_sha256: str
    manifest: Path | None = None

    def __repr__(self) -> str:
        return (f"Build({self.master.name})\n  student:    {self.student}\n"
                f"  autograder: {self.autograder}")


def _assign_hint(log: str) -> str:
    if "Expected nothing" in log and "Got:" in log:
        return ("\nHint: a test cell ends in a bare expression. otter compares what it prints with "
                "the cell's stored output, and masters are stored without outputs, so write the test "
                "as `assert <expression>` instead.")
    return ""


def extract_tests(zip_path: Path, into: Path) -> Path:
    """The bundle's ``tests/*.py`` into ``into`` (world-readable, for the sandbox's uid)."""
    into.mkdir(parents=True, exist_ok=True)
    os.chmod(into, 0o755)
    with zipfile.ZipFile(zip_path) as zf:
        for name in zf.namelist():
            if re.fullmatch(r"tests/[\w.-]+\.py", name):
                target = into / Path(name).name
                target.write_bytes(zf.read(name))
                os.chmod(target, 0o644)
    return into


def _handout_answer_cells(student: dict) -> dict[str, dict]:
    """Answer cells of the handout by cell id: which question they belong to, their text."""
    cells = student.get("cells", [])
    out: dict[str, dict] = {}
    pending: list[str] = []
    manual_k = 0
    in_manual = False
    for cell in cells:
        src = source(cell)
        if cell.get("cell_type") == "markdown" and "<!-- BEGIN QUESTION -->" in src:
            in_manual, manual_k = True, manual_k + 1
        if has_tag(cell, "otter_answer_cell") and cell.get("id"):
            out[cell["id"]] = {"question": None, "manual_index": manual_k if in_manual else None,
                               "source": src, "cell_type": cell.get("cell_type")}
            pending.append(cell["id"])
        m = re.match(r"\s*grader\.check\(\s*['\"]([\w-]+)['\"]", src)
        if m:
            for cid in pending:
                out[cid]["question"] = m.group(1)
            pending = []
        if cell.get("cell_type") == "markdown" and "<!-- END QUESTION -->" in src:
            in_manual = False
            pending = []
    return out


def _checker_cells(nb: dict, name: str, answers: dict[str, dict[str, str]] | None = None) -> dict:
    """Replace otter's initialising cell by casekit's bilingual checker (same ``grader`` name,
    same ``grader.check("q")`` cells), and drop the master's "instructor master" banner."""
    nb["cells"] = [c for c in nb.get("cells", []) if not has_tag(c, "casekit_master_banner")]
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code" and "otter.Notebook(" in source(cell):
            cell["source"] = CHECKER_INIT.format(name=f"{name}.ipynb", answers=_answers_literal(answers or {}))
            break
    for cell in nb.get("cells", []):
        src = source(cell)
        if cell.get("cell_type") == "markdown" and src.lstrip().startswith("## Submission"):
            cell["source"] = ("## Submission · 提交\n\nSave the notebook (Ctrl-S / ⌘-S), then run the cell "
                              "below: it runs your notebook's checks and writes a zip file to hand in, "
                              "as your instructor asks. Keep the file name.\n\n保存笔记本（Ctrl-S / ⌘-S），"
                              "再运行下面的单元格：它会运行检查并生成一个 zip 文件，按教师要求提交。请不要改文件名。")
        if cell.get("cell_type") == "markdown" and src.strip() == "_Type your answer here, replacing this text._":
            cell["source"] = "_在此写下你的回答（替换本行）。 · Type your answer here, replacing this text._"
    return nb


def _prove(info: MasterInfo, tests_dir: Path, sandbox: bool) -> tuple[dict, dict]:
    """The master's solutions through the grading path (full marks), and a blank (nothing)."""
    limits = sb.Limits(wall_seconds=300)
    full = evaluate_cells(info.run_cells, info.answer_names, info.setup, tests_dir,
                          limits=limits, sandbox=sandbox)
    problems = []
    if full.status != "graded" or full.errors:
        problems.append("its own cells fail in the grader: " + "; ".join(
            full.notes + [f"cell {e['cell'] + 1 if e['cell'] is not None else '?'}: {e['error']}: {e['message']}"
                          for e in full.errors]))
    for q in info.questions:
        if q.manual:
            continue
        got = full.questions.get(q.name)
        if got is None:
            problems.append(f"{q.name} has no tests in the bundle (write at least one hidden test)")
            continue
        if got["score"] + 1e-9 < got["possible"] or got["possible"] <= 0:
            failed = [c["name"] + (f" ({c['detail']})" if c.get("detail") else "")
                      for c in got["cases"] if not c["passed"]]
            problems.append(f"{q.name}: the solutions get {got['score']:g}/{got['possible']:g} "
                            f"through the grader (failing: {'; '.join(failed)[:400]})")
        public_failed = [c["name"] for c in got["cases"] if not c["hidden"] and not c["passed"]]
        if public_failed:   # a right answer would be told its form is wrong
            problems.append(f"{q.name}: the solutions fail its public (format) check(s) {', '.join(public_failed)}")
        if not any(c["hidden"] for c in got["cases"]):
            problems.append(f"{q.name} has no hidden test: correctness must live in hidden tests")
        for c in got["cases"]:
            if not c["hidden"] and c["points"] > 0:
                problems.append(f"{q.name}: a public (format) test carries {c['points']:g} points; "
                                "give it `points: 0` in its TEST CONFIG")
    blank = evaluate_cells([], info.answer_names, info.setup, tests_dir, limits=limits,
                           sandbox=sandbox, preset_answers={n: {"data": {"$": "ellipsis"}}
                                                            for n in info.answer_names})
    for qname, got in blank.questions.items():
        if got["score"] > 0:
            problems.append(f"{qname}: a blank submission would get {got['score']:g} points; a test "
                            "passes without an answer")
    if problems:
        raise CasekitError(f"{info.path.name} is not ready to grade:\n" + "\n".join(f"  - {p}" for p in problems))
    possible = {q: float(v["possible"]) for q, v in full.questions.items()}
    return full.answers, possible


def build_student(master: str | Path, dist: str | Path | None = None, timeout: float = 900,
                  sandbox: bool = True) -> Build:
    """Build, prove and scan one master; write the hand-out and the instructor's bundle.

    Writes ``dist/student/<name>.ipynb`` (hand this out), ``dist/autograder/<name>.zip`` (otter's
    bundle) and ``dist/autograder/<name>.manifest.json`` (setup, answer names, points, keyed
    hashes). Refuses, writing nothing to ``dist/student``, when the solutions do not get full
    marks through the sandboxed grader, a blank gets any, or the student version leaks.
    """
    master = Path(master).resolve()
    if not master.exists():
        raise CasekitError(f"The exercise master {master} does not exist.")
    if sandbox and not sb.probe().ok:
        raise CasekitError(sb.probe().reason)
    dist = dist_folder(dist)
    build_dir = dist / "build" / master.stem
    shutil.rmtree(build_dir, ignore_errors=True)
    build_dir.parent.mkdir(parents=True, exist_ok=True)
    res = otter("assign", "--no-run-tests", str(master), str(build_dir), cwd=master.parent, timeout=timeout)
    log = res.stdout + res.stderr
    student_nb = build_dir / "student" / master.name
    zips = sorted((build_dir / "autograder").glob("*.zip"))
    if res.returncode != 0 or not student_nb.exists() or not zips:
        shutil.rmtree(build_dir, ignore_errors=True)
        tail = "\n".join(log.strip().splitlines()[-25:])
        raise CasekitError(f"otter assign failed on {master.name}. The end of otter's report:\n"
                           f"{tail}{_assign_hint(log)}")
    info = parse_master(master)
    with tempfile.TemporaryDirectory(prefix="casekit-build-") as tmp:
        tests_dir = extract_tests(zips[-1], Path(tmp) / "tests")
        os.chmod(tmp, 0o755)
        answers, possible = _prove(info, tests_dir, sandbox)
    from .plaindata import Unsupported, decode

    values = {}
    for n, a in answers.items():
        try:
            values[n] = decode(a["data"]) if "data" in a else None
        except Unsupported:
            values[n] = None
    leaks = scan_for_leaks(master, student_nb, values, {q.name: q.answer_names for q in info.questions})
    if leaks:
        shutil.rmtree(build_dir / "student", ignore_errors=True)
        raise CasekitError(f"The student version of {master.name} would leak {len(leaks)} item(s); "
                           "nothing was written to dist/student. Fix the master (solutions inside "
                           "# BEGIN SOLUTION / # END SOLUTION, correctness only in hidden tests, no "
                           "answer in any message):\n" + "\n".join(f"  - {leak}" for leak in leaks))
    handout = _checker_cells(json.loads(student_nb.read_text(encoding="utf-8")), master.stem,
                             checker_answers(info, values))
    out_student = dist / "student" / master.name
    out_zip = dist / "autograder" / f"{master.stem}.zip"
    out_student.parent.mkdir(parents=True, exist_ok=True)
    out_zip.parent.mkdir(parents=True, exist_ok=True)
    out_student.write_text(json.dumps(handout, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    shutil.copy2(zips[-1], out_zip)
    key = integrity.key_for(dist)
    questions = []
    for q in info.questions:
        entry = {"name": q.name, "manual": q.manual, "answer_names": q.answer_names,
                 "points": q.points if q.manual else possible.get(q.name, q.points)}
        if q.manual:   # for the instructor's marking page only (the manifest never reaches a student)
            entry.update(prompt=q.prompt, rubric=q.rubric,
                         model_answer=q.rubric.get("model_answer") or q.model_answer)
        questions.append(entry)
    body = {"version": MANIFEST_VERSION, "name": master.stem, "master_sha256": info.sha256,
            "bundle_mac": integrity.mac_file(key, out_zip), "setup": info.setup,
            "answer_names": info.answer_names, "questions": questions,
            "answer_cells": _handout_answer_cells(handout), "master_answers": answers}
    manifest = out_zip.with_suffix(".manifest.json")
    manifest.write_text(json.dumps({"body": body, "mac": integrity.mac(key, integrity.canonical(body))},
                                   ensure_ascii=False), encoding="utf-8")
    os.chmod(manifest, 0o600)
    stamp = out_zip.with_suffix(".master-sha256")
    stamp.write_text(info.sha256 + "\n")
    return Build(master, out_student, out_zip, build_dir, info.sha256, manifest)


def default_jobs() -> int:
    """How many runs at once: one per CPU core."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def build_students(masters: Iterable[str | Path], dist: str | Path | None = None,
                   jobs: int | None = None, timeout: float = 900, on_done=None,
                   sandbox: bool = True) -> dict[str, Build | CasekitError]:
    """:func:`build_student` for several masters, ``jobs`` at a time; one failing master never
    stops the others. Returns ``{master file name: Build or the CasekitError that explains}``."""
    masters = [Path(m) for m in masters]
    results: dict[str, Build | CasekitError] = {}

    def one(master: Path):
        try:
            return build_student(master, dist, timeout=timeout, sandbox=sandbox)
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
        stop_running()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return {m.name: results[m.name] for m in masters}
