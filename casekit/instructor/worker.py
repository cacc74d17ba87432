"""What runs INSIDE the grading sandbox. Two steps, each in its own fresh interpreter:

``python -P -m casekit.instructor.worker answers SPEC OUT``
    Runs a submission's code cells (the list the grader chose, in order) and writes the values
    of the exercise's answer names to OUT as plain data (:mod:`casekit.instructor.plaindata`).
    This is the only step in which a student's code runs.

``python -P -m casekit.instructor.worker tests SPEC OUT``
    In an interpreter no student code has touched: runs the master's setup cells (taken from the
    instructor's master), adds the answers rebuilt from plain data, and runs the instructor's
    otter test files on them with otter's own runner (``otter.test_files``). Writes the results
    to OUT as JSON.

Only JSON crosses the boundary, in both directions. This module imports nothing from the rest
of the instructor package, so it stays small enough to audit.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
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


def _write(out: str, payload: dict) -> None:
    tmp = out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(payload, fh, ensure_ascii=False)
    os.replace(tmp, out)


def answers(spec_path: str, out: str) -> None:
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
    _write(out, {"answers": found, "errors": errors})


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


def tests(spec_path: str, out: str) -> None:
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
    results = {}
    for path in spec["test_files"]:
        tf = test_files.OKTestFile.from_file(path)
        sink = _Sink()
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            tf.run(env)
        cases = []
        for tcr in tf.test_case_results:
            tc = tcr.test_case
            cases.append({"name": tc.name, "hidden": bool(tc.hidden), "points": float(tc.points or 0),
                          "passed": bool(tcr.passed),
                          "failure_message": tc.failure_message, "success_message": tc.success_message,
                          "detail": _short(tcr.message)})
        results[tf.name] = {"score": float(tf.score), "possible": float(tf.possible), "cases": cases}
    _write(out, {"questions": results, "setup_errors": setup_errors, "answer_notes": notes})


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) != 3 or argv[0] not in ("answers", "tests"):
        print("usage: python -m casekit.instructor.worker answers|tests SPEC OUT", file=sys.stderr)
        return 2
    {"answers": answers, "tests": tests}[argv[0]](argv[1], argv[2])
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    # Leave at once: nothing a submission started gets a chance to run at interpreter exit.
    os._exit(code)
