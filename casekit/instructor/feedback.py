"""What grading writes for the instructor and the students.

In the output folder (default ``dist/grades``):

``grades_long.csv``
    one row per student × question: score, possible, status, feedback, notes, file, sandbox.
``<exercise>_scores.csv``
    one row per student, a column per question (written questions stay empty until merged),
    total, possible, percent, status, notes, file, sandbox.
``feedback/<student>.md``
    the summary to send back: each question's score and message, written answers "to be read".
``written/<exercise>__<question>.html`` and ``written/<exercise>_written.csv``
    every student's written answer side by side (text escaped), and a sheet with an empty
    ``points`` column; fill it in and run ``grade ... --merge written/<exercise>_written.csv``.
``gradebook_canvas.csv`` / ``gradebook_moodle.csv`` (with ``--roster FILE``)
    totals keyed by LMS id, for Canvas's and Moodle's grade import. The roster is a CSV with
    columns ``student`` (the name in the tables: folder or file prefix), ``lms_id`` (Canvas SIS
    User ID / Moodle ID number), and optionally ``name``, ``email``, ``section``.

Every CSV cell is guarded against spreadsheet formula injection (a cell a student's text could
start with ``= + - @`` or a tab is prefixed with ``'``).
"""
from __future__ import annotations

import csv
import html
import re
from pathlib import Path

from ..errors import CasekitError

__all__ = ["csv_safe", "write_all", "flag_duplicates", "read_merge", "apply_written_points",
           "read_roster"]

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
    return re.sub(r"[^\w.-]+", "_", text)[:80] or "_"


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
            if note not in result["notes"]:
                result["notes"].append(note)


def read_merge(path) -> dict[tuple[str, str, str], float]:
    """Points for written answers from a filled ``*_written.csv``."""
    path = Path(path)
    if not path.is_file():
        raise CasekitError(f"--merge: {path} does not exist. Give the written-answers sheet you filled in "
                           "(dist/grades/written/<exercise>_written.csv).")
    out: dict[tuple[str, str, str], float] = {}
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        need = {"student", "assignment", "question", "points", "possible"}
        if not reader.fieldnames or not need <= set(reader.fieldnames):
            raise CasekitError(f"--merge: {path.name} needs the columns {', '.join(sorted(need))}; "
                               f"it has {', '.join(reader.fieldnames or [])}.")
        for k, row in enumerate(reader, start=2):
            raw = (row.get("points") or "").strip()
            if not raw:
                continue
            try:
                pts = float(raw)
                cap = float(row["possible"])
            except ValueError:
                raise CasekitError(f"--merge: {path.name} line {k}: points {raw!r} is not a number.") from None
            if not 0 <= pts <= cap:
                raise CasekitError(f"--merge: {path.name} line {k}: points {pts:g} is outside 0–{cap:g}.")
            key = tuple(str(row[c]).lstrip("'") for c in ("student", "assignment", "question"))
            out[key] = round(pts, 2)
    return out


def apply_written_points(rows: list[dict], points: dict) -> None:
    for r in rows:
        if r.get("manual"):
            pts = points.get((r["student"], r["assignment"], r["question"]))
            if pts is not None:
                r["score"] = pts
                r["feedback"] = "written answer read by the instructor · 书面回答已由教师批阅"
            else:
                r["feedback"] = "written answer: to be read by the instructor · 书面回答：待教师批阅"


def read_roster(path) -> dict[str, dict]:
    path = Path(path)
    if not path.is_file():
        raise CasekitError(f"--roster: {path} does not exist. It is a CSV with columns student, lms_id "
                           "(and optionally name, email, section).")
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames or not {"student", "lms_id"} <= set(reader.fieldnames):
            raise CasekitError(f"--roster: {path.name} needs the columns student and lms_id; it has "
                               f"{', '.join(reader.fieldnames or [])}.")
        return {row["student"].strip(): row for row in reader if (row.get("student") or "").strip()}


def _num(v) -> float:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else 0.0


def write_all(rows: list[dict], out: Path, roster: dict | None = None) -> None:
    out.mkdir(parents=True, exist_ok=True)
    cols = ["student", "assignment", "question", "score", "possible", "status", "feedback", "notes",
            "file", "sandbox"]
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
                                                "file": r["file"], "sandbox": r["sandbox"]})
            if not r["question"]:
                continue
            t[r["question"]] = r["score"]
            t["total"] = round(t["total"] + _num(r["score"]), 2)
            t["possible"] = round(t["possible"] + _num(r["possible"]), 2)
        for t in table.values():
            t["percent"] = round(100 * t["total"] / t["possible"], 2) if t["possible"] else 0.0
            totals[(t["student"], assignment)] = t
        fields = ["student", *questions, "total", "possible", "percent", "status", "notes", "file", "sandbox"]
        _write_csv(out / f"{assignment}_scores.csv", fields, (table[s] for s in sorted(table)))
    _write_feedback(rows, out)
    _write_written(rows, out)
    if roster is not None:
        _write_gradebooks(totals, roster, out)


def _write_feedback(rows: list[dict], out: Path) -> None:
    fb = out / "feedback"
    fb.mkdir(exist_ok=True)
    for student in sorted({r["student"] for r in rows}):
        mine = [r for r in rows if r["student"] == student]
        lines = [f"# Feedback · 反馈: {student}", ""]
        for assignment in dict.fromkeys(r["assignment"] for r in mine):
            arows = [r for r in mine if r["assignment"] == assignment]
            total = round(sum(_num(r["score"]) for r in arows), 2)
            possible = round(sum(_num(r["possible"]) for r in arows if not r.get("manual")), 2)
            lines += [f"## {assignment}", "", f"Score · 得分: **{total:g} / {possible:g}** (written answers "
                      "are added when your instructor has read them · 书面回答经教师批阅后计入)", ""]
            if arows and arows[0]["notes"]:
                lines += [f"Notes · 说明: {arows[0]['notes']}", ""]
            for r in arows:
                if not r["question"]:
                    continue
                score = "—" if r["score"] == "" else f"{_num(r['score']):g}"
                lines.append(f"- **{r['question']}** {score} / {_num(r['possible']):g}: {r['feedback']}")
            lines.append("")
        (fb / f"{_safe_name(student)}.md").write_text("\n".join(lines), encoding="utf-8")


def _write_written(rows: list[dict], out: Path) -> None:
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
                     "answer": r.get("written", ""), "comment": ""} for r in arows))
        for question in dict.fromkeys(r["question"] for r in arows):
            qrows = [r for r in arows if r["question"] == question]
            cards = "\n".join(
                f"<section><h2>{html.escape(r['student'])}</h2>"
                f"<pre>{html.escape(r.get('written') or '(no answer · 未作答)')}</pre></section>"
                for r in qrows)
            page = (f"<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>"
                    f"<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src 'unsafe-inline'\">"
                    f"<title>{html.escape(assignment)} · {html.escape(question)}</title><style>"
                    "body{font-family:system-ui,'Noto Sans CJK SC','WenQuanYi Micro Hei',sans-serif;margin:1.5rem}"
                    "main{display:grid;grid-template-columns:repeat(auto-fill,minmax(22rem,1fr));gap:1rem}"
                    "section{border:1px solid #ccc;border-radius:6px;padding:.5rem 1rem}"
                    "pre{white-space:pre-wrap;overflow-wrap:anywhere;font-family:inherit;font-size:1rem}"
                    "</style></head><body>"
                    f"<h1>{html.escape(assignment)} · {html.escape(question)}: written answers · 书面回答</h1>"
                    f"<p>{len(qrows)} answers. Score them in <code>{html.escape(assignment)}_written.csv</code> "
                    "(column points), then run grade again with --merge. · 在 CSV 的 points 列中打分，"
                    "再用 --merge 重新运行 grade。</p><main>"
                    f"{cards}</main></body></html>")
            (folder / f"{_safe_name(assignment)}__{_safe_name(question)}.html").write_text(page, encoding="utf-8")


def _write_gradebooks(totals: dict, roster: dict, out: Path) -> None:
    assignments = list(dict.fromkeys(a for _, a in totals))
    students = sorted({s for s, _ in totals})
    canvas, moodle = [], []
    missing = [s for s in students if s not in roster]
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
            c[a] = t["total"] if t else ""
            m[a] = t["total"] if t else ""
        canvas.append(c)
        moodle.append(m)
    _write_csv(out / "gradebook_canvas.csv", ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                                             *assignments], canvas)
    _write_csv(out / "gradebook_moodle.csv", ["ID number", "Email address", "Full name", *assignments], moodle)
    if missing:
        (out / "gradebook_missing.txt").write_text(
            "Submissions with no roster row (not in the gradebooks) · 名单中没有的提交:\n"
            + "\n".join(missing) + "\n", encoding="utf-8")
