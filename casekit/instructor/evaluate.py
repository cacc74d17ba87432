"""One notebook through the two sandboxed steps: its answers out as plain data, then the hidden
tests on those answers in a fresh interpreter. Used to grade a submission and, at build time, to
prove that a master's own solutions get full marks and a blank gets nothing.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from . import sandbox as sb

__all__ = ["Evaluation", "evaluate_cells", "MAX_RESULT_BYTES"]

MAX_RESULT_BYTES = 32 << 20      # what a step may hand back; more is refused
_WORKER = [sys.executable, "-P", "-m", "casekit.instructor.worker"]


@dataclass
class Evaluation:
    answers: dict = field(default_factory=dict)     # name -> {"data"| "missing" | "unsupported"}
    errors: list = field(default_factory=list)      # cells of the submission that raised
    questions: dict = field(default_factory=dict)   # test name -> {"score", "possible", "cases"}
    answer_notes: dict = field(default_factory=dict)
    status: str = "graded"                          # graded | timeout | error
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _read_json(path: Path) -> dict | None:
    try:
        if not path.is_file() or path.is_symlink() or path.stat().st_size > MAX_RESULT_BYTES:
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else None
    except (OSError, ValueError, UnicodeDecodeError, RecursionError):
        return None


def _clean_answers(raw: dict | None, names: list[str]) -> dict:
    """Keep only the expected names, each in one of the three expected shapes."""
    out = {}
    answers = (raw or {}).get("answers")
    if not isinstance(answers, dict):
        return {n: {"missing": True} for n in names}
    for n in names:
        entry = answers.get(n)
        if isinstance(entry, dict) and "data" in entry:
            out[n] = {"data": entry["data"]}
        elif isinstance(entry, dict) and isinstance(entry.get("unsupported"), str):
            out[n] = {"unsupported": entry["unsupported"][:300]}
        else:
            out[n] = {"missing": True}
    return out


def _clean_errors(raw: dict | None) -> list[dict]:
    errs = (raw or {}).get("errors")
    if not isinstance(errs, list):
        return []
    out = []
    for e in errs[:50]:
        if isinstance(e, dict):
            out.append({"cell": e.get("cell") if isinstance(e.get("cell"), int) else None,
                        "error": str(e.get("error", ""))[:80], "message": str(e.get("message", ""))[:300]})
    return out


def _own_dir(parent: Path, name: str, writable_by: int | None) -> Path:
    d = parent / name
    d.mkdir(mode=0o755)
    if writable_by is not None:
        os.chown(d, writable_by, writable_by)
    return d


def evaluate_cells(cells: list[tuple[int, str]], answer_names: list[str], setup: list[str],
                   tests_dir: Path, *, limits: sb.Limits, slot: int = 0, sandbox: bool = True,
                   preset_answers: dict | None = None, tests_limits: sb.Limits | None = None) -> Evaluation:
    """Run ``cells`` (a submission's code) and export ``answer_names``; then run every test file
    in ``tests_dir`` on the master's ``setup`` plus those answers. With ``preset_answers`` the
    first step is skipped (e.g. a blank submission: every answer ``...``)."""
    ev = Evaluation()
    ro_pkg, pythonpath = sb.package_binds()
    ro = sb.python_binds() + ro_pkg
    env = {"PYTHONPATH": pythonpath} if pythonpath else {}
    uid = sb.SANDBOX_UID_BASE + slot if (sandbox and os.geteuid() == 0) else None
    with tempfile.TemporaryDirectory(prefix="casekit-step-") as tmp:
        tmp = Path(tmp)
        os.chmod(tmp, 0o755)
        if preset_answers is None:
            inp = _own_dir(tmp, "in1", None)
            out = _own_dir(tmp, "out1", uid)
            (inp / "spec.json").write_text(json.dumps({"cells": cells, "answer_names": answer_names},
                                                      ensure_ascii=False), encoding="utf-8")
            res = sb.run(_WORKER + ["answers", str(inp / "spec.json"), str(out / "answers.json")],
                         limits=limits, slot=slot, ro=ro + [str(inp)], rw=[str(out)], env=env,
                         sandbox=sandbox)
            ev.seconds += res.seconds
            raw = _read_json(out / "answers.json")
            if res.timed_out:
                ev.status = "timeout"
                ev.notes.append(f"the notebook ran longer than {limits.wall_seconds:g} s and was stopped "
                                f"(an endless loop or a very slow cell?); answers it set before that were not "
                                f"kept · 运行超过 {limits.wall_seconds:g} 秒被中止")
            elif raw is None:
                ev.status = "error"
                why = " (it ran out of memory)" if res.oom else ""
                ev.notes.append("the notebook stopped before its answers could be read" + why +
                                " · 笔记本在读取答案之前就中止了")
            ev.answers = _clean_answers(raw, answer_names)
            ev.errors = _clean_errors(raw)
            shutil.rmtree(out, ignore_errors=True)   # whatever else the submission left there is dropped
        else:
            ev.answers = {n: preset_answers.get(n, {"missing": True}) for n in answer_names}
        inp2 = _own_dir(tmp, "in2", None)
        out2 = _own_dir(tmp, "out2", uid)
        test_files = sorted(str(p) for p in Path(tests_dir).glob("*.py"))
        spec = {"setup": setup, "test_files": test_files,
                "answers": {n: a for n, a in ev.answers.items() if "data" in a}}
        (inp2 / "spec.json").write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
        res = sb.run(_WORKER + ["tests", str(inp2 / "spec.json"), str(out2 / "results.json")],
                     limits=tests_limits or limits, slot=slot, ro=ro + [str(inp2), str(tests_dir)],
                     rw=[str(out2)], env=env, sandbox=sandbox)
        ev.seconds += res.seconds
        raw2 = _read_json(out2 / "results.json")
        if raw2 is None or not isinstance(raw2.get("questions"), dict):
            ev.status = "error"
            tail = res.stderr_tail.strip().splitlines()[-1:] or ["no output"]
            ev.notes.append(f"the hidden tests could not run ({'timeout' if res.timed_out else tail[0][:200]}); "
                            "this is a grader problem, not the student's · 隐藏测试无法运行（评分程序的问题）")
            return ev
        ev.questions = raw2["questions"]
        notes = raw2.get("answer_notes")
        ev.answer_notes = {str(k): str(v)[:300] for k, v in notes.items()} if isinstance(notes, dict) else {}
        if raw2.get("setup_errors"):
            ev.status = "error"
            ev.notes.append("the master's setup cells failed in the grader: "
                            + "; ".join(f"{e.get('error')}: {e.get('message')}" for e in raw2["setup_errors"][:3]))
    return ev
