"""What grading writes for the instructor and the students.

In the output folder (default ``dist/grades``):

Two audiences. What a student may read (``feedback/``) holds only that student's work and notes;
what only the instructor reads (the tables, ``instructor_report.md``, ``written/``) also holds
the integrity notes (answer cells identical to another student's, files set aside as second
copies, LATE marks).

``grades_long.csv``
    one row per student × question: score, possible, status, feedback, notes, instructor_notes,
    file, sandbox.
``<exercise>_scores.csv``
    one row per student, a column per question (written questions stay empty until marked),
    total, possible, percent, status, notes, instructor_notes, file, sandbox.
``feedback/<student>.md``
    the summary to send back: each question's score and message, the instructor's comment on
    each written answer, written answers still to be marked said so.
``instructor_report.md``
    for the instructor only: files set aside, roster mismatches, written answers still to
    mark, and every instructor note, student by student.
``written/<exercise>__<question>.html`` and ``written/<exercise>_written.csv``
    a page per written question (its prompt, points and rubric from the master, then every
    student's answer, escaped), and a sheet with ``points`` and ``comment`` columns. Fill them
    in; the sheet is kept across runs (its marks and comments stay and reach the students'
    feedback). A sheet saved elsewhere, or by Excel in another encoding (UTF-8, UTF-8 with BOM,
    GBK/GB18030, UTF-16 "Unicode text"), goes in with ``grade ... --merge FILE``. Points possible
    always come from the master, never from the sheet.
``gradebook_canvas.csv`` / ``gradebook_moodle.csv`` (with ``--roster FILE``)
    totals keyed by LMS id, for Canvas's and Moodle's grade import. The roster is a CSV with
    columns ``student`` (the name in the tables), ``lms_id`` (Canvas SIS User ID / Moodle ID
    number), and optionally ``name``, ``email``, ``section``; any of the encodings above. A
    student with written answers still to mark, or with two files nothing orders, is left empty
    (pending) there and listed in ``gradebook_pending.txt``; ``--unmarked-as-zero`` exports the
    total anyway, counting unmarked answers as 0.

Every CSV cell is guarded against spreadsheet formula injection (a cell a student's text could
start with ``= + - @`` or a tab is prefixed with ``'``).
"""
from __future__ import annotations

import codecs
import csv
import html
import io
import re
from pathlib import Path

from ..errors import CasekitError

__all__ = ["csv_safe", "write_all", "flag_duplicates", "read_merge", "apply_written", "check_merge",
           "read_sheets", "read_roster", "read_table"]

_FORMULA = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def csv_safe(value):
    """A value fit for a spreadsheet: text that a spreadsheet would run as a formula is quoted."""
    if isinstance(value, str):
        value = value.replace("\x00", "")
        if value.startswith(_FORMULA):
            return "'" + value
    return value


def _write_csv(path: Path, fields: list[str], rows) -> None:
    with open(path, "w", newline="", encoding="utf-8-sig") as fh:
        w = csv.DictWriter(fh, fieldnames=fields, extrasaction="ignore")
        w.writerow({f: csv_safe(f) for f in fields})
        for r in rows:
            w.writerow({k: csv_safe(v) for k, v in r.items()})


def _safe_name(text: str) -> str:
    return re.sub(r"[^\w.-]+", "_", text).lstrip(".-")[:80] or "_"


def flag_duplicates(ordered: list[tuple[str, str, str, dict]]) -> None:
    """Note answer cells that a student changed from the handout and that match another
    student's exactly (whitespace normalised)."""
    seen: dict[tuple[str, str, str], list[str]] = {}
    for student, name, _, result in ordered:
        for label, digest in (result.get("cells") or {}).items():
            question = label.split("|", 1)[0]
            seen.setdefault((name, question, digest), []).append(student)
    for student, name, _, result in ordered:
        dups = []
        for label, digest in (result.get("cells") or {}).items():
            question = label.split("|", 1)[0]
            others = [s for s in seen[(name, question, digest)] if s != student]
            if others:
                dups.append(f"{question} = {', '.join(sorted(set(others)))}")
        if dups:
            note = ("answer cells identical to another student's (check before acting): " + "; ".join(dups)
                    + " · 与其他学生的作答单元格完全相同")
            notes = result.setdefault("instructor_notes", [])
            if note not in notes:   # for the instructor only: never in a student's feedback
                notes.append(note)


def _decode(raw: bytes, what: str, path: Path) -> str:
    """Text of a sheet as a spreadsheet may have saved it: UTF-8 (with or without BOM), UTF-16
    (Excel's "Unicode text") or GBK/GB18030 (Excel's "CSV" on Chinese Windows)."""
    if raw.startswith(codecs.BOM_UTF8):
        return raw[len(codecs.BOM_UTF8):].decode("utf-8", "replace")
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16", "replace")
    head = raw[:400]
    if head and head.count(b"\0") * 4 >= len(head):
        return raw.decode("utf-16-le" if head[1:2] == b"\0" else "utf-16-be", "replace")
    for enc in ("utf-8", "gb18030"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise CasekitError(f"{what}: {path.name} is not text in UTF-8, GBK or UTF-16. Save it from the "
                       "spreadsheet as 'CSV UTF-8'. · 请另存为 'CSV UTF-8' 格式。")


def read_table(path, what: str, need: set[str]) -> list[tuple[int, dict]]:
    """A CSV (comma or tab separated, any encoding above) as (line number, row) pairs."""
    path = Path(path)
    if not path.is_file():
        raise CasekitError(f"{what}: {path} does not exist.")
    text = _decode(path.read_bytes(), what, path)
    first = text.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    fields = [(f or "").strip().lstrip("'") for f in (reader.fieldnames or [])]
    reader.fieldnames = fields
    if not need <= set(fields):
        raise CasekitError(f"{what}: {path.name} needs the columns {', '.join(sorted(need))}; it has "
                           f"{', '.join(fields) or 'none'}.")
    rows = []
    for k, row in enumerate(reader, start=2):
        rows.append((k, {f: str(v if v is not None else "").strip() for f, v in row.items() if f}))
    return rows


def _unquote(v: str) -> str:
    return v[1:] if v.startswith("'") and v[1:2] in _FORMULA + ("'",) else v


def _marks(path, what: str) -> dict[tuple[str, str, str], dict]:
    """Points and comments from a written-answers sheet, keyed by (student, exercise, question)."""
    path = Path(path)
    out: dict[tuple[str, str, str], dict] = {}
    for k, row in read_table(path, what, {"student", "assignment", "question", "points"}):
        key = tuple(_unquote(row[c]) for c in ("student", "assignment", "question"))
        raw = row.get("points", "")
        comment = _unquote(row.get("comment", ""))
        pts = None
        if raw:
            try:
                pts = round(float(raw.replace("，", ".").replace(",", ".")), 2)
            except ValueError:
                raise CasekitError(f"{what}: {path.name} line {k}: points {raw!r} is not a number.") from None
            if not pts >= 0:
                raise CasekitError(f"{what}: {path.name} line {k}: points {raw!r} is below 0.")
        if key in out:
            prev = out[key]
            if (prev["points"], prev["comment"]) != (pts, comment):
                raise CasekitError(f"{what}: {path.name} lines {prev['line']} and {k} both mark {key[0]}, "
                                   f"{key[2]} differently; keep one. · 同一学生同一题出现两次且分数不同。")
            continue
        out[key] = {"points": pts, "comment": comment[:4000], "line": k, "file": path.name}
    return out


def read_merge(path) -> dict[tuple[str, str, str], dict]:
    """Points and comments for written answers from a filled ``*_written.csv`` (``--merge``)."""
    return _marks(path, "--merge")


def read_sheets(out: Path) -> dict[tuple[str, str, str], dict]:
    """The marks and comments already in ``out/written/*_written.csv``: kept across runs."""
    marks: dict = {}
    for sheet in sorted((Path(out) / "written").glob("*_written.csv")):
        marks.update(_marks(sheet, "the written-answers sheet"))
    return marks


def check_merge(merged: dict, rows: list[dict], manifests: dict) -> None:
    """Every merged mark names a written answer of this batch and stays within the master's points."""
    written = {(r["student"], r["assignment"], r["question"]) for r in rows if r.get("manual")}
    unknown = [k for k in merged if k not in written]
    if unknown:
        shown = "; ".join(f"line {merged[k]['line']}: {k[0]}, {k[1]}, {k[2]}" for k in unknown[:5])
        raise CasekitError(f"--merge: {len(unknown)} row(s) name no written answer in this batch ({shown}). "
                           "Check the student and question names (a renamed folder?). · 有的行找不到对应学生或题目。")
    for key, mark in merged.items():
        _check_points(key, mark, manifests, "--merge")


def _possible(manifests: dict, assignment: str, question: str) -> float | None:
    man = manifests.get(assignment)
    for q in (man or {}).get("questions", []):
        if q["name"] == question:
            return float(q["points"])
    return None


def _check_points(key, mark, manifests, what):
    cap = _possible(manifests, key[1], key[2])
    if mark["points"] is not None and cap is not None and mark["points"] > cap + 1e-9:
        raise CasekitError(f"{what}: {mark['file']} line {mark['line']}: {mark['points']:g} points for {key[0]}, "
                           f"{key[2]}, which is worth {cap:g} (points possible come from the master, not the "
                           "sheet). · 分数超出该题满分。")


def apply_written(rows: list[dict], merged: dict | None, sheets: dict, manifests: dict) -> None:
    """Marks and comments onto the written rows: ``--merge`` first, else the kept sheet."""
    for r in rows:
        if not r.get("manual"):
            continue
        key = (r["student"], r["assignment"], r["question"])
        mark = (merged or {}).get(key) or sheets.get(key)
        if mark is not None and mark is sheets.get(key):
            _check_points(key, mark, manifests, "the written-answers sheet")
        r["comment"] = mark["comment"] if mark else ""
        if r["status"] == "duplicate":
            continue
        if mark is not None and mark["points"] is not None:
            r["score"] = mark["points"]
            r["feedback"] = "written answer read by the instructor · 书面回答已由教师批阅"
        else:
            r["feedback"] = "written answer: to be read by the instructor · 书面回答：待教师批阅"


def read_roster(path) -> dict[str, dict]:
    rows = read_table(path, "--roster", {"student", "lms_id"})
    out: dict[str, dict] = {}
    ids: dict[str, int] = {}
    lines: dict[str, int] = {}
    for k, row in rows:
        student = _unquote(row.get("student", ""))
        if not student:
            continue
        lms = row.get("lms_id", "")
        if not lms:
            raise CasekitError(f"--roster: {Path(path).name} line {k}: {student} has no lms_id.")
        if student in lines:
            raise CasekitError(f"--roster: {Path(path).name} lines {lines[student]} and {k} are both {student!r}; "
                               "each student once. · 名单中学生重复。")
        if lms in ids:
            raise CasekitError(f"--roster: {Path(path).name} lines {ids[lms]} and {k} share the lms_id {lms!r}; "
                               "each LMS id belongs to one student. · 名单中 LMS 编号重复。")
        ids[lms], lines[student] = k, k
        out[student] = row
    return out


def _num(v) -> float:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else 0.0


def _is_pending(rows: list[dict]) -> bool:
    return any(r["status"] == "duplicate" or (r.get("manual") and r["score"] == "") for r in rows)


def write_all(rows: list[dict], out: Path, roster: dict | None = None, manifests: dict | None = None,
              report=None, unmarked_as_zero: bool = False) -> None:
    manifests = manifests or {}
    out.mkdir(parents=True, exist_ok=True)
    cols = ["student", "assignment", "question", "score", "possible", "status", "feedback", "comment", "notes",
            "instructor_notes", "file", "sandbox"]
    _write_csv(out / "grades_long.csv", cols, rows)
    for old in out.glob("*_scores.csv"):
        old.unlink()
    by_assignment: dict[str, list[dict]] = {}
    for r in rows:
        by_assignment.setdefault(r["assignment"], []).append(r)
    totals: dict[tuple[str, str], dict] = {}
    for assignment, arows in by_assignment.items():
        questions = [q for q in dict.fromkeys(r["question"] for r in arows) if q]
        table: dict[str, dict] = {}
        for r in arows:
            t = table.setdefault(r["student"], {"student": r["student"], "total": 0.0, "possible": 0.0,
                                                "status": r["status"], "notes": r["notes"],
                                                "instructor_notes": r.get("instructor_notes", ""),
                                                "file": r["file"], "sandbox": r["sandbox"], "_rows": []})
            t["_rows"].append(r)
            if not r["question"]:
                continue
            t[r["question"]] = r["score"]
            t["total"] = round(t["total"] + _num(r["score"]), 2)
            t["possible"] = round(t["possible"] + _num(r["possible"]), 2)
        for t in table.values():
            t["percent"] = round(100 * t["total"] / t["possible"], 2) if t["possible"] else 0.0
            t["pending"] = _is_pending(t.pop("_rows"))
            totals[(t["student"], assignment)] = t
        fields = ["student", *questions, "total", "possible", "percent", "status", "notes", "instructor_notes",
                  "file", "sandbox"]
        _write_csv(out / f"{assignment}_scores.csv", fields, (table[s] for s in sorted(table)))
    _write_feedback(rows, out)
    _write_written(rows, out, manifests)
    if roster is not None:
        _write_gradebooks(totals, roster, out, unmarked_as_zero)
    if report is not None:
        _write_report(rows, out, report)


def _feedback_names(students) -> dict[str, str]:
    """A file name per student; two names that look alike on disk get distinct files."""
    import hashlib

    names: dict[str, str] = {}
    used: set[str] = set()
    for s in sorted(students):
        base = _safe_name(s)
        name = base if base.lower() not in used else f"{base}-{hashlib.sha256(s.encode()).hexdigest()[:6]}"
        used.add(name.lower())
        names[s] = name
    return names


def _write_feedback(rows: list[dict], out: Path) -> None:
    fb = out / "feedback"
    fb.mkdir(exist_ok=True)
    names = _feedback_names({r["student"] for r in rows})
    for student, fname in names.items():
        mine = [r for r in rows if r["student"] == student]
        lines = [f"# Feedback · 反馈: {student}", ""]
        for assignment in dict.fromkeys(r["assignment"] for r in mine):
            arows = [r for r in mine if r["assignment"] == assignment]
            total = round(sum(_num(r["score"]) for r in arows), 2)
            possible = round(sum(_num(r["possible"]) for r in arows), 2)
            waiting = round(sum(_num(r["possible"]) for r in arows if r.get("manual") and r["score"] == ""), 2)
            lines += [f"## {assignment}", "", f"Score · 得分: **{total:g} / {possible:g}**"
                      + (f" ({waiting:g} points of written answers still to be read by your instructor · "
                         f"另有 {waiting:g} 分书面回答待教师批阅)" if waiting else ""), ""]
            if arows and arows[0]["notes"]:   # this student's own notes only (never instructor_notes)
                lines += [f"Notes · 说明: {arows[0]['notes']}", ""]
            for r in arows:
                if not r["question"]:
                    continue
                score = "—" if r["score"] == "" else f"{_num(r['score']):g}"
                lines.append(f"- **{r['question']}** {score} / {_num(r['possible']):g}: {r['feedback']}")
                if r.get("comment"):
                    lines.append(f"  - Comment · 评语: {r['comment']}")
            lines.append("")
        (fb / f"{fname}.md").write_text("\n".join(lines), encoding="utf-8")


_PAGE_STYLE = ("body{font-family:system-ui,'Noto Sans CJK SC','WenQuanYi Micro Hei',sans-serif;margin:1.5rem}"
               "main{display:grid;grid-template-columns:repeat(auto-fill,minmax(22rem,1fr));gap:1rem}"
               "section{border:1px solid #ccc;border-radius:6px;padding:.5rem 1rem}"
               "aside{background:#f6f6f0;border:1px solid #ddd;border-radius:6px;padding:.5rem 1rem;margin:1rem 0}"
               "pre{white-space:pre-wrap;overflow-wrap:anywhere;font-family:inherit;font-size:1rem}")


def _question_info(manifests: dict, assignment: str, question: str) -> dict:
    for q in (manifests.get(assignment) or {}).get("questions", []):
        if q["name"] == question:
            return q
    return {}


def _rubric_html(q: dict) -> str:
    e = html.escape
    parts = [f"<aside><h2>Question · 题目 ({e(str(q.get('points', '?')))} points · 分)</h2>"
             f"<pre>{e(q.get('prompt') or '(the prompt is in the master; rebuild with `student` to show it here)')}</pre>"]
    rubric = q.get("rubric") or {}
    levels = rubric.get("levels") or []
    if levels:
        parts.append("<h3>Rubric · 评分标准</h3><ul>" + "".join(
            f"<li><b>{e(str(lv.get('points', '')))}</b> {e(str(lv.get('label', '')))}: "
            f"{e(str(lv.get('description', '')))}</li>" for lv in levels if isinstance(lv, dict)) + "</ul>")
    else:
        parts.append("<p>No rubric in the master yet (add <code>casekit: rubric</code> to the question's "
                     "metadata). · 练习母版中尚无评分标准。</p>")
    model = rubric.get("model_answer") or q.get("model_answer")
    if model:
        parts.append(f"<h3>Model answer · 参考答案</h3><pre>{e(str(model))}</pre>")
    return "".join(parts) + "</aside>"


def _write_written(rows: list[dict], out: Path, manifests: dict) -> None:
    written = [r for r in rows if r.get("manual")]
    if not written:
        return
    folder = out / "written"
    folder.mkdir(exist_ok=True)
    for assignment in dict.fromkeys(r["assignment"] for r in written):
        arows = [r for r in written if r["assignment"] == assignment]
        _write_csv(folder / f"{assignment}_written.csv",
                   ["student", "assignment", "question", "points", "possible", "answer", "comment"],
                   ({"student": r["student"], "assignment": r["assignment"], "question": r["question"],
                     "points": r["score"] if r["score"] != "" else "", "possible": r["possible"],
                     "answer": r.get("written", ""), "comment": r.get("comment", "")} for r in arows))
        for question in dict.fromkeys(r["question"] for r in arows):
            qrows = [r for r in arows if r["question"] == question]
            info = _question_info(manifests, assignment, question) or {"points": qrows[0]["possible"]}
            cards = "\n".join(
                f"<section><h2>{html.escape(r['student'])}</h2>"
                f"<pre>{html.escape(r.get('written') or '(no answer · 未作答)')}</pre>"
                + (f"<p><b>{html.escape(str(r['score']))}</b> {html.escape(r.get('comment') or '')}</p>"
                   if r["score"] != "" or r.get("comment") else "")
                + "</section>"
                for r in qrows)
            page = (f"<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>"
                    f"<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src 'unsafe-inline'\">"
                    f"<title>{html.escape(assignment)} · {html.escape(question)}</title><style>{_PAGE_STYLE}"
                    "</style></head><body>"
                    f"<h1>{html.escape(assignment)} · {html.escape(question)}: written answers · 书面回答</h1>"
                    f"{_rubric_html(info)}"
                    f"<p>{len(qrows)} answers. Mark them in <code>{html.escape(assignment)}_written.csv</code> "
                    "(columns points and comment; the sheet is kept across runs), then run grade again. · "
                    "在 CSV 的 points 与 comment 列中打分、写评语，再运行 grade。</p><main>"
                    f"{cards}</main></body></html>")
            (folder / f"{_safe_name(assignment)}__{_safe_name(question)}.html").write_text(page, encoding="utf-8")


def _write_gradebooks(totals: dict, roster: dict, out: Path, unmarked_as_zero: bool) -> None:
    assignments = list(dict.fromkeys(a for _, a in totals))
    students = sorted({s for s, _ in totals})
    canvas, moodle, pending = [], [], []
    for s in students:
        person = roster.get(s)
        if person is None:
            continue
        c = {"Student": person.get("name") or s, "ID": "", "SIS User ID": person["lms_id"],
             "SIS Login ID": person.get("email") or "", "Section": person.get("section") or ""}
        m = {"ID number": person["lms_id"], "Email address": person.get("email") or "",
             "Full name": person.get("name") or s}
        for a in assignments:
            t = totals.get((s, a))
            value = t["total"] if t else ""
            if t and t["pending"] and not (unmarked_as_zero and t["status"] != "duplicate"):
                value = ""
                pending.append(f"{s} ({person['lms_id']}): {a}")
            c[a] = m[a] = value
        canvas.append(c)
        moodle.append(m)
    _write_csv(out / "gradebook_canvas.csv", ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                                             *assignments], canvas)
    _write_csv(out / "gradebook_moodle.csv", ["ID number", "Email address", "Full name", *assignments], moodle)
    missing = [s for s in students if s not in roster]
    for name, head, items in (
            ("gradebook_missing.txt", "Submissions with no roster row (not in the gradebooks) · 名单中没有的提交:", missing),
            ("gradebook_pending.txt", "Left empty (pending) in the gradebooks: written answers still to mark, or two "
                                      "files to choose from (--unmarked-as-zero exports the total anyway) · "
                                      "成绩册中留空（待定）:", pending)):
        path = out / name
        if items:
            path.write_text(head + "\n" + "\n".join(items) + "\n", encoding="utf-8")
        else:
            path.unlink(missing_ok=True)


def _write_report(rows: list[dict], out: Path, report) -> None:
    """For the instructor only: what needs a decision, student by student."""
    from .identity import clean_name

    lines = ["# Grading report (instructor only) · 评分报告（仅供教师）", "",
             f"Sandbox: {report.sandbox}", ""]
    if report.set_aside:
        lines += ["## Files set aside (a student's second copy; not added up) · 未计分的重复文件", ""]
        lines += [f"- {clean_name(s)}: `{clean_name(f, 200)}` ({why})" for s, f, why in report.set_aside] + [""]
    if report.unmatched:
        lines += ["## Submissions matching no roster row · 名单中找不到的提交", ""]
        lines += [f"- {clean_name(s)}" for s in report.unmatched] + [""]
    if report.no_submission:
        lines += ["## Roster students with no submission · 未提交的学生", ""]
        lines += [f"- {clean_name(s)}" for s in report.no_submission] + [""]
    if report.pending:
        lines += ["## Written answers still to mark · 待批阅的书面回答", ""]
        lines += [f"- {clean_name(s)}" for s in report.pending] + [""]
    seen = {}
    for r in rows:
        seen.setdefault((r["student"], r["assignment"]), r)
    flagged = [(k, r) for k, r in seen.items() if r.get("instructor_notes") or r["status"] not in ("graded",)]
    if flagged:
        lines += ["## Notes by student · 按学生列出的说明", ""]
        for (student, assignment), r in flagged:
            lines.append(f"- **{clean_name(student)}** ({assignment}, {r['status']}, `{clean_name(r['file'], 200)}`)")
            for note in filter(None, [r.get("instructor_notes"), r.get("notes")]):
                lines.append(f"  - {clean_name(note, 2000)}")
        lines.append("")
    (out / "instructor_report.md").write_text("\n".join(lines), encoding="utf-8")
