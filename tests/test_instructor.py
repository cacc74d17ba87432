"""Instructor tools: the leak scan, reading masters, answers as plain data, batch grading
(resume, parallel order, broken files, integrity), self-study versions, and every real master
through the sandboxed grading path (its solutions full marks, a blank nothing).

Hostile submissions are in test_grading_security.py. Set CASEKIT_TEST_EXERCISES to a folder of
masters to run the slow tests against another set.
"""
from __future__ import annotations

import copy
import io
import json
import re
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from casekit import instructor
from casekit.errors import CasekitError
from casekit.instructor import build, feedback, grade as grading, integrity, leaks, masters, plaindata
from casekit.instructor import sandbox as sb
from casekit.instructor.cli import main, nbgitpuller_link

from conftest import EXERCISES, MASTERS  # noqa: E402

M00 = EXERCISES / "00_start_here_exercises.ipynb"


# ------------------------------------------------------------------------------------------
# the leak scan on small hand-made notebooks
# ------------------------------------------------------------------------------------------

def _nb(cells, metadata=None):
    return {"cells": [{"cell_type": t, "metadata": {}, "source": s,
                       **({"outputs": [], "execution_count": None} if t == "code" else {})}
                      for t, s in cells],
            "metadata": metadata or {}, "nbformat": 4, "nbformat_minor": 5}


MASTER = _nb([
    ("raw", "# ASSIGNMENT CONFIG\nname: demo"),
    ("code", "import casekit"),
    ("raw", "# BEGIN QUESTION\nname: q1\npoints: 1"),
    ("markdown", "Store the number of firms in `n_firms`; `len(df)` counts rows."),
    ("raw", "# BEGIN SOLUTION"),
    ("code", "n_firms = len(df)  # SOLUTION\nratio = total_words / interview_count  # SOLUTION\nratio"),
    ("raw", "# END SOLUTION"),
    ("raw", "# BEGIN TESTS"),
    ("code", '""" # BEGIN TEST CONFIG\nfailure_message: Count the rows.\npoints: 0\n""" # END TEST CONFIG\n'
             "assert isinstance(n_firms, int)"),
    ("code", '""" # BEGIN TEST CONFIG\nhidden: true\nfailure_message: Add up the rows of words for Keda.\n'
             '""" # END TEST CONFIG\nassert abs(ratio - float("19.8")) < 0.05'),
    ("raw", "# END TESTS"),
    ("raw", "# END QUESTION"),
    ("raw", "# BEGIN QUESTION\nname: q2\npoints: 2\nmanual: true"),
    ("markdown", "Explain."),
    ("raw", "# BEGIN SOLUTION"),
    ("markdown", "Because the tiers are listed side by side."),
    ("raw", "# END SOLUTION"),
    ("raw", "# END QUESTION"),
])


def _student(extra_cells=(), metadata=None):
    return _nb([("markdown", "Store the number of firms in `n_firms`; `len(df)` counts rows."),
                ("code", "n_firms = ...\nratio = ...\nratio"), ("code", 'grader.check("q1")'),
                *extra_cells], metadata)


def _scan(tmp_path, student, answers=None):
    (tmp_path / "m.ipynb").write_text(json.dumps(MASTER))
    (tmp_path / "s.ipynb").write_text(json.dumps(student))
    return instructor.scan_for_leaks(tmp_path / "m.ipynb", tmp_path / "s.ipynb", answers,
                                     {"q1": ["n_firms", "ratio"]} if answers else None)


def _public(code, failure="Store a whole number.", success=None):
    case = {"code": code, "hidden": False, "points": 0, "failure_message": failure}
    if success:
        case["success_message"] = success
    return {"otter": {"tests": {"q1": {"name": "q1", "points": 1, "suites": [{"cases": [case]}]}}}}


def test_clean_student_version_has_no_leaks(tmp_path):
    assert _scan(tmp_path, _student(metadata=_public(">>> assert isinstance(n_firms, int)")),
                 {"n_firms": 2, "ratio": 19.8}) == []


def test_solution_text_in_a_cell_is_a_leak(tmp_path):
    leaks_found = _scan(tmp_path, _student([("code", "ratio = total_words / interview_count")]))
    assert [x.kind for x in leaks_found] == ["solution"]


def test_hidden_test_in_metadata_is_a_leak_even_requoted(tmp_path):
    meta = _public(">>> assert abs(ratio - float('19.8')) < 0.05")
    assert any(x.kind == "hidden test" for x in _scan(tmp_path, _student(metadata=meta)))


def test_public_test_comparing_with_the_answer_is_a_leak(tmp_path):
    """The issue's cases: ``n_stages == 6`` and ``q1_mechanism == 'infrastructure_sharing'``."""
    found = _scan(tmp_path, _student(metadata=_public(">>> assert n_firms == 2")), {"n_firms": 2, "ratio": 19.8})
    assert any(x.kind == "answer in a public test" for x in found)
    found = _scan(tmp_path, _student(metadata=_public(">>> assert n_firms == 'keda_ltd'")),
                  {"n_firms": "keda_ltd", "ratio": 19.8})
    assert any("public test" in x.kind for x in found)


def test_a_menu_of_allowed_ids_is_not_a_leak_but_a_message_with_the_answer_is(tmp_path):
    menu = _public(">>> assert n_firms in {'keda_ltd', 'zhongtu_ltd', 'other_ltd'}",
                   failure="Use one of keda_ltd, zhongtu_ltd or other_ltd.")
    assert _scan(tmp_path, _student(metadata=menu), {"n_firms": "keda_ltd", "ratio": 19.8}) == []
    told = _public(">>> assert isinstance(n_firms, str)", failure="The answer is keda_ltd.")
    assert any("failure message" in x.kind for x in _scan(tmp_path, _student(metadata=told),
                                                           {"n_firms": "keda_ltd", "ratio": 19.8}))
    ok = _public(">>> assert isinstance(n_firms, str)", success="Format OK; ratio was 19.8")
    assert any("success message" in x.kind for x in _scan(tmp_path, _student(metadata=ok),
                                                           {"n_firms": "keda_ltd", "ratio": 19.8}))


def test_leftover_otter_markers_are_leaks(tmp_path):
    assert any(x.kind == "marker" for x in _scan(tmp_path, _student([("code", "# BEGIN SOLUTION\nx = 1")])))


def test_message_leaks_numbers_and_labels():
    assert leaks.message_leaks("Not yet: the crossover is 40.", {40.0}) == [40.0]
    assert leaks.message_leaks("Not yet: solve 200/q = 5.", {40.0}) == []
    assert leaks.message_leaks("Given F0 = 100, think again.", {100.0}, prompt="F0 = 100") == []


# ------------------------------------------------------------------------------------------
# reading masters
# ------------------------------------------------------------------------------------------

def test_master_setup_questions_and_answer_names(tmp_path):
    (tmp_path / "m.ipynb").write_text(json.dumps(MASTER))
    info = masters.parse_master(tmp_path / "m.ipynb")
    assert info.setup == ["import casekit"]
    assert [(q.name, q.points, q.manual) for q in info.questions] == [("q1", 1.0, False), ("q2", 2.0, True)]
    assert info.answer_names == ["n_firms", "ratio"]
    assert masters.answer_names_of("a, (b, c) = 1, (2, 3)\nd[0] = 1\ne += 1\nfor i in x:\n    f = i") == \
        ["a", "b", "c", "d", "e", "f"]


def test_every_master_is_found_and_selectable():
    found = instructor.exercise_masters()
    assert [m.name for m in instructor.find_masters(["02"])] == ["02_keda_zhongtu_exercises.ipynb"]
    assert len(instructor.find_masters([])) == len(found) >= 5


def test_unknown_master_names_the_ones_that_exist():
    with pytest.raises(CasekitError, match="Masters found: 00_start_here_exercises"):
        instructor.find_masters(["nope"])


def test_cli_reports_a_missing_folder_without_a_traceback(capsys, tmp_path):
    assert main(["grade", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("casekit: The submissions folder") and "Traceback" not in err


# ------------------------------------------------------------------------------------------
# answers as plain data
# ------------------------------------------------------------------------------------------

def test_plaindata_round_trips_tables_arrays_and_models():
    from casekit.cost_curves import CostScenario

    df = pd.DataFrame({"firm": pd.Categorical(["keda", "zhongtu"]), "n": [1, 2], "x": [0.5, float("nan")],
                       "ok": [True, False]}, index=[3, 7])
    back = plaindata.decode(json.loads(json.dumps(plaindata.encode(df))))
    pd.testing.assert_frame_equal(back, df)
    s = pd.Series([1.5, 2.5], index=pd.Index(["a", "b"], name="k"), name="v")
    pd.testing.assert_series_equal(plaindata.decode(plaindata.encode(s)), s)
    arr = np.arange(6, dtype="int32").reshape(2, 3)
    back = plaindata.decode(plaindata.encode(arr))
    assert back.dtype == np.int32 and (back == arr).all()
    sc = CostScenario(variable_cost_saving=0)
    assert plaindata.decode(plaindata.encode(sc)) == sc
    assert plaindata.decode(plaindata.encode(np.float64(2.5))) == 2.5


def test_plaindata_refuses_objects_with_behaviour():
    class AlwaysEqual(float):
        def __eq__(self, other):
            return True

    class EqDict(dict):
        pass

    for bad in (AlwaysEqual(1), EqDict(a=1), lambda: 1, object(), {"k": object()}, [1, [2, [object()]]]):
        with pytest.raises(plaindata.Unsupported):
            plaindata.encode(bad)
    for bad in ({"$": "model", "type": "os.system", "v": {"$": "dict", "v": []}},
                {"$": "np.array", "dtype": "object", "shape": [1], "v": [{"$": "nope"}]},
                {"$": "pd.Series", "index": {"range": [0, 10 ** 12, 1]}, "dtype": "int64", "v": []},
                {"$": "np.scalar", "dtype": "V8", "v": 1}, [1, 2], {"$": "float", "v": "1e999"}):
        with pytest.raises(plaindata.Unsupported):
            plaindata.decode(bad)


plain = st.recursive(
    st.none() | st.booleans() | st.integers(-10 ** 12, 10 ** 12) | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.tuples(children, children)
    | st.dictionaries(st.text(max_size=8), children, max_size=4), max_leaves=20)


@settings(max_examples=150, deadline=None)
@given(plain)
def test_plaindata_round_trip_property(value):
    assert plaindata.decode(json.loads(json.dumps(plaindata.encode(value)))) == value


@settings(max_examples=150, deadline=None)
@given(st.recursive(st.none() | st.integers() | st.text(max_size=5) | st.booleans(),
                    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=3), c, max_size=3),
                    max_leaves=12))
def test_decoding_arbitrary_json_never_raises_anything_but_unsupported(data):
    try:
        plaindata.decode(data)
    except plaindata.Unsupported:
        pass


# ------------------------------------------------------------------------------------------
# batch grading with a fake bundle (no otter, no sandbox): resume, order, broken files
# ------------------------------------------------------------------------------------------

def _fake_dist(tmp_path):
    """A master, its handout and a keyed manifest, as if `student` had run."""
    ex = tmp_path / "exercises"
    ex.mkdir()
    master = ex / "99_demo_exercises.ipynb"
    master.write_text(json.dumps(MASTER))
    dist = tmp_path / "dist"
    (dist / "autograder").mkdir(parents=True)
    zip_path = dist / "autograder" / "99_demo_exercises.zip"
    with zipfile.ZipFile(zip_path, "w") as zf:
        zf.writestr("tests/q1.py", 'OK_FORMAT = True\ntest = {"name": "q1", "points": 1, "suites": []}\n')
    key = integrity.key_for(dist)
    body = {"version": build.MANIFEST_VERSION, "name": "99_demo_exercises", "master_sha256": masters.sha256(master.read_bytes()),
            "bundle_mac": integrity.mac_file(key, zip_path), "setup": ["import casekit"],
            "answer_names": ["n_firms", "ratio"],
            "questions": [{"name": "q1", "manual": False, "answer_names": ["n_firms", "ratio"], "points": 1.0},
                          {"name": "q3", "manual": False, "answer_names": [], "points": 2.0}],
            "answer_cells": {}, "master_answers": {}}
    (dist / "autograder" / "99_demo_exercises.manifest.json").write_text(
        json.dumps({"body": body, "mac": integrity.mac(key, integrity.canonical(body))}))
    handout = _student(metadata={"otter": {"assignment_name": "99_demo_exercises"}})
    subs = tmp_path / "subs"
    for name in ["ann", "ben", "cat", "dov"]:
        (subs / name).mkdir(parents=True)
        (subs / name / master.name).write_text(json.dumps(handout).replace("n_firms = ...", f"# {name}"))
    return ex, dist, subs


def _fake_result(man):
    return {"questions": {q["name"]: {"score": q["points"], "possible": q["points"], "manual": q["manual"],
                                      "feedback": [], "written": ""} for q in man["questions"]},
            "notes": [], "status": "graded", "cells": {}}


def test_progress_bar_shows_count_and_time_left():
    stream = io.StringIO()
    bar = grading._Progress(4, stream=stream)
    bar.update("alice", seconds=10.0)
    bar.update("bob", seconds=20.0)
    line = stream.getvalue().split("\r")[-1]
    assert "2/4 submissions" in line and "~0:30 left" in line and "bob" in line
    assert line.count("█") == 12


def test_interrupted_batch_resumes_without_regrading(tmp_path, monkeypatch):
    ex, dist, subs = _fake_dist(tmp_path)
    calls = []

    def fake_grade_one(sub, man, tests_dir, limits, sandbox, slot):
        calls.append(sub.student)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return _fake_result(man)

    monkeypatch.setattr(grading, "_grade_one", fake_grade_one)
    first = grading.grade(subs, dist=dist, exercises=ex, progress=False, jobs=1, sandbox=False)
    assert first.interrupted and first.graded == 2 and calls == ["ann", "ben", "cat"]
    assert (dist / "grades" / "99_demo_exercises_scores.csv").read_text(encoding="utf-8-sig").count("\n") == 3
    second = grading.grade(subs, dist=dist, exercises=ex, progress=False, sandbox=False)
    assert not second.interrupted
    assert calls == ["ann", "ben", "cat", "cat", "dov"]
    assert (second.graded, second.from_cache) == (2, 2)
    assert second.scores() == {(s, "99_demo_exercises"): 3.0 for s in ["ann", "ben", "cat", "dov"]}
    (subs / "ann" / "99_demo_exercises.ipynb").write_text(json.dumps(_student()).replace("...", "2"))
    third = grading.grade(subs, dist=dist, exercises=ex, progress=False, sandbox=False)
    assert calls[-1] == "ann" and (third.graded, third.from_cache) == (1, 3)


def test_parallel_grading_gives_the_same_tables_in_file_order(tmp_path, monkeypatch):
    ex, dist, subs = _fake_dist(tmp_path)

    def fake_grade_one(sub, man, tests_dir, limits, sandbox, slot):
        time.sleep(0.2 if sub.student == "ann" else 0.01)
        return _fake_result(man)

    monkeypatch.setattr(grading, "_grade_one", fake_grade_one)
    one = grading.grade(subs, out=tmp_path / "g1", dist=dist, exercises=ex, progress=False, jobs=1, sandbox=False)
    two = grading.grade(subs, out=tmp_path / "g2", dist=dist, exercises=ex, progress=False, jobs=2, sandbox=False)
    assert two.graded == one.graded == 4 and two.rows == one.rows
    assert list(dict.fromkeys(r["student"] for r in two.rows)) == ["ann", "ben", "cat", "dov"]
    for name in ("grades_long.csv", "99_demo_exercises_scores.csv"):
        assert (tmp_path / "g2" / name).read_bytes() == (tmp_path / "g1" / name).read_bytes()


def test_parallel_interrupt_caches_only_finished_runs(tmp_path, monkeypatch):
    ex, dist, subs = _fake_dist(tmp_path)
    calls = []

    def fake_grade_one(sub, man, tests_dir, limits, sandbox, slot):
        calls.append(sub.student)
        if sub.student == "ben" and calls.count("ben") == 1:
            raise KeyboardInterrupt
        time.sleep(0.3)
        return _fake_result(man)

    monkeypatch.setattr(grading, "_grade_one", fake_grade_one)
    first = grading.grade(subs, dist=dist, exercises=ex, progress=False, jobs=2, sandbox=False)
    assert first.interrupted and first.graded == 0
    assert not list((dist / "grades" / ".cache").glob("*.json")), "a run cut short was cached as a result"
    second = grading.grade(subs, dist=dist, exercises=ex, progress=False, jobs=2, sandbox=False)
    assert not second.interrupted and (second.graded, second.from_cache) == (4, 0)


def test_unreadable_empty_vanished_and_linked_submissions_get_a_note(tmp_path, monkeypatch):
    ex, dist, subs = _fake_dist(tmp_path)
    (subs / "ann" / "99_demo_exercises.ipynb").write_text("")
    (subs / "ben" / "99_demo_exercises.ipynb").write_text("{not json")
    (subs / "cat" / "99_demo_exercises.ipynb").write_text(json.dumps(_nb([])))
    (subs / "dov" / "99_demo_exercises.ipynb").unlink()
    (subs / "dov" / "99_demo_exercises.ipynb").symlink_to("/etc/passwd")
    (subs / "eve").mkdir()
    (subs / "eve" / "99_demo_exercises.ipynb").write_text(json.dumps(_student()))
    real_read = grading.read_submission

    def vanishing(path, root):
        if "eve" in str(path):
            path.unlink()
        return real_read(path, root)

    monkeypatch.setattr(grading, "read_submission", vanishing)
    report = grading.grade(subs, dist=dist, exercises=ex, progress=False, assignment="99_demo", sandbox=False)
    rows = {(r["student"], r["question"]): r for r in report.rows}
    assert set(report.scores().values()) == {0.0}
    assert rows[("ann", "q1")]["status"] == "unreadable" and "empty" in rows[("ann", "q1")]["notes"]
    assert "not a readable notebook" in rows[("ben", "q1")]["notes"]
    assert rows[("cat", "q1")]["status"] == "empty" and "no code" in rows[("cat", "q1")]["notes"]
    assert rows[("dov", "q1")]["status"] == "unreadable" and "link" in rows[("dov", "q1")]["notes"]
    assert rows[("eve", "q1")]["status"] == "vanished" and "disappeared" in rows[("eve", "q1")]["notes"]
    assert rows[("ann", "q3")]["possible"] == 2.0 and rows[("ann", "q1")]["feedback"] == grading.NOT_ATTEMPTED
    fb = (dist / "grades" / "feedback" / "ben.md").read_text(encoding="utf-8")
    assert "0 / 3" in fb and "not a readable notebook" in fb


def test_a_changed_manifest_stops_the_batch(tmp_path):
    ex, dist, subs = _fake_dist(tmp_path)
    path = dist / "autograder" / "99_demo_exercises.manifest.json"
    data = json.loads(path.read_text())
    data["body"]["questions"][0]["points"] = 300
    path.write_text(json.dumps(data))
    with pytest.raises(CasekitError, match="changed after it was built"):
        grading.grade(subs, dist=dist, exercises=ex, progress=False, sandbox=False)


def test_csv_cells_are_guarded_against_formulas():
    assert feedback.csv_safe("=cmd|' /C calc'!A0") == "'=cmd|' /C calc'!A0"
    assert feedback.csv_safe("+1") == "'+1" and feedback.csv_safe("@SUM(A1)") == "'@SUM(A1)"
    assert feedback.csv_safe("fine") == "fine" and feedback.csv_safe(2.5) == 2.5


def test_nbgitpuller_link_format():
    link = nbgitpuller_link("https://hub.example.edu/", "https://github.com/me/class.git", "main", "class/student")
    assert link.startswith("https://hub.example.edu/hub/user-redirect/git-pull?repo=https%3A%2F%2Fgithub.com")
    assert "branch=main" in link and "urlpath=lab%2Ftree%2Fclass%2Fstudent" in link
    with pytest.raises(CasekitError, match="--hub"):
        nbgitpuller_link("hub.example.edu", "https://github.com/me/class")


def test_link_command_prints_the_link(capsys):
    assert main(["link", "--hub", "https://hub.x.edu", "--repo", "https://github.com/me/class-2026"]) == 0
    assert "urlpath=lab%2Ftree%2Fclass-2026" in capsys.readouterr().out


def test_sandbox_arguments_deny_by_construction(tmp_path):
    args = sb.bwrap_args(["python"], sb.Limits(), 3, ro=["/opt/py"], rw=[str(tmp_path)])
    joined = " ".join(args)
    for flag in ("--unshare-net", "--unshare-pid", "--die-with-parent", "--new-session", "--clearenv"):
        assert flag in args
    assert "--tmpfs /tmp" in joined and "--ro-bind /opt/py /opt/py" in joined
    assert str(Path.home()) not in joined.replace("--setenv HOME /tmp", "")
    assert f"--bind {tmp_path} {tmp_path}" in joined and "--as=" in joined


def test_interrupted_student_build_stops_and_says_so(tmp_path, monkeypatch, capsys):
    ex, dist, _ = _fake_dist(tmp_path)

    def interrupted(master, dist=None, timeout=900, sandbox=True):
        raise KeyboardInterrupt

    monkeypatch.setattr(build, "build_student", interrupted)
    code = main(["--exercises", str(ex), "--dist", str(tmp_path / "out"), "student", "--jobs", "2"])
    assert code == 130 and "interrupted" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------
# slow: every real master through otter assign and the sandboxed grading path
# ------------------------------------------------------------------------------------------

def _build_of(built, master):
    result = built[1][master.name]
    if isinstance(result, CasekitError):
        pytest.fail(f"{master.name}: {result}")
    return result


@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("master", MASTERS, ids=lambda p: p.name)
def test_master_is_proved_and_its_student_version_leaks_nothing(built, master):
    # build_student refuses a master whose solutions miss full marks through the sandboxed path,
    # whose blank gets any point, or whose student version leaks; the scan is repeated here.
    result = _build_of(built, master)
    report = instructor.scan_built(built[0], EXERCISES)
    assert report[master.name] == []
    student = json.loads(result.student.read_text(encoding="utf-8"))
    assert any(masters.has_tag(c, "otter_answer_cell") for c in student["cells"])
    assert "casekit.exercises.Checker(" in json.dumps(student)           # bilingual form checks
    assert "Instructor master" in master.read_text(encoding="utf-8")      # the master says what it is
    assert "Instructor master" not in json.dumps(student, ensure_ascii=False)
    tests = student["metadata"]["otter"]["tests"]
    for spec in tests.values():
        for case in spec["suites"][0]["cases"]:
            assert case["hidden"] is False and case.get("points", 0) == 0   # public checks carry no points
    solved = result.build_dir / "autograder" / master.name
    assert instructor.scan_for_leaks(master, solved), "the leak scan found nothing in the solutions copy"


def _answers_by_question(nb):
    out, pending = {}, []
    for cell in nb["cells"]:
        if masters.has_tag(cell, "otter_answer_cell") or masters.has_tag(cell, "otter_assign_solution_cell"):
            pending.append(cell)
        m = re.match(r'grader\.check\("(\w+)"\)', masters.source(cell).strip())
        if m:
            out[m.group(1)] = pending
            pending = []
    return out


def _solved(result, master) -> dict:
    """The handout with every answer cell filled with the master's solution."""
    from casekit.instructor.selfstudy import _clean_solution

    handout = json.loads(result.student.read_text(encoding="utf-8"))
    solved = json.loads((result.build_dir / "autograder" / master.name).read_text(encoding="utf-8"))
    solutions = {q: [_clean_solution(masters.source(c)) for c in cells if c["cell_type"] == "code"]
                 for q, cells in _answers_by_question(solved).items()}
    full = copy.deepcopy(handout)
    for q, cells in _answers_by_question(full).items():
        code_cells = [c for c in cells if c["cell_type"] == "code"]
        for k, cell in enumerate(code_cells):
            cell["source"] = solutions[q][k] if k < len(solutions[q]) else ""
    return full


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_a_wrong_prediction_loses_its_points_through_the_grader(built, tmp_path):
    """Unit 2: predict whether the capability forms (q3), then confirm with the explorer (q4)."""
    if not sb.probe().ok:
        pytest.skip(sb.probe().reason)
    master = EXERCISES / "02_keda_zhongtu_exercises.ipynb"
    result = _build_of(built, master)
    nb = _solved(result, master)
    nb["cells"].append({"cell_type": "code", "id": "late", "metadata": {}, "outputs": [], "execution_count": None,
                        "source": "q3_forms = not q3_forms   # the prediction, changed after the fact"})
    (tmp_path / "s" / "ann").mkdir(parents=True)
    (tmp_path / "s" / "ann" / master.name).write_text(json.dumps(nb))
    report = grading.grade(tmp_path / "s", out=tmp_path / "g", dist=built[0], exercises=EXERCISES, progress=False)
    rows = {r["question"]: r for r in report.rows if not r["manual"]}
    assert rows["q3_predict_capability"]["score"] < rows["q3_predict_capability"]["possible"]
    assert all(r["score"] == r["possible"] for q, r in rows.items() if q != "q3_predict_capability")


@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("master", MASTERS, ids=lambda p: p.name)
def test_solutions_handed_in_get_full_marks_and_a_blank_nothing(built, master, tmp_path):
    if not sb.probe().ok:
        pytest.skip(sb.probe().reason)
    result = _build_of(built, master)
    handout = json.loads(result.student.read_text(encoding="utf-8"))
    full = _solved(result, master)
    subs = tmp_path / "subs"
    for who, nb in (("full", full), ("blank", handout)):
        (subs / who).mkdir(parents=True)
        (subs / who / master.name).write_text(json.dumps(nb))
    report = grading.grade(subs, out=tmp_path / "g", dist=built[0], exercises=EXERCISES, progress=False)
    man = build.load_manifest(built[0], master.stem)
    auto = sum(q["points"] for q in man["questions"] if not q["manual"])
    got = {s: v for (s, _), v in report.scores().items()}
    assert got == {"full": auto, "blank": 0.0}, [r for r in report.rows if r["student"] == "full"]
    blank_fb = {r["question"]: r["feedback"] for r in report.rows if r["student"] == "blank" and not r["manual"]}
    assert set(blank_fb.values()) == {grading.NOT_ATTEMPTED}


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_selfstudy_checks_everything_and_folds_each_solution(built):
    if M00 not in MASTERS:
        pytest.skip("no 00 master")
    path = instructor.build_selfstudy(M00, built[0], rebuild=False)
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = nb["cells"]
    assert "mode='selfstudy'" in masters.source(cells[0])
    hidden_in_bundle = sum(1 for spec in nb["metadata"]["otter"]["tests"].values()
                           for case in spec["suites"][0]["cases"])
    student = json.loads((built[0] / "student" / M00.name).read_text(encoding="utf-8"))
    public_only = sum(1 for spec in student["metadata"]["otter"]["tests"].values()
                      for case in spec["suites"][0]["cases"])
    assert hidden_in_bundle > public_only                      # correctness checks are there
    checks = [k for k, c in enumerate(cells) if masters.source(c).startswith("grader.check(")]
    assert checks
    for k in checks:
        heading, solution = cells[k + 1], cells[k + 2]
        assert "参考答案" in masters.source(heading)
        assert solution["metadata"]["jupyter"]["source_hidden"] is True
        assert "# SOLUTION" not in masters.source(solution)
    assert not any("grader.export(" in masters.source(c) for c in cells)
    import nbformat

    nbformat.validate(nbformat.reads(path.read_text(encoding="utf-8"), as_version=4))


def test_installed_package_writes_only_where_it_is_told(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(masters, "in_clone", lambda: False)
    monkeypatch.setattr(masters, "EXERCISES", tmp_path / "missing")
    assert main(["list"]) == 2
    assert "--exercises" in capsys.readouterr().err
    with pytest.raises(CasekitError, match="--dist"):
        masters.dist_folder(None)
    assert masters.dist_folder(tmp_path / "d") == (tmp_path / "d").resolve()
