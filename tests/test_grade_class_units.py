"""Grading a whole class, step by step, without a sandbox: each defect of the class-grading issue
reproduced on a small hand-made class (every test here failed on the grader before the fix).

The sandboxed batch with every attack is tests/test_grade_class.py.
"""
from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from casekit.errors import CasekitError
from casekit.instructor import feedback, grade as grading, integrity, masters
from casekit.instructor import sandbox as sb
from casekit.instructor.evaluate import Evaluation

from test_instructor import _fake_dist, _nb  # noqa: E402

EX = "99_demo_exercises"
WRITTEN_ID = "w-cell"


def _class(tmp_path, rubric=True):
    """The demo master with a written question (q2, 2 points) whose handout cell is ``w-cell``."""
    ex, dist, subs = _fake_dist(tmp_path)
    path = dist / "autograder" / f"{EX}.manifest.json"
    key = integrity.key_for(dist)
    body = json.loads(path.read_text())["body"]
    q2 = {"name": "q2", "manual": True, "answer_names": [], "points": 2.0}
    if rubric:
        q2.update(prompt="Explain why the tiers differ. · 解释原因。",
                  rubric={"levels": [{"points": 2, "label": "full", "description": "names both tiers"},
                                     {"points": 1, "label": "partial", "description": "names one"},
                                     {"points": 0, "label": "none", "description": "neither"}]},
                  model_answer="Because the tiers are listed side by side.")
    body["questions"][1]["answer_names"] = ["ratio"]
    body["questions"].append(q2)
    body["answer_cells"] = {WRITTEN_ID: {"question": None, "manual_index": 1, "cell_type": "markdown",
                                         "source": "_Type your answer here, replacing this text._"}}
    path.write_text(json.dumps({"body": body, "mac": integrity.mac(key, integrity.canonical(body))}))
    for d in list(subs.iterdir()):
        for f in d.iterdir():
            f.unlink()
        d.rmdir()
    return ex, dist, subs


def _sub(answer="n_firms = 5", written="", extra=()):
    cells = [{"cell_type": "code", "id": "c1", "metadata": {"tags": ["otter_answer_cell"]}, "outputs": [],
              "execution_count": None, "source": answer},
             {"cell_type": "markdown", "id": "m1", "metadata": {}, "source": "<!-- BEGIN QUESTION -->"},
             {"cell_type": "markdown", "id": WRITTEN_ID, "metadata": {"tags": ["otter_answer_cell"]},
              "source": written or "_Type your answer here, replacing this text._"},
             {"cell_type": "markdown", "id": "m2", "metadata": {}, "source": "<!-- END QUESTION -->"}, *extra]
    return {"cells": cells, "metadata": {"otter": {"assignment_name": EX}}, "nbformat": 4, "nbformat_minor": 5}


@pytest.fixture
def fake_tests(monkeypatch):
    """The two sandboxed steps replaced by a rule: q1 is right when the code says ``n_firms = 5``."""
    def fake(cells, answer_names, setup, tests_dir, **kw):
        code = "\n".join(src for _, src in cells)
        right = "n_firms = 5" in code
        return Evaluation(answers={n: {"data": 5} for n in answer_names}, questions={
            "q1": {"cases": [{"name": "h", "hidden": True, "points": 1.0, "passed": right}]},
            "q3": {"cases": [{"name": "h", "hidden": True, "points": 2.0, "passed": right}]}})

    monkeypatch.setattr(grading, "evaluate_cells", fake)
    return fake



def _put(subs: Path, rel: str, nb_or_bytes) -> Path:
    p = subs / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(nb_or_bytes if isinstance(nb_or_bytes, bytes) else json.dumps(nb_or_bytes).encode())
    return p


def _grade(subs, dist, ex, tmp_path, **kw):
    return grading.grade(subs, out=tmp_path / "g", dist=dist, exercises=ex, progress=False, sandbox=False,
                         jobs=1, **kw)


def _by(report):
    return {(r["student"], r["question"]): r for r in report.rows}


# ------------------------------------------------------------------------------------------
# 1. one file never stops the batch
# ------------------------------------------------------------------------------------------

def test_cells_of_any_shape_are_read_without_raising(tmp_path, fake_tests):
    ex, dist, subs = _class(tmp_path)
    odd = _sub()
    odd["cells"] += [{"cell_type": "code", "id": ["x"], "source": [1]}, {"cell_type": "markdown", "source": {"a": 1}},
                     5, None, {"id": {"k": 1}, "source": None, "metadata": []}]
    odd["cells"][2]["source"] = ["Because ", 7, "fixed costs rise."]
    _put(subs, "odd/99_demo_exercises.ipynb", odd)
    _put(subs, "zed/99_demo_exercises.ipynb", _sub())
    rows = _by(_grade(subs, dist, ex, tmp_path))
    assert rows[("odd", "q1")]["score"] == 1.0 and rows[("zed", "q1")]["score"] == 1.0
    assert rows[("odd", "q2")]["written"] == "Because fixed costs rise."


def _zip_with(payload: bytes, damage) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{EX}.ipynb", payload)
    return damage(bytearray(buf.getvalue()))


def _bad_crc(b):
    b[14:18] = b"\0\0\0\0"                                   # local header CRC
    cd = b.rfind(b"PK\x01\x02")
    b[cd + 16:cd + 20] = b"\0\0\0\0"                         # central directory CRC
    return bytes(b)


def _bad_deflate(b):
    start = 30 + len(f"{EX}.ipynb")
    b[start:start + 8] = b"\xff" * 8
    return bytes(b)


def _method_99(b):
    b[8:10] = struct.pack("<H", 99)
    cd = b.rfind(b"PK\x01\x02")
    b[cd + 10:cd + 12] = struct.pack("<H", 99)
    return bytes(b)


@pytest.mark.parametrize("damage,says", [(_bad_crc, "damaged"), (_bad_deflate, "damaged"),
                                         (_method_99, "compression method")])
def test_a_damaged_export_zip_is_a_row_with_its_own_note(tmp_path, damage, says):
    payload = json.dumps(_sub()).encode() * 3
    (tmp_path / "s").mkdir()
    path = _put(tmp_path / "s", f"amy/{EX}_2026_12_06T01_17_28_329144.zip", _zip_with(payload, damage))
    sub = grading.read_submission(path, tmp_path / "s")
    assert sub.status == "unreadable" and says in sub.error, sub.error


def test_answers_nested_too_deep_are_refused_without_recursion():
    from casekit.instructor.evaluate import loads_bounded

    deep = {"$": "ellipsis"}
    for _ in range(5000):
        deep = {"$": "list", "v": [deep]}
    assert grading._blank(deep) is False                     # walked, not recursed
    text = json.dumps({"answers": {"x": {"data": {"$": "list", "v": [[[]]]}}}}).encode()
    assert loads_bounded(text) is not None
    assert loads_bounded(b"[" * 400 + b"]" * 400) is None
    assert loads_bounded(b'{"s": "' + b"[" * 400 + b'"}') == {"s": "[" * 400}   # brackets in text are text


def test_a_step_that_floods_its_output_costs_the_grader_nothing():
    code = "import os\nfor _ in range(300): os.write(2, b'x' * (1 << 20))\nos.write(1, b'{}')"
    tracemalloc.start()
    res = sb.run([sys.executable, "-c", code], limits=sb.Limits(wall_seconds=60), slot=0, ro=[], rw=[],
                 sandbox=False)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert res.returncode == 0 and res.stdout == b"{}"
    assert peak < 32 << 20, f"the grader held {peak >> 20} MB of a step's output"
    flood = "import os\nwhile True: os.write(1, b'y' * (1 << 20))"
    res = sb.run([sys.executable, "-c", flood], limits=sb.Limits(wall_seconds=60), slot=0, ro=[], rw=[],
                 sandbox=False)
    assert res.stdout_overflow and res.stdout == b"" and res.seconds < 30


def test_a_second_run_on_the_same_output_folder_says_who_holds_it(tmp_path, fake_tests):
    ex, dist, subs = _class(tmp_path)
    _put(subs, "amy/99_demo_exercises.ipynb", _sub())
    (tmp_path / "g").mkdir()
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; sys.path.insert(0, %r)\n"
        "from pathlib import Path\nfrom casekit.instructor.grade import OutputLock\n"
        "with OutputLock(Path(%r)):\n    print('held', flush=True); time.sleep(30)") % (
        str(Path(masters.ROOT)), str(tmp_path / "g"))], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(CasekitError, match=rf"pid {holder.pid} on .*started"):
            _grade(subs, dist, ex, tmp_path)
    finally:
        holder.kill()
        holder.wait()
    assert _grade(subs, dist, ex, tmp_path).scores()[("amy", EX)] == 3.0   # free once the holder is gone


# ------------------------------------------------------------------------------------------
# 2. one submission per student; names from the LMS conventions
# ------------------------------------------------------------------------------------------

def test_names_follow_canvas_moodle_and_otter_conventions():
    from casekit.instructor import identity

    exs = [EX, "02_keda_zhongtu_exercises"]
    w = identity.identify("wangfang_12345_67890_02_keda_zhongtu_exercises.ipynb", exs)
    assert (w.name, w.source, w.lms_user, w.submission_id, w.late) == ("wangfang", "canvas", "12345", 67890, False)
    late = identity.identify("wangfang_LATE_12345_67899_02_keda_zhongtu_exercises_2026_12_06T01_17_28_329144.zip", exs)
    assert late.late and late.submission_id == 67899 and late.exported == "2026_12_06T01_17_28_329144"
    m = identity.identify("Wang Fang_123456_assignsubmission_file_/02_keda_zhongtu_exercises.ipynb", exs)
    assert (m.name, m.source, m.lms_user) == ("Wang Fang", "moodle", "123456")
    bare = identity.identify("02_keda_zhongtu_exercises_2026_12_06T01_17_28_329144.zip", exs)
    assert bare.name == "" and bare.source == "none"
    assert identity.identify("alice_02_keda_zhongtu_exercises.ipynb", exs).name == "alice"
    assert identity.identify("bob/02_keda_zhongtu_exercises_2026_12_06T01_17_28_329144.zip", exs).name == "bob"


def test_a_student_with_two_files_is_graded_once(tmp_path, fake_tests):
    ex, dist, subs = _class(tmp_path)
    right, wrong = _sub("n_firms = 5"), _sub("n_firms = 4")
    # .ipynb plus its own export zip (same notebook): one submission
    _put(subs, "amy/99_demo_exercises.ipynb", right)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(f"{EX}.ipynb", json.dumps(right))
    _put(subs, "amy/99_demo_exercises_2026_12_06T01_17_28_329144.zip", buf.getvalue())
    # a -Copy1 and a (1) that differ, nothing orders them: refused, both listed
    _put(subs, "ben/99_demo_exercises.ipynb", right)
    _put(subs, "ben/99_demo_exercises-Copy1.ipynb", wrong)
    _put(subs, "ben/99_demo_exercises (1).ipynb", right)
    # Canvas: the higher submission id is the later one
    _put(subs, "canvas/cat_111_500_99_demo_exercises.ipynb", wrong)
    _put(subs, "canvas/cat_111_501_99_demo_exercises.ipynb", right)
    report = _grade(subs, dist, ex, tmp_path)
    scores = {s: v for (s, _), v in report.scores().items()}
    assert scores["amy"] == 3.0 and scores["ben"] == 0.0
    rows = _by(report)
    assert rows[("ben", "q1")]["status"] == "duplicate" and "Copy1" in rows[("ben", "q1")]["instructor_notes"]
    assert {f for _, f, _ in report.set_aside} >= {"amy/99_demo_exercises.ipynb"}
    text = (tmp_path / "g" / "instructor_report.md").read_text(encoding="utf-8")
    assert "amy/99_demo_exercises.ipynb" in text and "Copy1" in text


def test_canvas_files_in_one_flat_folder(tmp_path, fake_tests):
    ex, dist, subs = _class(tmp_path)
    _put(subs, "cat_111_500_99_demo_exercises.ipynb", _sub("n_firms = 4"))
    _put(subs, "cat_111_501_99_demo_exercises.ipynb", _sub("n_firms = 5"))
    _put(subs, "dan_LATE_112_502_99_demo_exercises.ipynb", _sub("n_firms = 5"))
    report = _grade(subs, dist, ex, tmp_path)
    assert {s: v for (s, _), v in report.scores().items()} == {"cat": 3.0, "dan": 3.0}
    assert "LATE" in _by(report)[("dan", "q1")]["instructor_notes"]
    assert [f for _, f, _ in report.set_aside] == ["cat_111_500_99_demo_exercises.ipynb"]


def test_roster_names_the_students_and_the_screen_lists_mismatches(tmp_path, fake_tests):
    ex, dist, subs = _class(tmp_path)
    _put(subs, "wangfang_12345_67890_99_demo_exercises.ipynb", _sub())
    _put(subs, "Li Lei_222_assignsubmission_file_/99_demo_exercises.ipynb", _sub())
    _put(subs, "stranger/99_demo_exercises.ipynb", _sub())
    roster = tmp_path / "roster.csv"
    roster.write_bytes("student,lms_id,name\n王芳,S1,\"Wang, Fang\"\n李雷,222,Li Lei\n张三,S3,Zhang San\n".encode("gbk"))
    report = _grade(subs, dist, ex, tmp_path, roster=roster)
    assert set(s for s, _ in report.scores()) == {"王芳", "李雷", "stranger"}
    assert report.unmatched == ["stranger"] and report.no_submission == ["张三"]
    shown = repr(report)
    assert "stranger" in shown and "张三" in shown
    canvas = (tmp_path / "g" / "gradebook_canvas.csv").read_text(encoding="utf-8-sig")
    assert "S1" in canvas and "222" in canvas


def test_roster_with_a_repeated_lms_id_is_refused(tmp_path, fake_tests):
    ex, dist, subs = _class(tmp_path)
    _put(subs, "amy/99_demo_exercises.ipynb", _sub())
    roster = tmp_path / "roster.csv"
    roster.write_text("student,lms_id\namy,S1\nben,S1\n")
    with pytest.raises(CasekitError, match="lines 2 and 3 share the lms_id"):
        _grade(subs, dist, ex, tmp_path, roster=roster)


# ------------------------------------------------------------------------------------------
# 3. two audiences; names fit for a terminal and a CSV
# ------------------------------------------------------------------------------------------

def test_feedback_names_nobody_else_and_names_are_sanitised(tmp_path, fake_tests):
    ex, dist, subs = _class(tmp_path)
    same = "Both tiers are listed side by side, so the fixed cost rises."
    for who in ("chen", "zhang", "\x1b[31mred\x1b[0m", "evil\u202egnp.exe", "-rf"):
        _put(subs, f"{who}/99_demo_exercises.ipynb", _sub(written=same))
    stream = io.StringIO()
    report = grading.grade(subs, out=tmp_path / "g", dist=dist, exercises=ex, sandbox=False, jobs=1,
                           progress=True, stream=stream)
    students = {s for s, _ in report.scores()}
    assert students == {"chen", "zhang", "[31mred[0m", "evilgnp.exe", "-rf"}
    assert "\x1b" not in stream.getvalue() + repr(report) and "\u202e" not in stream.getvalue()
    long = (tmp_path / "g" / "grades_long.csv").read_text(encoding="utf-8-sig")
    assert "\x1b" not in long and "\u202e" not in long and "'-rf" in long
    assert "identical to another student" in _by(report)[("chen", "q1")]["instructor_notes"]
    for fb in (tmp_path / "g" / "feedback").glob("*.md"):
        text = fb.read_text(encoding="utf-8")
        others = students - {text.split("\n", 1)[0].split(": ", 1)[1]}
        assert not [o for o in others if o in text], (fb.name, text)
        assert "identical" not in text


# ------------------------------------------------------------------------------------------
# 4. written answers end to end
# ------------------------------------------------------------------------------------------

def test_written_page_shows_prompt_points_and_rubric(tmp_path, fake_tests):
    ex, dist, subs = _class(tmp_path)
    _put(subs, "amy/99_demo_exercises.ipynb", _sub(written="Fixed cost up."))
    _grade(subs, dist, ex, tmp_path)
    page = (tmp_path / "g" / "written" / f"{EX}__q2.html").read_text(encoding="utf-8")
    for text in ("Explain why the tiers differ", "2.0 points", "names both tiers", "partial",
                 "Because the tiers are listed side by side", "Fixed cost up."):
        assert text in page, text


def test_the_rubric_lives_in_the_masters_question_metadata(tmp_path):
    master = json.loads(json.dumps(_nb([
        ("raw", "# ASSIGNMENT CONFIG\nname: demo"), ("code", "import casekit"),
        ("raw", "# BEGIN QUESTION\nname: q2\npoints: 2\nmanual: true"), ("markdown", "Explain the tiers."),
        ("raw", "# BEGIN SOLUTION"), ("markdown", "Because they are listed side by side."),
        ("raw", "# END SOLUTION"), ("raw", "# END QUESTION")])))
    master["cells"][2]["metadata"]["casekit"] = {"rubric": {"levels": [
        {"points": 2, "label": "full", "description": "both"}, {"points": 1, "label": "partial", "description": "one"},
        {"points": 0, "label": "none", "description": "neither"}]}}
    (tmp_path / "m.ipynb").write_text(json.dumps(master))
    q = masters.parse_master(tmp_path / "m.ipynb").questions[0]
    assert q.prompt == "Explain the tiers." and q.model_answer == "Because they are listed side by side."
    assert [lv["points"] for lv in q.rubric["levels"]] == [2, 1, 0]


def test_marks_and_comments_survive_runs_and_reach_the_student(tmp_path, fake_tests):
    ex, dist, subs = _class(tmp_path)
    _put(subs, "amy/99_demo_exercises.ipynb", _sub(written="Fixed cost up."))
    _put(subs, "ben/99_demo_exercises.ipynb", _sub(written="No idea."))
    roster = tmp_path / "roster.csv"
    roster.write_text("student,lms_id\namy,S1\nben,S2\n")
    first = _grade(subs, dist, ex, tmp_path, roster=roster)
    assert first.pending == ["amy", "ben"]
    canvas = (tmp_path / "g" / "gradebook_canvas.csv").read_text(encoding="utf-8-sig")
    assert "3.0" not in canvas and "amy" in (tmp_path / "g" / "gradebook_pending.txt").read_text()
    sheet = tmp_path / "g" / "written" / f"{EX}_written.csv"
    text = sheet.read_text(encoding="utf-8-sig")
    text = text.replace("amy,99_demo_exercises,q2,,2.0,Fixed cost up.,", "amy,99_demo_exercises,q2,2,2.0,Fixed cost up.,Clear and right.")
    sheet.write_text(text, encoding="utf-8-sig")
    second = _grade(subs, dist, ex, tmp_path, roster=roster)      # no --merge: the kept sheet counts
    assert second.scores()[("amy", EX)] == 5.0 and second.pending == ["ben"]
    fb = (tmp_path / "g" / "feedback" / "amy.md").read_text(encoding="utf-8")
    assert "5 / 5" in fb and "Clear and right." in fb
    assert "3 / 5" in (tmp_path / "g" / "feedback" / "ben.md").read_text(encoding="utf-8")
    third = _grade(subs, dist, ex, tmp_path, roster=roster)
    assert third.scores()[("amy", EX)] == 5.0
    assert "Clear and right." in sheet.read_text(encoding="utf-8-sig")
    canvas = (tmp_path / "g" / "gradebook_canvas.csv").read_text(encoding="utf-8-sig")
    assert "5.0" in canvas and ",S2,,," in canvas.replace("\r", "")
    _grade(subs, dist, ex, tmp_path, roster=roster, unmarked_as_zero=True)
    assert "3.0" in (tmp_path / "g" / "gradebook_canvas.csv").read_text(encoding="utf-8-sig")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "utf-16"])
def test_merge_reads_the_encodings_excel_writes(tmp_path, fake_tests, encoding):
    ex, dist, subs = _class(tmp_path)
    _put(subs, "王芳/99_demo_exercises.ipynb", _sub(written="固定成本上升。"))
    sep = "\t" if encoding == "utf-16" else ","
    sheet = tmp_path / "marked.csv"
    text = (sep.join(["student", "assignment", "question", "points", "possible", "answer", "comment"]) + "\r\n"
            + sep.join(["王芳", EX, "q2", "1.5", "2", "固定成本上升。", "很好"]) + "\r\n")
    sheet.write_bytes(text.encode(encoding))
    report = _grade(subs, dist, ex, tmp_path, merge=sheet)
    assert report.scores()[("王芳", EX)] == 4.5
    assert "很好" in (tmp_path / "g" / "feedback" / "王芳.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("rows,says", [
    (["amy,99_demo_exercises,q2,50,100,,"], "worth 2"),
    (["amy,99_demo_exercises,q2,1,2,,", "amy,99_demo_exercises,q2,2,2,,"], "lines 2 and 3"),
    (["zoe,99_demo_exercises,q2,1,2,,"], "zoe"),
    (["amy,99_demo_exercises,q2,lots,2,,"], "not a number"),
])
def test_merge_refuses_what_it_cannot_trust(tmp_path, fake_tests, rows, says):
    ex, dist, subs = _class(tmp_path)
    _put(subs, "amy/99_demo_exercises.ipynb", _sub(written="x"))
    sheet = tmp_path / "marked.csv"
    sheet.write_text("student,assignment,question,points,possible,answer,comment\n" + "\n".join(rows) + "\n")
    with pytest.raises(CasekitError, match=says):
        _grade(subs, dist, ex, tmp_path, merge=sheet)


def test_a_sheet_in_no_known_encoding_gets_a_clear_error(tmp_path):
    bad = tmp_path / "x.csv"
    bad.write_bytes(b"student,lms_id\n\x81\x20\xff\xfe\x80,1\n")
    with pytest.raises(CasekitError, match="CSV UTF-8"):
        feedback.read_roster(bad)
