"""Instructor tools: leak-free student versions, masters that pass their own tests, grading that
gives the expected scores and feedback, survives broken submissions and resumes from its cache,
and the self-study rendering.

The slow tests run otter-grader for real: ``otter assign`` on every master (leak scan), and
``otter run`` on five sample submissions of the 00 master only (about 10-40 s each).
Set CASEKIT_TEST_EXERCISES to a folder of masters to run them against another set.
"""
from __future__ import annotations

import copy
import io
import json
import os
import re
import time
import zipfile
from pathlib import Path

import pytest

from casekit import instructor
from casekit.errors import CasekitError

ROOT = Path(__file__).resolve().parent.parent
from conftest import EXERCISES, MASTERS  # noqa: E402  (the session's otter assign is in conftest)
M00 = EXERCISES / "00_start_here_exercises.ipynb"


# ------------------------------------------------------------------------------------------
# fast: the leak scanner on small hand-made notebooks
# ------------------------------------------------------------------------------------------

def _nb(cells, metadata=None):
    return {"cells": [{"cell_type": t, "metadata": {}, "source": s,
                       **({"outputs": [], "execution_count": None} if t == "code" else {})}
                      for t, s in cells],
            "metadata": metadata or {}, "nbformat": 4, "nbformat_minor": 5}


MASTER = _nb([
    ("raw", "# ASSIGNMENT CONFIG\nname: demo"),
    ("raw", "# BEGIN QUESTION\nname: q1\npoints: 1"),
    ("markdown", "Store the number of firms in `n_firms`; `len(df)` counts rows."),
    ("raw", "# BEGIN SOLUTION"),
    ("code", "n_firms = len(df)  # SOLUTION\nratio = total_words / interview_count  # SOLUTION\nratio"),
    ("raw", "# END SOLUTION"),
    ("raw", "# BEGIN TESTS"),
    ("code", '""" # BEGIN TEST CONFIG\nfailure_message: Count the rows.\n""" # END TEST CONFIG\n'
             "assert n_firms == 2"),
    ("code", '""" # BEGIN TEST CONFIG\nhidden: true\nfailure_message: Keda words must sum to 19.8.\n'
             '""" # END TEST CONFIG\nassert abs(ratio - float("19.8")) < 0.05'),
    ("raw", "# END TESTS"),
    ("raw", "# END QUESTION"),
])


def _student(extra_cells=(), metadata=None):
    return _nb([("markdown", "Store the number of firms in `n_firms`; `len(df)` counts rows."),
                ("code", "n_firms = ...\nratio = ...\nratio"), ("code", 'grader.check("q1")'),
                *extra_cells], metadata)


def _scan(tmp_path, student):
    (tmp_path / "m.ipynb").write_text(json.dumps(MASTER))
    (tmp_path / "s.ipynb").write_text(json.dumps(student))
    return instructor.scan_for_leaks(tmp_path / "m.ipynb", tmp_path / "s.ipynb")


def test_clean_student_version_has_no_leaks(tmp_path):
    public = {"otter": {"tests": {"q1": {"suites": [{"cases": [
        {"code": ">>> assert n_firms == 2\n", "failure_message": "Count the rows.", "hidden": False}]}]}}}}
    assert _scan(tmp_path, _student(metadata=public)) == []


def test_solution_text_in_a_cell_is_a_leak(tmp_path):
    leaks = _scan(tmp_path, _student([("code", "x = total_words / interview_count")]))
    assert [(lk.kind, lk.question) for lk in leaks] == [("solution", "q1")]
    assert "total_words / interview_count" in leaks[0].text


def test_solution_fragment_shown_in_the_prompt_is_not_a_leak(tmp_path):
    # `len(df)` is the solution of n_firms, but the prompt itself gives it away on purpose.
    assert _scan(tmp_path, _student([("code", "len(df)")])) == []


def test_hidden_test_in_metadata_is_a_leak_even_requoted(tmp_path):
    # otter stores tests re-printed by Python (single quotes); the scan must still see them.
    meta = {"otter": {"tests": {"q1": {"suites": [{"cases": [
        {"code": ">>> assert abs(ratio - float('19.8')) < 0.05\n", "hidden": False,
         "failure_message": "Keda words must sum to 19.8."}]}]}}}}
    kinds = {(lk.kind, lk.text) for lk in _scan(tmp_path, _student(metadata=meta))}
    assert ("hidden test", "Keda words must sum to 19.8.") in kinds
    assert any(k == "hidden test" and "float" in t for k, t in kinds)


def test_leftover_otter_markers_are_leaks(tmp_path):
    leaks = _scan(tmp_path, _student([("code", "y = 3  # SOLUTION")]))
    assert any(lk.kind == "marker" for lk in leaks)


def test_solution_in_an_output_is_a_leak(tmp_path):
    student = _student()
    student["cells"][1]["outputs"] = [{"output_type": "stream", "name": "stdout",
                                       "text": "ratio = total_words / interview_count\n"}]
    assert [lk.kind for lk in _scan(tmp_path, student)] == ["solution"]


# ------------------------------------------------------------------------------------------
# fast: finding masters, errors, progress bar, resume from the cache (otter replaced by a fake)
# ------------------------------------------------------------------------------------------

def test_every_master_is_found_and_selectable():
    found = instructor.exercise_masters(EXERCISES)
    assert M00 in found and found == MASTERS
    assert instructor.find_masters(["00"], EXERCISES) == [M00]
    assert instructor.find_masters([], EXERCISES) == MASTERS


def test_unknown_master_names_the_ones_that_exist():
    with pytest.raises(CasekitError, match="00_start_here_exercises"):
        instructor.find_masters(["zz_no_such_unit"], EXERCISES)


def test_cli_reports_a_missing_folder_without_a_traceback(capsys, tmp_path):
    code = instructor.main(["--exercises", str(EXERCISES), "grade", str(tmp_path / "nope")])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("casekit: The submissions folder") and "Traceback" not in err


def test_progress_bar_shows_count_and_time_left():
    stream = io.StringIO()
    bar = instructor._Progress(4, stream=stream)
    bar.update("alice", seconds=10.0)
    bar.update("bob", seconds=20.0)
    line = stream.getvalue().split("\r")[-1]
    assert "2/4 submissions" in line and "~0:30 left" in line and "bob" in line
    assert line.count("█") == 12


def _fake_dist(tmp_path):
    """A master, its 'built' handout and autograder zip, as if `student` had run."""
    ex = tmp_path / "exercises"
    ex.mkdir()
    master = ex / "99_demo_exercises.ipynb"
    master.write_text(json.dumps(MASTER))
    dist = tmp_path / "dist"
    (dist / "autograder").mkdir(parents=True)
    (dist / "student").mkdir()
    with zipfile.ZipFile(dist / "autograder" / "99_demo_exercises.zip", "w") as zf:
        zf.writestr("tests/q1.py", 'OK_FORMAT = True\ntest = {"name": "q1", "points": 1, "suites": []}\n')
        zf.writestr("tests/q2.py", 'OK_FORMAT = True\ntest = {"name": "q2", "points": 2, "suites": []}\n')
    (dist / "autograder" / "99_demo_exercises.master-sha256").write_text(
        instructor._sha256(master.read_bytes()))
    handout = _student(metadata={"otter": {"assignment_name": "99_demo_exercises",
                                           "tests": {"q1": {"points": 1}}}})
    (dist / "student" / master.name).write_text(json.dumps(handout))
    subs = tmp_path / "subs"
    for name in ["ann", "ben", "cat", "dov"]:
        (subs / name).mkdir(parents=True)
        (subs / name / master.name).write_text(json.dumps(handout).replace("n_firms = ...", f"# {name}"))
    return ex, dist, subs


def test_interrupted_batch_resumes_without_regrading(tmp_path, monkeypatch):
    ex, dist, subs = _fake_dist(tmp_path)
    calls = []

    def fake_grade_one(sub, assignment, zip_path, handout, questions, timeout):
        calls.append(sub.student)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return {"questions": {q: {"score": p, "possible": p, "passed": 1, "tests": 1, "feedback": []}
                              for q, p in questions.items()}, "notes": [], "status": "graded"}

    monkeypatch.setattr(instructor, "_grade_one", fake_grade_one)
    first = instructor.grade(subs, dist=dist, exercises=ex, progress=False, jobs=1)
    assert first.interrupted and first.graded == 2 and calls == ["ann", "ben", "cat"]
    # what was finished is already in the tables
    assert (dist / "grades" / "99_demo_exercises_scores.csv").read_text(encoding="utf-8-sig").count("\n") == 3

    second = instructor.grade(subs, dist=dist, exercises=ex, progress=False)
    assert not second.interrupted
    assert calls == ["ann", "ben", "cat", "cat", "dov"]       # only the two left were graded
    assert (second.graded, second.from_cache) == (2, 2)
    assert second.scores() == {(s, "99_demo_exercises"): 3.0 for s in ["ann", "ben", "cat", "dov"]}

    # a changed submission is graded again; an unchanged one is not
    (subs / "ann" / "99_demo_exercises.ipynb").write_text(json.dumps(_student()).replace("...", "2"))
    third = instructor.grade(subs, dist=dist, exercises=ex, progress=False)
    assert calls[-1] == "ann" and (third.graded, third.from_cache) == (1, 3)


def _fake_result(questions):
    return {"questions": {q: {"score": p, "possible": p, "passed": 1, "tests": 1, "feedback": []}
                          for q, p in questions.items()}, "notes": [], "status": "graded"}


def test_parallel_grading_gives_the_same_tables_in_file_order(tmp_path, monkeypatch):
    ex, dist, subs = _fake_dist(tmp_path)

    def fake_grade_one(sub, assignment, zip_path, handout, questions, timeout):
        time.sleep(0.2 if sub.student == "ann" else 0.01)    # the first file finishes last
        return _fake_result(questions)

    monkeypatch.setattr(instructor, "_grade_one", fake_grade_one)
    one = instructor.grade(subs, out=tmp_path / "g1", dist=dist, exercises=ex, progress=False, jobs=1)
    two = instructor.grade(subs, out=tmp_path / "g2", dist=dist, exercises=ex, progress=False, jobs=2)
    assert two.graded == one.graded == 4
    assert two.rows == one.rows
    assert list(dict.fromkeys(r["student"] for r in two.rows)) == ["ann", "ben", "cat", "dov"]
    for name in ("grades_long.csv", "99_demo_exercises_scores.csv"):
        assert (tmp_path / "g2" / name).read_bytes() == (tmp_path / "g1" / name).read_bytes()


def test_parallel_interrupt_caches_only_finished_runs(tmp_path, monkeypatch):
    ex, dist, subs = _fake_dist(tmp_path)
    calls = []

    def fake_grade_one(sub, assignment, zip_path, handout, questions, timeout):
        calls.append(sub.student)
        if sub.student == "ben" and calls.count("ben") == 1:
            raise KeyboardInterrupt
        time.sleep(0.3)    # still running when the interrupt arrives: its result must be dropped
        return _fake_result(questions)

    monkeypatch.setattr(instructor, "_grade_one", fake_grade_one)
    first = instructor.grade(subs, dist=dist, exercises=ex, progress=False, jobs=2)
    assert first.interrupted and first.graded == 0
    assert not list((dist / "grades" / ".cache").glob("*.json")), "a run cut short was cached as a result"
    second = instructor.grade(subs, dist=dist, exercises=ex, progress=False, jobs=2)
    assert not second.interrupted and (second.graded, second.from_cache) == (4, 0)
    assert second.scores() == {(s, "99_demo_exercises"): 3.0 for s in ["ann", "ben", "cat", "dov"]}


def test_unreadable_and_empty_submissions_score_zero_with_a_note(tmp_path):
    ex, dist, subs = _fake_dist(tmp_path)
    (subs / "ann" / "99_demo_exercises.ipynb").write_text("")
    (subs / "ben" / "99_demo_exercises.ipynb").write_text("{not json")
    (subs / "cat" / "99_demo_exercises.ipynb").write_text(json.dumps(_nb([])))
    (subs / "dov" / "99_demo_exercises.ipynb").unlink()
    report = instructor.grade(subs, dist=dist, exercises=ex, progress=False,
                              assignment="99_demo")  # no metadata left to tell the exercise
    rows = {(r["student"], r["question"]): r for r in report.rows}
    assert set(report.scores().values()) == {0.0}
    assert rows[("ann", "q1")]["status"] == "unreadable" and "empty" in rows[("ann", "q1")]["notes"]
    assert rows[("ben", "q1")]["status"] == "unreadable" and "not a readable notebook" in rows[("ben", "q1")]["notes"]
    assert rows[("cat", "q1")]["status"] == "empty" and "no code" in rows[("cat", "q1")]["notes"]
    assert rows[("ann", "q2")]["possible"] == 2.0   # hidden-only questions still count
    fb = (dist / "grades" / "feedback" / "ben.md").read_text(encoding="utf-8")
    assert "0 / 3" in fb and "not a readable notebook" in fb


# ------------------------------------------------------------------------------------------
# slow: otter assign on every master, otter run on a sample of the 00 master
# ------------------------------------------------------------------------------------------

def _build_of(built, master):
    result = built[1][master.name]
    if isinstance(result, CasekitError):
        pytest.fail(f"{master.name}: {result}")
    return result


@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("master", MASTERS, ids=lambda p: p.name)
def test_student_version_leaks_nothing_and_solutions_pass(built, master):
    # build_student fails when otter assign's own run of the master's tests on its solutions
    # fails (public and hidden), or when its scan finds a leak; the scan is repeated here.
    build = _build_of(built, master)
    assert instructor.scan_for_leaks(master, build.student) == []
    student = json.loads(build.student.read_text(encoding="utf-8"))
    assert any(instructor._has_tag(c, "otter_answer_cell") for c in student["cells"])
    # the scanner is not blind: the autograder copy (solutions kept) is flagged
    solved = build.build_dir / "autograder" / master.name
    assert instructor.scan_for_leaks(master, solved), "the leak scan found nothing in the solutions copy"


def _answers_by_question(nb):
    """Answer cells keyed by the question whose grader.check follows them."""
    out, pending = {}, []
    for cell in nb["cells"]:
        if instructor._has_tag(cell, "otter_answer_cell") or instructor._has_tag(
                cell, "otter_assign_solution_cell"):
            pending.append(cell)
        m = re.match(r'grader\.check\("(\w+)"\)', instructor._source(cell).strip())
        if m:
            out[m.group(1)] = pending
            pending = []
    return out


# Hand-worked expected scores for the 00 master (q1_load 1, q2_filter 2, q3_provenance 1,
# q4_quirk 2 points; otter splits a question's points evenly over its test cases).
SAMPLE = {
    # file                                    answers replaced            expected total
    "bob_final.ipynb": ("right, renamed", 6.0),
    "carol/00_start_here_exercises.ipynb": ("wrong", 0.5),
    "greta/00_start_here_exercises.ipynb": ("partly right", 2.0),
    "dan/00_start_here_exercises.ipynb": ("a cell raises", 5.5),
    "erin/00_start_here_exercises.ipynb": ("q2 answer cell deleted", 4.0),
    "frank/00_start_here_exercises.ipynb": ("empty file", 0.0),
    "hana/00_start_here_exercises.ipynb": ("notebook without cells", 0.0),
}
WRONG = {
    "q1_load": 'stages = casekit.load_dataset("stages")\nn_stages = len(stages.columns)\nn_stages',
    "q2_filter": 'rd_led = stages\nrd_led_firm = "zhongtu"',
    "q3_provenance": 'interviews_location = "Table 3"\ninterviews_source_type = "vendor_blog"',
    "q4_quirk": "keda_words = 18.8\nmatches_method_text = True",
}
RAISING_Q1 = 'stages = casekit.load_dataset("stages")\nraise RuntimeError("oops")\nn_stages = len(stages)'


def _make_sample(build, folder):
    handout = json.loads(build.student.read_text(encoding="utf-8"))
    solved = json.loads((build.build_dir / "autograder" / build.master.name).read_text(encoding="utf-8"))
    solutions = {q: [instructor._clean_solution(instructor._source(c)) for c in cells]
                 for q, cells in _answers_by_question(solved).items()}
    slots = _answers_by_question(handout)

    def fill(answers, delete=()):
        nb = copy.deepcopy(handout)
        cells = _answers_by_question(nb)
        for q, cs in cells.items():
            for k, cell in enumerate(cs):
                if q not in answers:
                    cell["source"] = solutions[q][k]
                elif answers[q] is not None:
                    cell["source"] = answers[q] if k == 0 else ""
        gone = {c["id"] for q in delete for c in slots[q]}
        nb["cells"] = [c for c in nb["cells"] if c.get("id") not in gone]
        return json.dumps(nb)

    untouched = {"q2_filter": None, "q4_quirk": None}   # None: leave the handout's `...`
    files = {
        "bob_final.ipynb": fill({}),
        "carol/00_start_here_exercises.ipynb": fill(WRONG),
        "greta/00_start_here_exercises.ipynb": fill(untouched),
        "dan/00_start_here_exercises.ipynb": fill({"q1_load": RAISING_Q1}),
        "erin/00_start_here_exercises.ipynb": fill({}, delete=["q2_filter"]),
        "frank/00_start_here_exercises.ipynb": "",
        "hana/00_start_here_exercises.ipynb": json.dumps(dict(handout, cells=[])),
    }
    for rel, text in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def graded(built, tmp_path_factory):
    if M00 not in MASTERS:
        pytest.skip("no 00 master")
    build = _build_of(built, M00)
    subs = _make_sample(build, tmp_path_factory.mktemp("submissions"))
    out = tmp_path_factory.mktemp("grades")
    stream = io.StringIO()
    report = instructor.grade(subs, out=out, dist=built[0], exercises=EXERCISES, timeout=600,
                              stream=stream)
    return subs, out, report, stream.getvalue()


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_sample_submissions_get_the_expected_scores(graded):
    subs, out, report, progress = graded
    totals = {student: score for (student, _), score in report.scores().items()}
    expected = {("bob_final" if "/" not in f else f.split("/")[0]): s for f, (_, s) in SAMPLE.items()}
    assert {k: round(v, 3) for k, v in totals.items()} == expected
    assert not report.interrupted and report.graded == len(SAMPLE)
    # the progress bar counted every submission and estimated the time left
    assert f"{len(SAMPLE)}/{len(SAMPLE)} submissions" in progress and "left" in progress


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_broken_submissions_carry_a_clear_note(graded):
    _, out, report, _ = graded
    notes = {r["student"]: (r["status"], r["notes"]) for r in report.rows}
    assert "renamed" in notes["bob_final"][1]
    assert "raised an error" in notes["dan"][1] and "RuntimeError: oops" in notes["dan"][1]
    assert "deleted" in notes["erin"][1]
    assert notes["frank"][0] == "unreadable" and "empty" in notes["frank"][1]
    assert notes["hana"][0] == "empty"
    assert notes["carol"] == ("graded", "")
    wide = (out / "00_start_here_exercises_scores.csv").read_text(encoding="utf-8-sig").splitlines()
    assert wide[0].startswith("student,q1_load,q2_filter,q3_provenance,q4_quirk,total")
    assert len(wide) == 1 + len(SAMPLE)


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_wrong_answer_fails_with_the_students_feedback(graded):
    _, out, report, _ = graded
    carol = {r["question"]: r for r in report.rows if r["student"] == "carol"}
    assert carol["q1_load"]["score"] == 0.5
    assert "Count the rows, not the columns" in carol["q1_load"]["feedback"]
    assert "(hidden check) All of Keda's stages" in carol["q2_filter"]["feedback"]
    fb = (out / "feedback" / "carol.md").read_text(encoding="utf-8")
    assert "0.5 / 6" in fb and "Count the rows, not the columns" in fb
    right = {r["question"]: r for r in report.rows if r["student"] == "bob_final"}
    assert all(r["score"] == r["possible"] and r["tests_passed"] == r["tests"] for r in right.values())
    assert right["q2_filter"]["tests"] == 3    # the hidden test ran too


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_second_run_takes_everything_from_the_cache(graded, built):
    subs, out, report, _ = graded
    again = instructor.grade(subs, out=out, dist=built[0], exercises=EXERCISES, progress=False)
    assert (again.graded, again.from_cache) == (0, len(SAMPLE))
    assert again.scores() == report.scores()


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_selfstudy_puts_a_collapsed_solution_below_each_exercise(built):
    build = _build_of(built, M00)
    path = instructor.build_selfstudy(M00, built[0], rebuild=False)
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = nb["cells"]
    solved = _answers_by_question(json.loads(
        (build.build_dir / "autograder" / M00.name).read_text(encoding="utf-8")))
    checks = [k for k, c in enumerate(cells) if instructor._source(c).startswith("grader.check(")]
    assert len(checks) == len(solved) == 4
    for k in checks:
        q = re.match(r'grader\.check\("(\w+)"\)', instructor._source(cells[k])).group(1)
        heading, solution = cells[k + 1], cells[k + 2]
        assert heading["cell_type"] == "markdown" and instructor.SOLUTION_HEADING in instructor._source(heading)
        assert solution["metadata"]["jupyter"]["source_hidden"] is True
        assert instructor._source(solution) == instructor._clean_solution(instructor._source(solved[q][0]))
        assert "# SOLUTION" not in instructor._source(solution)
        assert instructor._has_tag(cells[k - 1], "otter_answer_cell")   # the exercise stays open
    assert not any("grader.export(" in instructor._source(c) for c in cells)
    import nbformat

    nbformat.validate(nbformat.reads(path.read_text(encoding="utf-8"), as_version=4))


def test_interrupted_student_build_stops_and_says_so(tmp_path, monkeypatch, capsys):
    ex, dist, _ = _fake_dist(tmp_path)

    def interrupted(master, dist=None, timeout=900):
        raise KeyboardInterrupt

    monkeypatch.setattr(instructor, "build_student", interrupted)
    code = instructor.main(["--exercises", str(ex), "--dist", str(tmp_path / "out"), "student", "--jobs", "2"])
    assert code == 130
    assert "interrupted" in capsys.readouterr().err
