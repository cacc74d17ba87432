"""One notebook through the two sandboxed steps: its answers out as plain data, then the hidden
tests on those answers in a fresh interpreter. Used to grade a submission and, at build time, to
prove that a master's own solutions get full marks and a blank gets nothing.

What comes back from a step is bounded before it is believed: at most
:data:`sandbox.MAX_STDOUT_BYTES` of JSON on the step's standard output (nothing is written to the
host's disk), refused if nested deeper than :data:`MAX_DEPTH`, and then reduced to the expected
names and shapes. When the hidden-tests step fails as a whole, the same step runs once on a blank
submission: if that works, the fault lies in this submission's answers (a note says so); only if
that fails too is it called a grader problem.
"""
from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path

from . import sandbox as sb

__all__ = ["Evaluation", "evaluate_cells", "MAX_RESULT_BYTES", "MAX_DEPTH", "loads_bounded"]

MAX_RESULT_BYTES = sb.MAX_STDOUT_BYTES   # what a step may hand back; more is refused
MAX_DEPTH = 100                          # JSON nested deeper than this is refused unread
_WORKER = [sys.executable, "-P", "-m", "casekit.instructor.worker"]
_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"')
_BRACKETS = re.compile(rb"[\[\]{}]")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def loads_bounded(data: bytes, max_bytes: int = MAX_RESULT_BYTES, max_depth: int = MAX_DEPTH):
    """JSON from an untrusted source, or ``None``: too big, too deep, not UTF-8 or not JSON.
    The depth is measured on the raw text (strings removed) before anything is parsed."""
    if not isinstance(data, (bytes, bytearray)) or len(data) > max_bytes:
        return None
    skeleton = _STRINGS.sub(b"", data)
    depth = max(accumulate(_STEP[b] for b in _BRACKETS.findall(skeleton) for b in b), default=0) \
        if skeleton.count(b"[") + skeleton.count(b"{") > max_depth else 0
    if depth > max_depth:
        return None
    try:
        return json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


@dataclass
class Evaluation:
    answers: dict = field(default_factory=dict)     # name -> {"data"| "missing" | "unsupported"}
    errors: list = field(default_factory=list)      # cells of the submission that raised
    questions: dict = field(default_factory=dict)   # test name -> {"score", "possible", "cases"}
    answer_notes: dict = field(default_factory=dict)
    status: str = "graded"                          # graded | timeout | error | rejected
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    grader_fault: bool = False                      # a fault no submission could cause


def _result(res: sb.Result) -> dict | None:
    if res.stdout_overflow:
        return None
    data = loads_bounded(res.stdout)
    return data if isinstance(data, dict) else None


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


_blank_tests_ok: dict[tuple, bool] = {}


def _run_tests(answers: dict, setup: list[str], tests_dir: Path, tmp: Path, name: str, *, limits, slot,
               ro, env, sandbox) -> tuple[dict | None, sb.Result]:
    inp = tmp / name
    inp.mkdir(mode=0o755)
    test_files = sorted(str(p) for p in Path(tests_dir).glob("*.py"))
    per_file = max(5.0, min(60.0, limits.wall_seconds * 0.6 / max(len(test_files), 1)))
    spec = {"setup": setup, "test_files": test_files, "seconds_per_file": per_file,
            "answers": {n: a for n, a in answers.items() if "data" in a}}
    (inp / "spec.json").write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    res = sb.run(_WORKER + ["tests", str(inp / "spec.json")], limits=limits, slot=slot,
                 ro=ro + [str(inp), str(tests_dir)], rw=[], env=env, sandbox=sandbox)
    raw = _result(res)
    if raw is None or not isinstance(raw.get("questions"), dict):
        return None, res
    return raw, res


def _clean_questions(raw: dict) -> dict:
    out = {}
    for qname, got in raw.items():
        if isinstance(qname, str) and isinstance(got, dict) and isinstance(got.get("cases"), list):
            out[qname] = got
    return out


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
    tl = tests_limits or limits
    with tempfile.TemporaryDirectory(prefix="casekit-step-") as tmp:
        tmp = Path(tmp)
        os.chmod(tmp, 0o755)
        if preset_answers is None:
            inp = _own_dir(tmp, "in1", None)
            (inp / "spec.json").write_text(json.dumps({"cells": cells, "answer_names": answer_names},
                                                      ensure_ascii=False), encoding="utf-8")
            res = sb.run(_WORKER + ["answers", str(inp / "spec.json")],
                         limits=limits, slot=slot, ro=ro + [str(inp)], rw=[], env=env, sandbox=sandbox)
            ev.seconds += res.seconds
            raw = _result(res)
            if res.timed_out:
                ev.status = "timeout"
                ev.notes.append(f"the notebook ran longer than {limits.wall_seconds:g} s and was stopped "
                                f"(an endless loop or a very slow cell?); answers it set before that were not "
                                f"kept · 运行超过 {limits.wall_seconds:g} 秒被中止")
            elif res.stdout_overflow:
                ev.status = "rejected"
                ev.notes.append(f"the notebook handed back more than {MAX_RESULT_BYTES >> 20} MB of answers: "
                                "refused, not read · 笔记本交回的答案超过上限，已拒绝")
            elif raw is None and res.stdout.strip():
                ev.status = "rejected"
                ev.notes.append(f"the notebook handed back answers the grader refuses to read (malformed, or "
                                f"nested more than {MAX_DEPTH} levels deep) · 笔记本交回的答案格式异常，已拒绝")
            elif raw is None:
                ev.status = "error"
                why = " (it ran out of memory)" if res.oom else ""
                ev.notes.append("the notebook stopped before its answers could be read" + why +
                                " · 笔记本在读取答案之前就中止了")
            if res.stderr_bytes > 16 << 20:
                ev.notes.append(f"the notebook wrote {res.stderr_bytes >> 20:,} MB of output; the grader read and "
                                "dropped it · 笔记本输出过多，已丢弃")
            ev.answers = _clean_answers(raw, answer_names)
            ev.errors = _clean_errors(raw)
        else:
            ev.answers = {n: preset_answers.get(n, {"missing": True}) for n in answer_names}
        raw2, res = _run_tests(ev.answers, setup, tests_dir, tmp, "in2", limits=tl, slot=slot, ro=ro, env=env,
                               sandbox=sandbox)
        ev.seconds += res.seconds
        if raw2 is None:
            ev.status = "error"
            if not any("data" in a for a in ev.answers.values()):
                ev.grader_fault = True
            else:   # does the same step work without this submission's answers?
                key = (str(tests_dir), tuple(setup), sandbox)
                if key not in _blank_tests_ok:
                    blank = {n: {"data": {"$": "ellipsis"}} for n in answer_names}
                    ok, res_b = _run_tests(blank, setup, tests_dir, tmp, "in3", limits=tl, slot=slot, ro=ro,
                                           env=env, sandbox=sandbox)
                    ev.seconds += res_b.seconds
                    _blank_tests_ok[key] = ok is not None
                ev.grader_fault = not _blank_tests_ok[key]
            if ev.grader_fault:
                why = "timeout" if res.timed_out else ("out of memory" if res.oom else f"exit {res.returncode}")
                ev.notes.append(f"the hidden tests could not run ({why}) even without this submission's answers; "
                                "this is a grader problem, not the student's · 隐藏测试无法运行（评分程序的问题）")
            else:
                why = ("ran longer than the time limit" if res.timed_out else
                       "ran out of memory" if res.oom else "stopped")
                ev.status = "rejected"
                ev.notes.append(f"the hidden tests {why} on this notebook's answers (they work on a blank "
                                "submission): the questions were not scored · 隐藏测试在这份答案上无法完成，相关题目不计分")
            return ev
        ev.questions = _clean_questions(raw2["questions"])
        notes = raw2.get("answer_notes")
        ev.answer_notes = {str(k): str(v)[:300] for k, v in notes.items()} if isinstance(notes, dict) else {}
        if raw2.get("setup_errors"):
            ev.status = "error"
            ev.grader_fault = True
            ev.notes.append("the master's setup cells failed in the grader: "
                            + "; ".join(f"{e.get('error')}: {e.get('message')}" for e in raw2["setup_errors"][:3]
                                        if isinstance(e, dict)))
    return ev
