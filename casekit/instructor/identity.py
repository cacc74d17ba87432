"""Who handed a file in, and which of a student's files counts.

Names come from the path, read by the conventions of the places a class folder comes from:

``Canvas`` ("Download Submissions")
    one flat folder; each file is ``<login>_<user id>_<submission id>_<original name>``, with
    ``_LATE`` after the login for a late one: ``wangfang_12345_67890_02_keda_zhongtu_exercises.ipynb``,
    ``wangfang_LATE_12345_67890_...``. The login is the student's sortable name, lower case,
    letters and digits only ("Wang, Fang" gives ``wangfang``).
``Moodle`` ("Download all submissions", unzipped)
    a folder per student: ``Wang Fang_123456_assignsubmission_file_/<original name>``.
``otter``
    the export cell writes ``<exercise>_<YYYY_MM_DD>T<HH_MM_SS_ffffff>.zip`` with the notebook
    inside; the time in the name is when the student exported it.
anything else
    a folder per student (``alice/02_keda_zhongtu_exercises.ipynb``), or a file named
    ``<student>_<exercise>.ipynb``.

With a roster, each name is matched to a roster row (its ``student`` column, its ``lms_id``
against the LMS's user id, its ``name`` against the Moodle name or the Canvas login), and the
tables use the roster's ``student``.

One submission per student and exercise. Unzipping and downloading lose file times, so the
rule is: identical notebooks are one submission; otherwise the highest Canvas submission id
wins (Canvas numbers submissions in the order they arrive), else the latest otter export time in
the zip's name; a file that cannot be read is set aside when a readable one exists; if nothing
orders them, none is graded and the row lists them all, for the instructor to keep one. Files
set aside are listed in the instructor's report, never added up.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import PurePath

__all__ = ["Who", "identify", "clean_name", "Roster", "choose"]

CANVAS = re.compile(r"^(?P<login>[^\W_]+)(?P<late>_LATE)?_(?P<uid>\d+)_(?P<sub>\d+)_(?P<file>.+)$")
MOODLE = re.compile(r"^(?P<name>.+?)_(?P<id>\d+)_assignsubmission_(?:file|onlinetext)_?$")
OTTER_TIME = re.compile(r"_(\d{4}_\d{2}_\d{2}T\d{2}_\d{2}_\d{2}(?:_\d{1,6})?)(?=\.zip$|$)", re.I)
COPY_MARK = re.compile(r"(-Copy\d+|\s*\(\d+\)|\s+copy(\s*\d+)?)$", re.I)


def clean_name(text: str, limit: int = 80) -> str:
    """A name fit for a terminal, a CSV and a file list: no control, format (bidi overrides,
    zero-width) or private-use characters, spaces collapsed, at most ``limit`` characters."""
    text = "".join(" " if unicodedata.category(ch) in ("Zl", "Zp") or ch in "\t\r\n" else ch
                   for ch in str(text) if unicodedata.category(ch) not in ("Cc", "Cf", "Co", "Cs", "Cn")
                   or ch in "\t\r\n")
    text = re.sub(r"\s+", " ", text).strip()
    return text[:limit] or "(no name)"


def _fold(text: str) -> str:
    """For matching only: letters and digits, lower case (``"Wang, Fang"`` -> ``"wangfang"``)."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())


@dataclass
class Who:
    name: str              # the student as found in the path (sanitised)
    source: str            # canvas | moodle | folder | file | none
    lms_user: str = ""     # Canvas user id or Moodle participant id
    submission_id: int | None = None   # Canvas's submission id: higher is later
    exported: str = ""     # otter's export time from the zip name (sortable text)
    late: bool = False
    original: str = ""     # the file name the student gave it (LMS prefix removed)
    key: str = ""          # the student in the tables (the roster's name when matched)
    matched: bool = False  # found in the roster


def _strip_exercise(stem: str, exercises: list[str]) -> str:
    for ex in sorted(exercises, key=len, reverse=True):
        if ex in stem:
            stem = stem.replace(ex, " ")
            break
    return stem.strip("_ .")


def identify(rel: str, exercises: list[str]) -> Who:
    """The student a file belongs to, from its path below the submissions folder."""
    parts = PurePath(rel).parts
    folders, filename = parts[:-1], parts[-1]
    exported = OTTER_TIME.search(filename)
    stamp = exported.group(1) if exported else ""
    for folder in folders:
        m = MOODLE.match(folder)
        if m:
            return Who(clean_name(m.group("name")), "moodle", m.group("id"), exported=stamp, original=filename)
    m = CANVAS.match(filename)
    if m and not folders:
        return Who(clean_name(m.group("login")), "canvas", m.group("uid"), int(m.group("sub")), stamp,
                   bool(m.group("late")), m.group("file"))
    if folders:
        return Who(clean_name(folders[0]), "folder", exported=stamp, original=filename)
    stem = PurePath(filename).stem
    if stamp:
        stem = stem.replace(stamp, "")
    stem = COPY_MARK.sub("", _strip_exercise(stem, exercises)).strip("_ .")
    if not stem:
        return Who("", "none", exported=stamp, original=filename)
    return Who(clean_name(stem), "file", exported=stamp, original=filename)


class Roster:
    """The roster's rows and the indexes that match a path's name to one of them."""

    def __init__(self, rows: dict[str, dict]):
        self.rows = rows
        self.by_key = {_fold(k): k for k in rows}
        self.by_id = {str(r.get("lms_id") or "").strip(): k for k, r in rows.items() if (r.get("lms_id") or "").strip()}
        self.by_name = {}
        for k, r in rows.items():
            for field in ("name", "email"):
                v = (r.get(field) or "").strip()
                if v:
                    self.by_name.setdefault(_fold(v.split("@")[0] if field == "email" else v), k)

    def match(self, who: Who) -> str | None:
        if not who.name and not who.lms_user:
            return None
        for index, value in ((self.by_id, who.lms_user), (self.by_key, _fold(who.name)),
                             (self.by_name, _fold(who.name))):
            if value and value in index:
                return index[value]
        return None


def choose(candidates: list) -> tuple[object | None, list, str]:
    """Which of one student's files for one exercise counts: ``(chosen, set aside, reason)``;
    ``chosen`` is ``None`` when nothing orders them. Each candidate has ``.who``, ``.digest``
    (of the notebook inside; empty when unreadable) and ``.rel``."""
    if len(candidates) == 1:
        return candidates[0], [], ""
    readable = [c for c in candidates if c.digest]
    broken = [c for c in candidates if not c.digest]
    if readable and broken:
        chosen, aside, why = choose(readable)
        return chosen, aside + broken, (why + "; " if why else "") + "unreadable copies set aside"
    pool = readable or candidates
    if len({c.digest for c in pool}) == 1 and pool[0].digest:
        best = max(pool, key=lambda c: (c.who.submission_id or 0, c.who.exported, c.rel.endswith(".zip")))
        return best, [c for c in candidates if c is not best], "identical notebooks"
    if all(c.who.submission_id is not None for c in pool):
        best = max(pool, key=lambda c: c.who.submission_id)
        return best, [c for c in candidates if c is not best], "the highest Canvas submission id"
    if all(c.who.exported for c in pool) and len({c.who.exported for c in pool}) == len(pool):
        best = max(pool, key=lambda c: c.who.exported)
        return best, [c for c in candidates if c is not best], "the latest otter export time"
    return None, list(candidates), "nothing says which is later"
