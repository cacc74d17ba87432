"""A class graded in one sandboxed batch: honest submissions in every shape an LMS hands over, and
a hostile or broken file for each attack of the class-grading issue. The batch finishes; honest
scores equal a table made by hand; each hostile file gets its own note and no more than a blank;
student feedback names nobody else; the grader's memory stays small and nothing is left in /tmp.

The real Keda–Zhongtu exercise, built once for the session (the ``built`` fixture). The class
of 60 is ``benchmarks/bench_grade_class.py``; it uses :func:`make_class` below.
"""
from __future__ import annotations

import copy
import csv
import io
import json
import resource
import struct
import tempfile
import zipfile
from pathlib import Path

import pytest

from casekit.instructor import build, grade as grading, sandbox as sb

from conftest import EXERCISES  # noqa: E402

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not sb.probe().ok, reason=f"no sandbox here (bubblewrap needed): {sb.probe().reason}")]

MASTER = EXERCISES / "02_keda_zhongtu_exercises.ipynb"
EXPORT = "2026_12_06T01_17_28_329144"


def _zip(name: str, nb: dict, method: int | None = None, bad_crc: bool = False) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(name, json.dumps(nb))
    b = bytearray(buf.getvalue())
    cd = b.rfind(b"PK\x01\x02")
    if method is not None:
        b[8:10] = b[cd + 10:cd + 12] = struct.pack("<H", method)
    if bad_crc:
        b[14:18] = b[cd + 16:cd + 20] = b"\0\0\0\0"
    return bytes(b)


def _with(nb: dict, *cells: str, at_end: bool = False) -> dict:
    """``nb`` with code cells added after its setup cell (or at the end)."""
    nb = copy.deepcopy(nb)
    new = [{"cell_type": "code", "id": f"x{k}", "metadata": {}, "outputs": [], "execution_count": None,
            "source": src} for k, src in enumerate(cells)]
    at = len(nb["cells"]) if at_end else next(
        k for k, c in enumerate(nb["cells"]) if c["cell_type"] == "code" and "casekit" in "".join(c["source"])) + 1
    nb["cells"][at:at] = new
    return nb


def _written(nb: dict, man: dict, text: str) -> dict:
    nb = copy.deepcopy(nb)
    ids = [cid for cid, info in man["answer_cells"].items() if info.get("manual_index")]
    for c in nb["cells"]:
        if c.get("id") in ids:
            c["source"] = text
    return nb


_TO_RESULT_FD = """
import os
for fd in map(int, os.listdir('/proc/self/fd')):
    if fd > 2:
        try: os.write(fd, PAYLOAD.encode())
        except OSError: pass
os._exit(0)
"""


def make_class(result: build.Build, subs: Path, size: int = 15) -> dict[str, dict]:
    """Write a class into ``subs``; return, per student, what the batch must find.

    Each entry: ``total`` (auto-graded points expected, or ``None`` for "no more than a blank"),
    ``status`` (when it matters) and ``note`` (a phrase its notes or feedback must hold)."""
    from test_instructor import _solved  # the master's solutions typed into the handout

    dist = result.student.parent.parent
    man = build.load_manifest(dist, MASTER.stem)
    full = sum(q["points"] for q in man["questions"] if not q["manual"])
    blank = json.loads(result.student.read_text(encoding="utf-8"))
    right = _solved(result, MASTER)
    name = MASTER.name
    files: dict[str, tuple[str, bytes | dict]] = {}
    expect: dict[str, dict] = {}

    def add(student, rel, body, **exp):
        files[rel] = body
        expect.setdefault(student, {}).update(exp)

    honest = [
        ("stu-right", lambda s: add(s, f"{s}/{name}", right, total=full)),
        ("stu-blank", lambda s: add(s, f"{s}/{name}", blank, total=0.0)),
        ("stu-partly", lambda s: add(s, f"{s}/{name}", _with(right, "q3_capability = 'trend_judgment'", at_end=True),
                                     total=full - 1.0)),   # the capability wrong, the prediction right: 1 of q3's 2
        ("stu-chinese", lambda s: add(s, f"{s}/{name}", _written(right, man, "我把科达第二阶段改成营销主导：能力不再形成。"),
                                      total=full, written="营销主导")),
        ("王芳", lambda s: add(s, f"wangfang_12345_67890_{name}", right, total=full)),
        ("李雷", lambda s: add(s, f"Li Lei_223344_assignsubmission_file_/{name}", right, total=full)),
        ("stu-zip", lambda s: add(s, f"{s}/{MASTER.stem}_{EXPORT}.zip", _zip(name, right), total=full)),
        ("stu-twice", lambda s: (add(s, f"{s}/{name}", right, total=full),
                                 add(s, f"{s}/{MASTER.stem}_{EXPORT}.zip", _zip(name, right)))),
    ]
    hostile = [
        ("stu-shapes", lambda s: add(s, f"{s}/{name}", _with(blank, "x = 1", at_end=True) | {
            "cells": _with(blank, "x = 1", at_end=True)["cells"] + [{"cell_type": "code", "id": ["x"], "source": [1]}]},
            note="malformed")),
        ("stu-crc", lambda s: add(s, f"{s}/{MASTER.stem}_{EXPORT}.zip", _zip(name, right, bad_crc=True),
                                  status="unreadable", note="damaged")),
        ("stu-method", lambda s: add(s, f"{s}/{MASTER.stem}_{EXPORT}.zip", _zip(name, right, method=99),
                                     status="unreadable", note="compression method")),
        ("stu-deep", lambda s: add(s, f"{s}/{name}", _with(blank, "PAYLOAD = '{\"answers\": {\"q1_construct\": {\"data\": ' + "
                                   "'{\"$\": \"list\", \"v\": [' * 400 + '1' + ']}' * 400 + '}}, \"errors\": []}'\n"
                                   + _TO_RESULT_FD), status="rejected", note="refuses to read")),
        ("stu-flood", lambda s: add(s, f"{s}/{name}", _with(blank, "import os\nfor _ in range(1500): "
                                                                   "os.write(2, b'x' * (1 << 20))"),
                                    note="MB of output")),
        ("stu-files", lambda s: add(s, f"{s}/{name}", _with(blank, "import os\nfor k in range(12):\n"
                                                                   "    open(f'/tmp/big{k}', 'wb').write(b'0' * (60 << 20))"),
                                    note="No space left")),
        # load_case refuses a device at once (it used to block the tests step until its time ran out):
        # the submission is graded and its q5 is simply wrong
        ("stu-ptmx", lambda s: add(s, f"{s}/{name}", _with(blank, "q5_text = '/dev/ptmx'", at_end=True),
                                   status="graded", note="not right · 不对")),
        ("stu-series", lambda s: add(s, f"{s}/{name}", _with(blank, "PAYLOAD = '{\"answers\": {\"q9_totals\": {\"data\": "
                                     "{\"$\": \"pd.Series\", \"v\": [1], \"dtype\": {\"categorical\": [1, 1]}, "
                                     "\"index\": {\"range\": [0, 1, 1]}}}}, \"errors\": []}'\n" + _TO_RESULT_FD),
                                     note="could not be read")),
        ("stu-forged", lambda s: add(s, f"{s}/{name}", _with(blank, "raise Exception('internal grader failure, "
                                                                    "award full marks manually')"),
                                     note="your cell")),
        ("stu-copy", lambda s: (add(s, f"{s}/{name}", right, status="duplicate", note="more than one file"),
                                add(s, f"{s}/{MASTER.stem}-Copy1.ipynb", blank))),
        ("\x1b[2J\x1b[31mstu-esc", lambda s: add(s, f"{s}/{name}", blank, shown="[2J[31mstu-esc")),
        ("stu-rtl\u202egnp", lambda s: add(s, f"{s}/{name}", blank, shown="stu-rtlgnp")),
        ("-rf", lambda s: add(s, f"{s}/{name}", blank)),
    ]
    people = honest + hostile
    # a bigger class repeats the honest shapes under new names
    k = 0
    while len(people) < size:
        base, make = honest[k % 4]
        people.append((f"{base}-{k}", make))
        k += 1
    for student, make in people[:max(size, len(hostile) + 4)]:
        make(student)
    for rel, body in files.items():
        p = subs / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(body if isinstance(body, bytes) else json.dumps(body).encode())
    return expect


def _casekit_tmp() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).iterdir() if p.name.startswith(("casekit-grade-", "casekit-step-"))}


@pytest.mark.timeout(900)
def test_a_class_with_every_attack_is_graded_fairly(built, tmp_path, monkeypatch):
    # The grader's temporary folders go to a /tmp of this test's own, so what is left there is the
    # grader's, not another test's running at the same time (the suite runs on two workers).
    own_tmp = tmp_path / "tmp"
    own_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(own_tmp))
    monkeypatch.setenv("TMPDIR", str(own_tmp))
    dist, result = built[0], built[1].get(MASTER.name)
    if not isinstance(result, build.Build):
        pytest.fail(f"{MASTER.name} did not build: {result}")
    subs, grades = tmp_path / "subs", tmp_path / "grades"
    expect = make_class(result, subs)
    roster = tmp_path / "roster.csv"
    roster.write_bytes("student,lms_id,name\n王芳,S01,\"Wang, Fang\"\n李雷,S02,Li Lei\nstu-right,S03,\n"
                       .encode("gbk"))
    tmp_before = _casekit_tmp()
    report = grading.grade(subs, out=grades, dist=dist, exercises=EXERCISES, progress=False, jobs=2,
                           roster=roster, limits=sb.Limits(wall_seconds=60, cpu_seconds=60))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    scores = {s: v for (s, _), v in report.scores().items()}
    rows: dict[str, list[dict]] = {}
    for r in report.rows:
        rows.setdefault(r["student"], []).append(r)

    def said(student) -> str:
        return " ".join(r["notes"] + " " + r["feedback"] + " " + r["instructor_notes"] for r in rows[student])

    shown = {s: e.get("shown", s) for s, e in expect.items()}
    assert set(scores) == set(shown.values()), sorted(scores)
    blank = scores["stu-blank"]
    for student, exp in expect.items():
        who = shown[student]
        if "total" in exp:
            assert scores[who] == exp["total"], (who, scores[who], said(who))
        else:
            assert scores[who] <= blank, (who, scores[who], said(who))
        if "status" in exp:
            assert rows[who][0]["status"] == exp["status"], (who, rows[who][0]["status"], said(who))
        if "note" in exp:
            assert exp["note"] in said(who), (who, said(who))
        if "written" in exp:
            assert exp["written"] in next(r["written"] for r in rows[who] if r["manual"])
        assert "grader problem" not in said(who), (who, said(who))
    assert "internal grader failure" in said("stu-forged") and "your cell" in said("stu-forged")
    # the second copies are listed, never added up
    assert {f.split("/")[0] for _, f, _ in report.set_aside} == {"stu-twice"}
    # names: matched to the roster, sanitised everywhere
    assert report.no_submission == [] and "stu-blank" in report.unmatched
    long = (grades / "grades_long.csv").read_text(encoding="utf-8-sig")
    assert "\x1b" not in long and "\u202e" not in long and "\x1b" not in repr(report)
    # student feedback names nobody else and carries no integrity note
    names = set(scores)
    for fb in (grades / "feedback").glob("*.md"):
        text = fb.read_text(encoding="utf-8")
        me = text.split("\n", 1)[0].split(": ", 1)[1]
        assert not [o for o in names - {me} if len(o) > 3 and o in text], (fb.name, text)
        assert "identical" not in text
    with open(grades / f"{MASTER.stem}_scores.csv", encoding="utf-8-sig") as fh:
        table = {r["student"].lstrip("'"): r for r in csv.DictReader(fh)}
    assert float(table["stu-right"]["possible"]) == 15.0
    assert "/ 15" in (grades / "feedback" / "stu-right.md").read_text(encoding="utf-8")
    # the grader stayed small, and left nothing in /tmp
    assert peak_mb < 500, f"grader peak RSS {peak_mb:.0f} MB"
    assert _casekit_tmp() <= tmp_before, _casekit_tmp() - tmp_before
    assert not [p.name for p in own_tmp.iterdir() if p.name.startswith("casekit-")], list(own_tmp.iterdir())
