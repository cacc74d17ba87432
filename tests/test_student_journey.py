"""A student's exercise session, from the first check to the hand-in, in a real kernel (issue 21).

For every handed-out exercise (the session's one build of the student versions, the ``built``
fixture), in both languages: the master's solutions typed into the student version → every check
cell says the form is right; the same answers as Chinese names → the same; a form slip → a message
naming the slip; an answer left as handed out → "not attempted"; a cell that raised → "raised …";
a well-formed wrong answer → "format OK" in the student version and "not yet" with a hint that does
not state the answer in the self-study version; the export cell → a zip that ``grade`` scores as
the master's solutions score. The table printed at the end is exercise × language × case → message.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import MASTERS
from journeys import WRONG, questions, session

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

FORM_OK = {"en": "format OK", "zh": "格式正确"}
SLIP_WORDS = ("tuple", "list", "set", "text", "number", "True or False", "dict", "DataFrame", "Series",
              "元组", "列表", "集合", "文本", "数字", "布尔", "字典")
TABLE: list[tuple] = []


def _built(built, name):
    dist, results = built
    res = results[name]
    if isinstance(res, Exception):
        pytest.fail(f"{name} did not build: {res}")
    return dist, res


@pytest.fixture(scope="module")
def sessions(built, tmp_path_factory):
    """One kernel session per exercise × language (student version) — shared by the tests below."""
    out = {}
    for master in MASTERS:
        dist, res = _built(built, master.name)
        for lang in ("en", "zh"):
            out[(master.name, lang)] = session(res.student, master, lang, "form",
                                               tmp_path_factory.mktemp(f"journey-{master.stem[:2]}-{lang}"))
    return out


@pytest.mark.parametrize("master", MASTERS, ids=lambda p: p.stem[:2])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_right_answers_pass_every_check_the_student_runs(sessions, master, lang):
    s = sessions[(master.name, lang)]
    qs = questions(master)
    assert set(s.checks) == set(qs), f"check cells {sorted(s.checks)} vs questions {sorted(qs)}"
    for q, shown in s.checks.items():
        TABLE.append((master.stem[:2], lang, "right", q, shown.splitlines()[0] if shown else ""))
        assert FORM_OK[lang] in shown, f"{master.stem} {q} [{lang}]: a right answer got {shown!r}"
    for q in qs:
        zh = s.case("zh_names", q)
        TABLE.append((master.stem[:2], lang, "zh names", q, zh["text"].splitlines()[0]))
        assert zh["status"] == "ok", f"{q}: the right answer in Chinese names got {zh['text']!r}"


@pytest.mark.parametrize("master", MASTERS, ids=lambda p: p.stem[:2])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_slips_unanswered_and_raising_cells_say_what_is_wrong(sessions, master, lang):
    s = sessions[(master.name, lang)]
    for q, names in questions(master).items():
        slip = s.case("slip", q)
        TABLE.append((master.stem[:2], lang, "slip", q, slip["text"].replace("\n", " ")[:110]))
        assert slip["status"] in ("type", "content") and not slip["text"].startswith(f"{q}: format OK")
        if slip["status"] == "type":
            assert names[0] in slip["text"] and any(w in slip["text"] for w in SLIP_WORDS), slip["text"]
        else:   # a slip the type allows (e.g. text → [text] where any list is fine) must still fail the form
            assert FORM_OK[lang] not in slip["text"], slip["text"]
        blank = s.case("not_attempted", q)
        assert blank["status"] == "not_attempted", blank
        assert ("not attempted" if lang == "en" else "还没有作答") in blank["text"]
        raised = s.case("raised", q)
        TABLE.append((master.stem[:2], lang, "raised", q, raised["text"].replace("\n", " ")[:110]))
        assert raised["status"] == "raised" and "NameError" in raised["text"], raised


@pytest.mark.parametrize("master", MASTERS, ids=lambda p: p.stem[:2])
def test_a_wrong_answer_is_format_ok_for_a_student_and_not_yet_in_self_study(sessions, built, master, tmp_path):
    from casekit.instructor.selfstudy import build_selfstudy

    wrong = WRONG.get(master.stem, {})
    qs = questions(master)
    assert set(wrong) == set(qs), f"tests/data/exercise_journeys.yaml lacks {sorted(set(qs) - set(wrong))}"
    s = sessions[(master.name, "zh")]
    for q in qs:
        got = s.case("wrong", q)
        TABLE.append((master.stem[:2], "zh", "wrong (student)", q, got["text"].splitlines()[0]))
        assert got["status"] == "ok" and FORM_OK["zh"] in got["text"], got
    dist, _ = _built(built, master.name)
    selfstudy = build_selfstudy(master, dist)
    ss = session(selfstudy, master, "en", "selfstudy", tmp_path)
    for q in qs:
        assert "correct" in ss.checks[q] and "not yet" not in ss.checks[q], f"{q}: self-study right answer got {ss.checks[q]!r}"
        got = ss.case("wrong", q)
        TABLE.append((master.stem[:2], "en", "wrong (self-study)", q, got["text"].replace("\n", " ")[:110]))
        assert got["status"] == "content" and got["text"].startswith(f"{q}: not yet"), got
        hints = got["text"].split("\n", 1)[1] if "\n" in got["text"] else ""
        assert hints.strip(), f"{q}: 'not yet' without a hint"
        for name, expr in _right_literals(master, q).items():
            assert expr not in hints, f"{q}: the hint states the answer {expr!r}"


def _right_literals(master: Path, q: str) -> dict[str, str]:
    """Right answers written as literals in the master's solution (to look for in hints)."""
    from exercise_masters import parse

    out = {}
    for question in parse(master).questions:
        if question.name != q:
            continue
        for src in question.solution_code:
            for m in re.finditer(r"^(\w+)\s*=\s*(.+?)\s*#\s*SOLUTION", src, flags=re.M):
                value = m.group(2).strip()
                if re.fullmatch(r"[\[\{\"'0-9].*", value) and len(value) >= 4:
                    out[m.group(1)] = value
    return out


@pytest.mark.parametrize("master", MASTERS, ids=lambda p: p.stem[:2])
def test_the_export_is_what_grading_scores_as_the_solutions(sessions, built, master, tmp_path):
    from casekit.instructor import grade as grading
    from casekit.instructor.build import load_manifest

    s = sessions[(master.name, "en")]
    assert s.export is not None and s.export.exists(), f"no zip written; the export cell said {s.export_output!r}"
    assert "NameError" not in s.export_output and "Traceback" not in s.export_output, s.export_output
    dist, res = _built(built, master.name)
    folder = tmp_path / "class" / "student_a"
    folder.mkdir(parents=True)
    (folder / s.export.name).write_bytes(s.export.read_bytes())
    # a second student: the solutions, but the first answer cell raises
    import nbformat
    from journeys import solutions

    nb = nbformat.read(res.student, as_version=4)
    answer_cells = [c for c in nb.cells if c.cell_type == "code" and "otter_answer_cell" in c.metadata.get("tags", [])]
    for cell, src in zip(answer_cells, solutions(master)):
        cell.source = src
    first_q, first_names = next(iter(questions(master).items()))
    answer_cells[0].source = f"{first_names[0]} = undefined_name_in_journey"
    (tmp_path / "class" / "student_b").mkdir()
    nbformat.write(nb, str(tmp_path / "class" / "student_b" / res.student.name))
    report = grading.grade(tmp_path / "class", out=tmp_path / "grades", dist=dist, progress=False, jobs=1)
    man = load_manifest(Path(dist), master.stem)
    auto = {q["name"] for q in man["questions"] if not q["manual"]}
    full = sum(q["points"] for q in man["questions"] if not q["manual"])
    rows_a = [r for r in report.rows if r["student"] == "student_a" and r["question"] in auto]
    got = sum(r["score"] for r in rows_a if isinstance(r["score"], (int, float)))
    assert got == full, f"the exported solutions got {got}/{full}: {json.dumps(report.rows, ensure_ascii=False)[:800]}"
    for r in rows_a:   # graded feedback says right, not "format OK, checked when graded"
        assert r["feedback"].startswith("right · 正确") and "Format OK" not in r["feedback"], r
    row_b = next(r for r in report.rows if r["student"] == "student_b" and r["question"] == first_q)
    assert "raised NameError" in row_b["feedback"] and "not attempted" not in row_b["feedback"], row_b


def test_print_the_journey_table():
    """The closing note's table: exercise × language × case → message (pytest -s shows it)."""
    if not TABLE:
        pytest.skip("the journey tests did not run in this session")
    for row in TABLE:
        print(" | ".join(row))
