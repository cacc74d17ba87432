"""What runs INSIDE the grading sandbox. Two steps, each in its own fresh interpreter:

``python -P -m casekit.instructor.worker answers SPEC``
    Runs a submission's code cells (the list the grader chose, in order) and writes the values
    of the exercise's answer names as plain data (:mod:`casekit.instructor.plaindata`), one JSON
    document on the step's standard output. This is the only step in which a student's code runs.

``python -P -m casekit.instructor.worker tests SPEC``
    In an interpreter no student code has touched: runs the master's setup cells (taken from the
    instructor's master), adds the answers rebuilt from plain data, and runs the instructor's
    otter test files on them with otter's own runner (``otter.test_files``), each test file under
    a time limit of its own (an answer such as the path ``"/dev/ptmx"`` that makes a test wait or
    raise fails that question only). Writes the results as JSON on standard output.

Only JSON crosses the boundary, in both directions, and nothing is written to the host: the
result goes to a private copy of standard output (cells' own output, and anything written to file
descriptor 1, goes nowhere), which the grader reads with a size cap. This module imports nothing
from the rest of the instructor package, so it stays small enough to audit.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import sys

__all__ = ["main"]

_MAX_TEXT = 300


class _Sink(io.TextIOBase):
    """Swallows what cells print (a submission could print gigabytes)."""

    def write(self, s):
        return len(s)


def _short(text: object) -> str:
    text = str(text).replace("\n", " ").strip()
    return text if len(text) <= _MAX_TEXT else text[:_MAX_TEXT] + "…"


def _shell():
    os.environ.setdefault("MPLBACKEND", "Agg")
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance(colors="NoColor")
    shell.showtraceback = lambda *a, **k: None   # errors are collected, not printed
    return shell


def _run_cells(shell, cells) -> list[dict]:
    errors = []
    for index, source in cells:
        sink = _Sink()
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            result = shell.run_cell(source, store_history=False)
        exc = result.error_before_exec or result.error_in_exec
        if exc is not None:
            errors.append({"cell": index, "error": type(exc).__name__, "message": _short(exc)})
    return errors


def _result_channel() -> int:
    """A private copy of standard output for the result; fd 1 itself then goes nowhere."""
    fd = os.dup(1)                       # not inherited by anything the step starts
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.close(null)
    return fd


def _write(fd: int, payload: dict) -> None:
    data = memoryview(json.dumps(payload, ensure_ascii=False).encode("utf-8"))
    while data:
        n = os.write(fd, data)
        data = data[n:]


class _TestTimeout(Exception):
    pass


def _on_alarm(signum, frame):
    raise _TestTimeout()


def answers(spec_path: str, fd: int) -> None:
    with open(spec_path, encoding="utf-8") as fh:
        spec = json.load(fh)
    from casekit.instructor import plaindata   # before student code runs

    encode, Unsupported = plaindata.encode, plaindata.Unsupported
    shell = _shell()
    errors = _run_cells(shell, spec["cells"])
    found = {}
    ns = shell.user_ns
    for name in spec["answer_names"]:
        if name not in ns:
            found[name] = {"missing": True}
            continue
        try:
            found[name] = {"data": encode(ns[name])}
        except Unsupported as exc:
            found[name] = {"unsupported": _short(exc)}
        except Exception as exc:   # a value whose own methods raise while being read
            found[name] = {"unsupported": f"{type(ns[name]).__name__} ({_short(exc)})"}
    _write(fd, {"answers": found, "errors": errors})


def _otter_test_files():
    """otter's test-file classes. ``import otter`` pulls in its whole command line (about 2 s more
    here); the test runner needs none of it, so load the subpackage directly when that works."""
    import importlib
    import importlib.util
    import types

    try:
        spec = importlib.util.find_spec("otter")
        stub = types.ModuleType("otter")
        stub.__path__ = list(spec.submodule_search_locations)
        stub.__spec__ = spec
        sys.modules["otter"] = stub
        return importlib.import_module("otter.test_files")
    except Exception:
        for name in [m for m in sys.modules if m == "otter" or m.startswith("otter.")]:
            del sys.modules[name]
        return importlib.import_module("otter.test_files")


def _case_of(tc, passed: bool, detail: str) -> dict:
    return {"name": tc.name, "hidden": bool(tc.hidden), "points": float(tc.points or 0), "passed": passed,
            "failure_message": tc.failure_message, "success_message": tc.success_message,
            "detail": _short(detail)}


def tests(spec_path: str, fd: int) -> None:
    with open(spec_path, encoding="utf-8") as fh:
        spec = json.load(fh)
    from casekit.instructor.plaindata import Unsupported, decode

    test_files = _otter_test_files()
    shell = _shell()
    setup_errors = _run_cells(shell, [(k, src) for k, src in enumerate(spec["setup"])])
    env = dict(shell.user_ns)
    notes = {}
    for name, entry in spec["answers"].items():
        if "data" not in entry:
            continue
        try:
            env[name] = decode(entry["data"])
        except Unsupported as exc:
            notes[name] = _short(exc)
        except Exception as exc:   # data plaindata should have refused: still the answer's fault
            notes[name] = f"malformed answer data ({type(exc).__name__})"
    results = {}
    per_file = float(spec.get("seconds_per_file") or 60)
    signal.signal(signal.SIGALRM, _on_alarm)
    for path in spec["test_files"]:
        tf = test_files.OKTestFile.from_file(path)
        sink = _Sink()
        stopped = ""
        signal.setitimer(signal.ITIMER_REAL, per_file)
        try:
            with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
                tf.run(dict(env))   # each file gets its own copy: one test cannot change another's answers
        except _TestTimeout:
            stopped = f"the test did not finish within {per_file:g} s on this answer"
        except Exception as exc:
            stopped = f"the test raised {type(exc).__name__} on this answer"
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        if stopped:
            cases = [_case_of(tc, False, stopped) for tc in tf.test_cases]
            results[tf.name] = {"score": 0.0, "possible": float(sum(c["points"] for c in cases)),
                                "cases": cases, "stopped": stopped}
            continue
        cases = [_case_of(tcr.test_case, bool(tcr.passed), tcr.message) for tcr in tf.test_case_results]
        results[tf.name] = {"score": float(tf.score), "possible": float(tf.possible), "cases": cases}
    _write(fd, {"questions": results, "setup_errors": setup_errors, "answer_notes": notes})


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) != 2 or argv[0] not in ("answers", "tests"):
        print("usage: python -m casekit.instructor.worker answers|tests SPEC", file=sys.stderr)
        return 2
    fd = _result_channel()
    {"answers": answers, "tests": tests}[argv[0]](argv[1], fd)
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    # Leave at once: nothing a submission started gets a chance to run at interpreter exit.
    os._exit(code)
