"""The suite holds under load: every kernel and otter run is bounded and fails clearly.

``make test`` once failed with 15 errors on a busy machine: one ``otter assign`` never finished (its
kernel started, then nothing), its bare TimeoutExpired after 900 s escaped ``build_students`` and
took the shared ``built`` fixture, and every test using it, down with it.
"""
import os
import stat
import time
from pathlib import Path

import pytest

from casekit import CasekitError
from casekit.instructor import build

ROOT = Path(__file__).resolve().parent.parent


def _fake_python(tmp_path: Path, body: str) -> Path:
    exe = tmp_path / "fake-python"
    exe.write_text("#!/bin/sh\n" + body + "\n")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    return exe


def test_a_hung_otter_run_is_stopped_retried_once_and_reported(tmp_path, monkeypatch, capsys):
    log = tmp_path / "runs.txt"
    # like a kernel that never answers: says it started, then waits for good
    exe = _fake_python(tmp_path, f'echo "$JUPYTER_RUNTIME_DIR" >> {log}; echo "kernel started"; exec sleep 60')
    monkeypatch.setattr(build.sys, "executable", str(exe))
    t0 = time.monotonic()
    with pytest.raises(CasekitError, match=r"did not finish within 1 s, 2 times(.|\n)*kernel started"):
        build.otter("assign", "master.ipynb", "out", cwd=tmp_path, timeout=2)
    assert time.monotonic() - t0 < 15
    runtimes = log.read_text().split()
    assert len(runtimes) == 2 and runtimes[0] != runtimes[1], "each attempt gets its own runtime folder"
    assert not any(Path(r).exists() for r in runtimes), "runtime folders are removed afterwards"
    assert not build._running
    said = capsys.readouterr().err
    assert "did not finish within 1 s" in said and "trying once more" in said, "the retry is said while it waits"


def test_the_build_never_lets_otter_execute_a_notebook(tmp_path, monkeypatch):
    """otter's own run of the tests executes every cell with no limit per cell (it hung on the stage
    explorer's cell); the build asks otter for the files only and proves the solutions itself."""
    seen = []

    def fake_otter(*args, **kwargs):
        seen.append(args)
        raise CasekitError("stop here")

    monkeypatch.setattr(build, "otter", fake_otter)
    with pytest.raises(CasekitError, match="stop here"):
        build.build_student(ROOT / "notebooks" / "exercises" / "00_start_here_exercises.ipynb",
                            dist=tmp_path / "dist", sandbox=False)
    assert seen and seen[0][:2] == ("assign", "--no-run-tests")


def test_a_run_that_answers_on_the_second_try_succeeds(tmp_path, monkeypatch):
    flag = tmp_path / "tried"
    exe = _fake_python(tmp_path, f'if [ -e {flag} ]; then echo done; exit 0; fi; touch {flag}; exec sleep 60')
    monkeypatch.setattr(build.sys, "executable", str(exe))
    res = build.otter("assign", "m.ipynb", "o", cwd=tmp_path, timeout=3)
    assert res.returncode == 0 and "done" in res.stdout


def test_every_test_has_a_time_limit():
    """pytest-timeout's default bounds any test that sets none (a hang fails with a stack dump)."""
    import tomllib

    ini = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert 0 < int(ini["timeout"]) <= 1800


@pytest.mark.slow
def test_a_stalled_cell_costs_seconds_and_is_named(tmp_path):
    import nbformat
    from notebook_runner import execute

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1"),
                                         nbformat.v4.new_code_cell("import time\ntime.sleep(120)")])
    t0 = time.monotonic()
    with pytest.raises(AssertionError, match=r"stall-probe: cell 1 \('import time'\) did not finish within 3 s"):
        execute(nb, "stall-probe", tmp_path, cell_timeout=3)
    assert time.monotonic() - t0 < 60


def test_every_notebook_the_suite_executes_goes_through_the_bounded_runner():
    assert os.environ.get("JUPYTER_RUNTIME_DIR"), "the suite gives its kernels their own runtime folder"
    direct = [p.name for p in (ROOT / "tests").glob("*.py")
              if "NotebookClient(" in p.read_text(encoding="utf-8") and p.name not in ("notebook_runner.py", "test_suite_bounds.py")]
    # test_package.py runs its notebook inside a clean venv outside the clone, with its own bound
    assert direct == ["test_package.py"], direct
    assert "timeout=60" in (ROOT / "tests" / "test_package.py").read_text(encoding="utf-8")


@pytest.mark.xdist_group("suite-bounds-guard")
def test_each_group_of_tests_runs_on_one_worker(request):
    """The suite's time rests on pytest-xdist's ``--dist loadgroup`` (conftest.py): a module's
    server, browser and JupyterLab start once, and the student versions are built once. pytest 9.2
    broke that silently (pytest-dev/pytest-xdist#1386: the group suffix xdist writes into the node id
    no longer takes, so tests went out one by one and both workers built and started everything);
    this test fails if the grouping is lost again."""
    if not getattr(request.config.option, "loadgroup", False):
        pytest.skip("not run by a pytest-xdist worker with --dist loadgroup")
    assert request.node.nodeid.endswith("@suite-bounds-guard"), (
        f"pytest-xdist did not put this test in its group: {request.node.nodeid!r} has no "
        "'@suite-bounds-guard'. Check the pytest and pytest-xdist versions (pyproject.toml).")
