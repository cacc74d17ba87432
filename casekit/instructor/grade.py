"""Grading a folder of submissions: read each safely, run it in the sandbox, score it against the
instructor's bundle, cache the result under a keyed hash, and write the tables.

Trust: the bundle and its manifest are checked against keyed hashes before anything is graded
(a changed bundle stops the batch); points possible come from the manifest, never from a run;
cache entries carry keyed hashes too (a changed or unreadable entry is regraded); only JSON comes
back from a sandbox; a file that vanishes mid-batch is reported, never dropped.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import re
import stat
import sys
import tempfile
import threading
import time
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from queue import Queue

from ..errors import CasekitError
from . import identity, integrity
from . import sandbox as sb
from .build import MANIFEST_VERSION, build_student, default_jobs, extract_tests, load_manifest, stop_running
from .evaluate import evaluate_cells, loads_bounded
from .masters import dist_folder, exercise_masters, has_tag, is_boilerplate, sha256, source

__all__ = ["grade", "GradeReport", "read_submission", "Submission", "OutputLock", "MAX_FILE_BYTES", "NOT_ATTEMPTED"]

CACHE_VERSION = "4"
MAX_FILE_BYTES = 100 << 20        # a submission file bigger than this is not read
MAX_CODE_CHARS = 2_000_000        # code a submission may hand the grader
MAX_ZIP_MEMBERS = 200
MAX_ZIP_RATIO = 200               # uncompressed / compressed, per member (zip bombs)
NOT_ATTEMPTED = "not attempted · 未作答"
CORRECT = "right · 正确"
WRONG = "not right · 不对"
PARTLY = "partly right · 部分正确"


def _raised_for(names: list[str], cells: list[tuple[int, str]], errors: list) -> list[str]:
    """Feedback for answers that are missing because the cell that sets them raised."""
    from ..exercises import _assigned_names

    by_index = dict(cells)
    out = []
    for e in errors or []:
        pos = e.get("cell") if isinstance(e, dict) else None
        if not isinstance(pos, int) or pos not in by_index:
            continue
        hit = [n for n in names if n in _assigned_names(by_index[pos])]
        if hit:
            msg = str(e.get("message", ""))[:160]
            out.append(f"the cell that sets {', '.join(hit)} raised {e.get('error')}: {msg} · "
                       f"设置 {', '.join(hit)} 的单元格出错：{e.get('error')}: {msg}")
    return out


@dataclass
class Submission:
    path: Path
    rel: str
    student: str
    data: bytes = b""
    notebook: dict | None = None
    error: str = ""
    status: str = ""
    notes: list[str] = field(default_factory=list)
    who: identity.Who | None = None
    assignment: str | None = None
    digest: str = ""            # of the notebook inside (empty when unreadable)
    instructor_notes: list[str] = field(default_factory=list)


def _read_capped(path: Path) -> bytes:
    """Read a regular file, refusing links and anything too big (checked on the open file)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ValueError("not a regular file")
        if st.st_size > MAX_FILE_BYTES:
            raise OverflowError(st.st_size)
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            total += len(chunk)
            if total > MAX_FILE_BYTES:
                raise OverflowError(total)
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _notebook_from_zip(data: bytes) -> tuple[bytes | None, str]:
    """The one notebook inside otter's export zip; refuses bombs, traversal and links."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        members = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError) as exc:
        return None, f"the zip file is unreadable ({type(exc).__name__}) · zip 文件无法读取"
    if len(members) > MAX_ZIP_MEMBERS:
        return None, f"the zip holds {len(members)} files (at most {MAX_ZIP_MEMBERS}) · zip 内文件过多"
    notebooks = []
    for m in members:
        name = m.filename
        if name.startswith(("/", "\\")) or ".." in Path(name.replace("\\", "/")).parts or re.match(r"^[A-Za-z]:", name):
            return None, f"the zip holds a path outside itself ({name[:80]!r}): refused · zip 含越界路径，已拒绝"
        mode = (m.external_attr >> 16) & 0o170000
        if mode == stat.S_IFLNK:
            return None, f"the zip holds a link ({name[:80]!r}): refused · zip 含链接，已拒绝"
        if m.file_size > MAX_FILE_BYTES or (m.compress_size and m.file_size / max(m.compress_size, 1) > MAX_ZIP_RATIO
                                            and m.file_size > (1 << 20)):
            return None, f"the zip member {name[:80]!r} expands too far (a zip bomb?): refused · 疑似 zip 炸弹，已拒绝"
        if name.endswith(".ipynb") and not name.split("/")[-1].startswith("."):
            notebooks.append(m)
    if len(notebooks) != 1:
        return None, (f"the zip holds {len(notebooks)} notebooks; it must hold exactly one · "
                      f"zip 中应只有一个笔记本")
    m = notebooks[0]
    try:
        with zf.open(m) as fh:
            body = fh.read(MAX_FILE_BYTES + 1)
    except NotImplementedError:
        return None, (f"the zip uses a compression method the grader cannot read (method {m.compress_type}) · "
                      "zip 的压缩方式无法读取")
    except RuntimeError:
        return None, "the zip is encrypted (password-protected) · zip 文件已加密"
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
        return None, f"the zip is damaged ({type(exc).__name__}: bad checksum or data) · zip 文件已损坏"
    if len(body) > MAX_FILE_BYTES:
        return None, "the notebook in the zip is too big · zip 中的笔记本过大"
    return body, ""


def read_submission(path: Path, root: Path) -> Submission:
    """A submission file (``.ipynb`` or otter's export ``.zip``), read defensively: never raises."""
    rel = str(path.relative_to(root))
    parts = Path(rel).parts
    student = parts[0] if len(parts) > 1 else path.stem
    sub = Submission(path, rel, student)
    try:
        data = _read_capped(path)
    except FileNotFoundError:
        sub.status, sub.error = "vanished", "the file disappeared while the batch ran · 评分过程中文件消失"
        return sub
    except OverflowError:
        sub.status, sub.error = "unreadable", f"the file is larger than {MAX_FILE_BYTES >> 20} MB: not read · 文件过大"
        return sub
    except (OSError, ValueError):
        sub.status, sub.error = "unreadable", "the file is a link or not a regular file: not read · 不是普通文件（可能是链接），未读取"
        return sub
    sub.data = data
    if path.suffix.lower() == ".zip":
        body, why = _notebook_from_zip(data)
        if body is None:
            sub.status, sub.error = "unreadable", why
            return sub
        data = body
    if not data.strip():
        sub.status, sub.error = "unreadable", "the file is empty (0 bytes of notebook) · 文件为空"
        return sub
    try:
        nb = loads_bounded(data, max_bytes=MAX_FILE_BYTES, max_depth=200)
        if nb is None:
            raise ValueError("not JSON, or nested too deep")
        if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
            raise ValueError("no 'cells' list")
        sub.notebook = nb
        sub.digest = sha256(data)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        sub.status = "unreadable"
        sub.error = f"the file is not a readable notebook ({exc.__class__.__name__}) · 文件不是可读取的笔记本"
    return sub


def _assignment_of(sub: Submission, names: list[str], forced: str | None) -> str | None:
    if forced:
        return forced
    meta = ((sub.notebook or {}).get("metadata") or {})
    meta = meta.get("otter") if isinstance(meta, dict) else None
    if isinstance(meta, dict) and meta.get("assignment_name") in names:
        return meta["assignment_name"]
    hits = [n for n in names if n in sub.path.name]
    if len(hits) == 1:
        return hits[0]
    return names[0] if len(names) == 1 else None


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _cells(nb: dict) -> list[dict]:
    """A submission's cells that are cells (dicts); anything else in the list is skipped."""
    cells = nb.get("cells") if isinstance(nb, dict) else None
    return [c for c in cells if isinstance(c, dict)] if isinstance(cells, list) else []


def _by_id(cells: list[dict]) -> dict[str, dict]:
    """Cells by their id, for ids that are text (a submission may put anything there)."""
    return {c["id"]: c for c in cells if isinstance(c.get("id"), str)}


def _manual_answers(nb: dict, man: dict) -> dict[str, str]:
    """Each written question's answer text: the handout's answer cells by id, else by order."""
    manual = [q["name"] for q in man["questions"] if q["manual"]]
    out = {q: "" for q in manual}
    cells = _cells(nb)
    by_id = _by_id(cells)
    found = set()
    for cid, info in man.get("answer_cells", {}).items():
        k = info.get("manual_index")
        if k and k <= len(manual) and cid in by_id:
            out[manual[k - 1]] += ("\n\n" if out[manual[k - 1]] else "") + source(by_id[cid])
            found.add(manual[k - 1])
    # cells whose ids were changed: the k-th BEGIN QUESTION block of the notebook
    k, inside = 0, False
    for c in cells:
        if not isinstance(c, dict):
            continue
        src = source(c)
        if c.get("cell_type") == "markdown" and "<!-- BEGIN QUESTION -->" in src:
            k, inside = k + 1, True
            continue
        if c.get("cell_type") == "markdown" and "<!-- END QUESTION -->" in src:
            inside = False
            continue
        if inside and k <= len(manual) and manual[k - 1] not in found and has_tag(c, "otter_answer_cell"):
            out[manual[k - 1]] += ("\n\n" if out[manual[k - 1]] else "") + src
    handout_texts = {_norm(info["source"]) for info in man.get("answer_cells", {}).values()}
    return {q: ("" if _norm(t) in handout_texts else t.strip()[:20000]) for q, t in out.items()}


def _changed_answer_cells(nb: dict, man: dict) -> dict[str, str]:
    """Hashes of the answer cells a student changed from the handout (for the duplicate check)."""
    out = {}
    cells = _by_id(_cells(nb))
    for cid, info in man.get("answer_cells", {}).items():
        if cid in cells:
            text = _norm(source(cells[cid]))
            if text and text != _norm(info["source"]):
                label = info.get("question") or f"written {info.get('manual_index')}"
                out[f"{label}|{cid}"] = hashlib.sha256(text.encode()).hexdigest()
    return out


def _missing_cells(nb: dict, man: dict) -> list[str]:
    ids = set(_by_id(_cells(nb)))
    return [info.get("question") or "written answer" for cid, info in man.get("answer_cells", {}).items()
            if cid not in ids]


def _blank(data, max_depth: int = 100) -> bool:
    """The handout's placeholder: ``...``, or a container holding nothing but placeholders
    (``answers["a"] = ...`` left as handed out). Walked without recursion: the data came from a
    submission's sandbox and may be nested as deep as it liked."""
    stack = [(data, 0)]
    while stack:
        item, depth = stack.pop()
        if not isinstance(item, dict) or depth > max_depth:
            return False
        tag, v = item.get("$"), item.get("v")
        if tag == "ellipsis":
            continue
        if tag in ("list", "tuple", "set", "frozenset") and isinstance(v, list):
            stack.extend((x, depth + 1) for x in v)
        elif tag == "dict" and isinstance(v, list):
            if not all(isinstance(p, list) and len(p) == 2 for p in v):
                return False
            stack.extend((p[1], depth + 1) for p in v)
        else:
            return False
    return True


def _attempted(entry: dict) -> bool:
    return ("data" in entry and not _blank(entry["data"])) or "unsupported" in entry


def _grade_one(sub: Submission, man: dict, tests_dir: Path, limits: sb.Limits, sandbox: bool,
               slot: int) -> dict:
    """Grade one submission; never raises for anything the submission does."""
    questions = {q["name"]: {"score": 0.0, "possible": float(q["points"]), "manual": q["manual"],
                             "feedback": [], "written": ""} for q in man["questions"]}
    result = {"questions": questions, "notes": list(sub.notes), "status": "graded", "cells": {},
              "instructor_notes": list(sub.instructor_notes)}
    expected = f"{man['name']}.ipynb"
    if man["name"] not in sub.path.name:
        result["notes"].append(f"file was renamed to {sub.path.name!r}; graded as {expected} · 文件被改名，已按 {expected} 评分")
    if sub.error:
        result["notes"].append(sub.error)
        result["status"] = sub.status or "unreadable"
        for q in questions.values():
            q["feedback"] = [NOT_ATTEMPTED]
        return result
    nb = sub.notebook
    odd = sum(1 for c in nb["cells"] if not isinstance(c, dict) or not isinstance(c.get("source", ""), (str, list))
              or (isinstance(c.get("source"), list) and not all(isinstance(x, str) for x in c["source"]))
              or not isinstance(c.get("id", ""), str))
    if odd:
        result["notes"].append(f"{odd} cell(s) of the notebook are malformed (a source or id that is not text); "
                               "read as far as they go · 有单元格格式异常，已尽量读取")
    for qname, text in _manual_answers(nb, man).items():
        questions[qname]["written"] = text
    result["cells"] = _changed_answer_cells(nb, man)
    missing = _missing_cells(nb, man)
    if missing:
        result["notes"].append(f"{len(missing)} answer cell(s) of the handout were deleted ({', '.join(map(str, missing))}) · "
                               f"删除了讲义中的 {len(missing)} 个作答单元格")
    cells = [(k, source(c)) for k, c in enumerate(nb["cells"])
             if isinstance(c, dict) and c.get("cell_type") == "code" and source(c).strip()
             and not is_boilerplate(source(c))]
    if sum(len(s) for _, s in cells) > MAX_CODE_CHARS:
        result["status"] = "unreadable"
        result["notes"].append(f"the notebook holds more than {MAX_CODE_CHARS:,} characters of code: not run · 代码过长，未运行")
        cells = []
    if not cells:
        if result["status"] == "graded":
            result["status"] = "empty"
            result["notes"].append("the notebook has no code in it: nothing to grade · 笔记本中没有代码，无法评分")
        for q in questions.values():
            if not q["manual"]:
                q["feedback"] = [NOT_ATTEMPTED]
        return result
    ev = evaluate_cells(cells, man["answer_names"], man["setup"], tests_dir, limits=limits, slot=slot,
                        sandbox=sandbox)
    if ev.status != "graded":
        result["status"] = ev.status
    result["notes"] += ev.notes
    # the student's own errors, quoted as theirs (their text can say anything)
    result["notes"] += [f"your cell {e['cell'] + 1 if isinstance(e.get('cell'), int) else '?'} raised "
                        f"{identity.clean_name(e['error'], 80)}: «{identity.clean_name(e['message'], 160)}» · 你的单元格出错"
                        for e in ev.errors[:10]]
    for q in man["questions"]:
        if q["manual"]:
            continue
        entry = questions[q["name"]]
        states = [ev.answers.get(n, {"missing": True}) for n in q["answer_names"]]
        if not any(_attempted(s) for s in states):
            raised = _raised_for(q["answer_names"], cells, ev.errors)
            entry["feedback"] = raised or [NOT_ATTEMPTED]
            continue
        for n, s in zip(q["answer_names"], states):
            if "unsupported" in s:
                entry["feedback"].append(
                    f"`{n}` holds {s['unsupported']}, which the grader does not read: store a number, text, "
                    f"list, dict or table · `{n}` 的类型评分程序无法读取，请存为数字、文本、列表、字典或表格")
            elif n in ev.answer_notes:
                entry["feedback"].append(f"`{n}` could not be read: {ev.answer_notes[n]} · `{n}` 无法读取")
        got = ev.questions.get(q["name"])
        if not isinstance(got, dict) or not isinstance(got.get("cases"), list):
            if ev.status == "rejected":
                entry["feedback"].append("not scored: the hidden tests could not finish on this notebook's answers · "
                                         "未计分：隐藏测试无法在这些答案上完成")
            continue
        if got.get("stopped"):
            entry["feedback"].append(f"the hidden test stopped on this answer ({str(got['stopped'])[:120]}) · "
                                     "隐藏测试在此答案上无法完成")
        cases = [c for c in got["cases"] if isinstance(c, dict)]
        earned = sum(float(c.get("points") or 0) for c in cases if c.get("passed") and c.get("hidden"))
        entry["score"] = round(min(max(earned, 0.0), entry["possible"]), 2)
        # graded feedback says right or wrong first; a public check's "format OK, correctness is
        # checked when graded" note means nothing once it has been graded
        if entry["score"] >= entry["possible"] > 0:
            msgs = [c["success_message"] for c in cases if c.get("passed") and c.get("success_message")
                    and c.get("hidden")]
            entry["feedback"] += [CORRECT, *dict.fromkeys(msgs)]
        else:
            msgs = [c["failure_message"] for c in cases if not c.get("passed") and c.get("failure_message")]
            entry["feedback"] += [PARTLY if entry["score"] > 0 else WRONG, *dict.fromkeys(msgs)]
    return result


@dataclass
class GradeReport:
    """What :func:`grade` did: rows of the long table and where the files are."""
    rows: list[dict] = field(default_factory=list)
    out: Path | None = None
    graded: int = 0
    from_cache: int = 0
    regraded_cache: int = 0
    interrupted: bool = False
    sandbox: str = ""
    set_aside: list[tuple[str, str, str]] = field(default_factory=list)   # (student, file, why)
    unmatched: list[str] = field(default_factory=list)      # submissions with no roster row
    no_submission: list[str] = field(default_factory=list)  # roster students with no file
    pending: list[str] = field(default_factory=list)        # written answers not yet marked

    def scores(self) -> dict[tuple[str, str], float]:
        """Total score per (student, assignment) (written answers count once merged)."""
        totals: dict[tuple[str, str], float] = {}
        for r in self.rows:
            key = (r["student"], r["assignment"])
            totals[key] = round(totals.get(key, 0.0) + (r["score"] if isinstance(r["score"], (int, float)) else 0.0), 2)
        return totals

    def __repr__(self) -> str:
        def few(names):
            names = [identity.clean_name(n, 40) for n in names]
            return ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
        lines = [f"GradeReport: {len(self.scores())} submission(s), {self.graded} graded now, "
                 f"{self.from_cache} from cache{', INTERRUPTED' if self.interrupted else ''}",
                 f"  sandbox: {self.sandbox}", f"  tables and feedback in {self.out}"]
        if self.set_aside:
            lines.append(f"  {len(self.set_aside)} file(s) set aside as a second copy (not added up): "
                         f"{few(f'{s}: {f}' for s, f, _ in self.set_aside)}; see instructor_report.md")
        if self.unmatched:
            lines.append(f"  {len(self.unmatched)} submission(s) match no roster row (not in the gradebooks): "
                         f"{few(self.unmatched)}")
        if self.no_submission:
            lines.append(f"  {len(self.no_submission)} roster student(s) handed nothing in: {few(self.no_submission)}")
        if self.pending:
            lines.append(f"  {len(self.pending)} student(s) with written answers still to mark (pending in "
                         f"the gradebooks): {few(self.pending)}")
        return "\n".join(lines)


class _Progress:
    """A one-line progress bar on stderr: bar, count, elapsed, time left."""

    def __init__(self, total: int, enabled: bool = True, stream=None):
        self.total, self.done, self.enabled = total, 0, enabled
        self.stream = stream or sys.stderr
        self.start = time.monotonic()
        self.graded_time, self.graded, self.jobs = 0.0, 0, 1

    @staticmethod
    def _clock(seconds: float) -> str:
        seconds = int(round(seconds))
        return f"{seconds // 60}:{seconds % 60:02d}"

    def line(self, label: str = "") -> str:
        width = 24
        filled = int(width * self.done / self.total) if self.total else width
        bar = "█" * filled + "·" * (width - filled)
        elapsed = time.monotonic() - self.start
        if self.graded:
            eta = f"~{self._clock(self.graded_time / self.graded * (self.total - self.done) / self.jobs)} left"
        else:
            eta = "time left: estimating" if self.done < self.total else "done"
        return (f"\r[{bar}] {self.done}/{self.total} submissions · {self._clock(elapsed)} elapsed · "
                f"{eta} {identity.clean_name(label, 30):<30}")

    def update(self, label: str = "", seconds: float | None = None):
        self.done += 1
        if seconds is not None:
            self.graded_time += seconds
            self.graded += 1
        self.show(label)

    def show(self, label: str = ""):
        if self.enabled:
            self.stream.write(self.line(label))
            self.stream.flush()

    def close(self):
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


def _rows(student: str, name: str, rel: str, result: dict, sandbox_label: str) -> list[dict]:
    return [{"student": student, "assignment": name, "question": qname,
             "score": "" if q["manual"] else round(q["score"], 2), "possible": round(q["possible"], 2),
             "manual": q["manual"], "written": q.get("written", ""),
             "status": result["status"], "feedback": " | ".join(q["feedback"]),
             "notes": " | ".join(result["notes"]),
             "instructor_notes": " | ".join(result.get("instructor_notes") or []),
             "file": identity.clean_name(rel, 300), "sandbox": sandbox_label}
            for qname, q in result["questions"].items()]


class OutputLock:
    """One grading run per output folder: ``out/.grading.lock`` held with ``fcntl.flock`` and
    naming its holder (pid, host, start time). The lock goes with the process, even a killed one."""

    def __init__(self, out: Path):
        self.path = out / ".grading.lock"
        self.fh = None

    def __enter__(self):
        import fcntl
        import socket
        from datetime import datetime

        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+", encoding="utf-8")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.seek(0)
            holder = identity.clean_name(fh.read(300) or "another run", 200)
            fh.close()
            raise CasekitError(f"{self.path.parent} is being written by another grading run ({holder}). "
                               "Wait for it to finish, or grade into another folder with --out. · "
                               "另一个评分进程正在写入该文件夹。") from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()} on {socket.gethostname()}, started "
                 f"{datetime.now().astimezone().isoformat(timespec='seconds')}\n")
        fh.flush()
        self.fh = fh
        return self

    def __exit__(self, *exc):
        if self.fh is not None:
            self.fh.truncate(0)
            self.fh.close()   # closing releases the flock
            self.fh = None
        return False


def _collect(root: Path, masters: dict, assignment: str | None, roster) -> list[Submission]:
    """Every file under ``root``, read and named: which exercise, which student."""
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in (".ipynb", ".zip")
                   and ".ipynb_checkpoints" not in p.parts and "__MACOSX" not in p.parts
                   and (p.is_file() or p.is_symlink()))
    if not files:
        raise CasekitError(f"No notebooks (*.ipynb) or otter export zips under {root}.")
    subs = []
    for path in files:
        try:
            sub = read_submission(path, root)
        except Exception as exc:   # noqa: BLE001 - one file never stops the batch
            sub = Submission(path, str(path.relative_to(root)), path.stem, status="unreadable",
                             error=f"the file could not be read ({type(exc).__name__}) · 文件无法读取")
        sub.who = identity.identify(sub.rel, list(masters))
        sub.assignment = _assignment_of(sub, list(masters), assignment)
        if roster is not None:
            hit = roster.match(sub.who)
            sub.who.key, sub.who.matched = (hit, True) if hit else (sub.who.name, False)
        else:
            sub.who.key = sub.who.name
        if not sub.who.key:
            sub.who.key = "(no name) " + identity.clean_name(sub.rel, 60)
            sub.instructor_notes.append("no student name in the path: put each file in a folder named after "
                                        "its student · 路径中没有学生姓名")
        if sub.who.late:
            sub.instructor_notes.append("Canvas marked this submission LATE · Canvas 标记为迟交")
        subs.append(sub)
    return subs


def _one_per_student(subs: list[Submission], report: GradeReport) -> tuple[list[Submission], list]:
    """Apply :func:`identity.choose` to each student's files for each exercise: the files to grade,
    and the groups for which nothing says which file is later (none of them is graded)."""
    groups: dict[tuple, list[Submission]] = {}
    for sub in subs:
        who = sub.who
        person = who.key if who.matched or not who.lms_user else f"{who.source}:{who.lms_user}"
        groups.setdefault((person, sub.assignment), []).append(sub)
    # two different people who look alike (two Canvas "wangfang"s) get distinct names
    shown: dict[str, set] = {}
    for (person, _), group in groups.items():
        shown.setdefault(group[0].who.key, set()).add(person)
    for (person, _), group in groups.items():
        if len(shown[group[0].who.key]) > 1:
            for sub in group:
                sub.who.key = f"{sub.who.key} #{sub.who.lms_user}"
    chosen, refused = [], []
    for (_, name), group in groups.items():
        best, aside, why = identity.choose(group)
        for sub in aside:
            if best is not None:
                report.set_aside.append((best.who.key, sub.rel, why))
        if best is None:
            refused.append(group)
            continue
        if aside:
            best.instructor_notes.append(
                f"{len(aside) + 1} files for this exercise; graded {identity.clean_name(best.rel, 100)} "
                f"({why}); set aside: {', '.join(identity.clean_name(a.rel, 100) for a in aside)} · "
                "同一练习有多个文件，只评一个")
        chosen.append(best)
    return sorted(chosen, key=lambda s: s.rel), refused


def _refused_result(group: list[Submission], man: dict) -> dict:
    files = ", ".join(identity.clean_name(s.rel, 100) for s in group)
    return {"questions": {q["name"]: {"score": 0.0, "possible": float(q["points"]), "manual": q["manual"],
                                      "feedback": ["not graded yet: more than one file · 尚未评分：提交了多个文件"],
                                      "written": ""} for q in man["questions"]},
            "status": "duplicate", "cells": {},
            "notes": [f"{len(group)} files were handed in for this exercise and nothing says which is the later "
                      "one; your instructor will grade the one you meant · 同一练习提交了多个文件，教师将确认后评分"],
            "instructor_notes": [f"{len(group)} files and nothing orders them (no Canvas submission id, no otter "
                                 f"export time): none graded. Keep one and grade again: {files} · 多个文件无法排序，均未评分"]}


def _crash_result(sub: Submission, man: dict, exc: BaseException) -> dict:
    """The last line of defence: a file the grader itself failed on still becomes a row."""
    return {"questions": {q["name"]: {"score": 0.0, "possible": float(q["points"]), "manual": q["manual"],
                                      "feedback": [NOT_ATTEMPTED], "written": ""} for q in man["questions"]},
            "status": "error", "cells": {}, "instructor_notes": list(sub.instructor_notes),
            "notes": [f"the grader failed on this file ({type(exc).__name__}); this is a grader problem, "
                      "not the student's: report it to the kit's maintainers · 评分程序处理此文件时出错（评分程序的问题）"]}


def grade(submissions: str | Path, out: str | Path | None = None, dist: str | Path | None = None,
          assignment: str | None = None, exercises: str | Path | None = None,
          timeout: float = 600, progress: bool = True, stream=None, jobs: int | None = None,
          sandbox: bool = True, limits: sb.Limits | None = None, roster: str | Path | None = None,
          merge: str | Path | None = None, unmarked_as_zero: bool = False) -> GradeReport:
    """Grade every ``*.ipynb`` (or otter export ``*.zip``) under ``submissions``.

    Layout: a Canvas or Moodle download as it comes, one folder per student
    (``alice/02_keda_zhongtu_exercises.ipynb``), or files named ``<student>_<exercise>.ipynb``
    (see :mod:`casekit.instructor.identity` for names and for which file counts when a student
    handed in two). Each submission runs in the sandbox (see
    :mod:`casekit.instructor.sandbox`); with ``sandbox=False`` it runs without isolation and every
    row says so. Writes to ``out`` (default ``dist/grades``) the tables described in
    :mod:`casekit.instructor.feedback`; one run at a time per ``out`` (a lock says who holds it).
    Results are cached under keyed hashes in ``out/.cache``: run again after an interruption and
    only what is left gets graded. Any file, however broken or hostile, becomes a row with a
    status and a note; the batch always finishes.
    """
    from . import feedback

    root = Path(submissions)
    if not root.is_dir():
        raise CasekitError(f"The submissions folder {root} does not exist. Give the folder that "
                           "holds the handed-in notebooks (one folder per student, or "
                           "<student>_<exercise>.ipynb files).")
    info = sb.probe() if sandbox else sb.Probe(True, "none")
    if sandbox and not info.ok:
        raise CasekitError(info.reason)
    limits = limits or sb.Limits(wall_seconds=timeout, cpu_seconds=int(max(timeout, 1)))
    sandbox_label = (f"bubblewrap; {limits.describe(info.how)}" if sandbox
                     else "UNSANDBOXED (--no-sandbox): student code ran with the grader's rights")
    dist = dist_folder(dist)
    out = Path(out or dist / "grades").resolve()
    if out == root.resolve() or root.resolve() in out.parents:
        raise CasekitError("Write the grades outside the submissions folder (--out).")
    with OutputLock(out):
        return _grade_locked(root, out, dist, assignment, exercises, progress, stream, jobs, sandbox, limits,
                             roster, merge, unmarked_as_zero, sandbox_label, feedback)


def _grade_locked(root, out, dist, assignment, exercises, progress, stream, jobs, sandbox, limits, roster,
                  merge, unmarked_as_zero, sandbox_label, feedback) -> GradeReport:
    cache = out / ".cache"
    cache.mkdir(parents=True, exist_ok=True)
    key = integrity.key_for(dist)
    masters = {m.stem: m for m in exercise_masters(exercises)}
    if assignment and assignment not in masters:
        hits = [n for n in masters if n.startswith(assignment) or assignment in n]
        if len(hits) != 1:
            raise CasekitError(f"--assignment {assignment!r} matches {len(hits)} masters; use one "
                               f"of: {', '.join(masters)}.")
        assignment = hits[0]
    merged = feedback.read_merge(merge) if merge else None
    roster_map = feedback.read_roster(roster) if roster else None
    roster_index = identity.Roster(roster_map) if roster_map is not None else None
    report = GradeReport(out=out, sandbox=sandbox_label)
    subs = _collect(root, masters, assignment, roster_index)
    known = [s for s in subs if s.assignment is not None]
    chosen, refused = _one_per_student(known, report)

    bar = _Progress(len(subs), enabled=progress, stream=stream)
    bar.show()
    prepared: dict[str, tuple[dict, Path, str]] = {}
    tmp_root = tempfile.TemporaryDirectory(prefix="casekit-grade-")
    os.chmod(tmp_root.name, 0o755)

    def prepare(name: str):
        if name not in prepared:
            master = masters[name]
            try:
                man = load_manifest(dist, name)
            except FileNotFoundError:
                man = None
            if man is None or man.get("master_sha256") != sha256(master.read_bytes()) \
                    or man.get("version") != MANIFEST_VERSION:
                build_student(master, dist, sandbox=sandbox)
                man = load_manifest(dist, name)
            tests_dir = extract_tests(dist / "autograder" / f"{name}.zip", Path(tmp_root.name) / name)
            # the manifest's own keyed hash ties cached results to this exact bundle
            prepared[name] = (man, tests_dir, integrity.mac(key, integrity.canonical(man)))
        return prepared[name]

    results: dict[int, tuple[str, str, str, dict]] = {}
    work = []
    stopping = threading.Event()
    pool = None
    futures = []
    slots: Queue = Queue()
    for s in range(64):
        slots.put(s)

    def one(item):
        k, sub, name, cached = item
        t0 = time.monotonic()
        man, tests_dir, _ = prepared[name]
        slot = slots.get()
        try:
            result = _grade_one(sub, man, tests_dir, limits, sandbox, slot)
        except Exception as exc:   # noqa: BLE001 - a grader bug on one file never stops the batch
            result = _crash_result(sub, man, exc)
        finally:
            slots.put(slot)
        if stopping.is_set():
            return None
        if result["status"] not in ("vanished", "error"):
            entry = {"result": result}
            entry["mac"] = integrity.mac(key, integrity.canonical(entry["result"]))
            tmp = cached.with_suffix(".tmp")
            tmp.write_text(json.dumps(entry, ensure_ascii=False), encoding="utf-8")
            tmp.replace(cached)
        return k, sub.who.key, name, sub.rel, result, time.monotonic() - t0

    try:
        order = {id(s): k for k, s in enumerate(subs)}
        for sub in subs:
            if sub.assignment is None:
                results[order[id(sub)]] = (sub.who.key, "(unknown)", sub.rel, {
                    "questions": {}, "status": "unknown_exercise", "cells": {},
                    "instructor_notes": list(sub.instructor_notes),
                    "notes": ["could not tell which exercise this is; rerun with --assignment · "
                              "无法判断是哪一份练习，请用 --assignment 指定"]})
                bar.update(sub.who.key)
        for group in refused:
            man, _, _ = prepare(group[0].assignment)
            results[min(order[id(s)] for s in group)] = (group[0].who.key, group[0].assignment,
                                                         group[0].rel, _refused_result(group, man))
            bar.update(group[0].who.key)
        counted = {id(s) for s in chosen} | {id(s) for g in refused for s in g}
        for aside in [s for s in known if id(s) not in counted]:
            bar.update(aside.who.key)
        for sub in chosen:
            k, name = order[id(sub)], sub.assignment
            man, _, man_mac = prepare(name)
            if sub.status == "vanished":
                results[k] = (sub.who.key, name, sub.rel,
                              _grade_one(sub, man, Path("/nonexistent"), limits, sandbox, 0))
                bar.update(sub.who.key)
                continue
            ckey = sha256(sub.data + man_mac.encode() + CACHE_VERSION.encode() + sub.rel.encode()
                          + sandbox_label.encode()
                          + "\0".join(sub.instructor_notes).encode())
            cached = cache / f"{ckey}.json"
            if cached.exists():
                try:
                    entry = loads_bounded(cached.read_bytes(), max_bytes=64 << 20)
                    ok = integrity.verify(entry["mac"], integrity.mac(key, integrity.canonical(entry["result"])))
                except (ValueError, KeyError, TypeError, OSError, UnicodeDecodeError):
                    ok = False
                if ok:
                    results[k] = (sub.who.key, name, sub.rel, entry["result"])
                    report.from_cache += 1
                    bar.update(sub.who.key)
                    continue
                report.regraded_cache += 1   # changed or unreadable: grade it again
                cached.unlink(missing_ok=True)
            work.append((k, sub, name, cached))

        jobs = max(1, min(jobs or default_jobs(), len(work) or 1))
        bar.jobs = jobs
        if jobs == 1:
            finished = (one(item) for item in work)
        else:
            pool = ThreadPoolExecutor(max_workers=jobs)
            futures = [pool.submit(one, item) for item in work]
            finished = (fut.result() for fut in as_completed(futures))
        for done in finished:
            if done is None:
                continue
            k, student, name, rel, result, seconds = done
            results[k] = (student, name, rel, result)
            report.graded += 1
            bar.update(student, seconds)
    except KeyboardInterrupt:
        report.interrupted = True
        stopping.set()
        for fut in futures:
            fut.cancel()
        stop_running()
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        bar.close()
        tmp_root.cleanup()
        ordered = [results[k] for k in sorted(results)]
        feedback.flag_duplicates(ordered)
        report.rows = [row for student, name, rel, result in ordered
                       for row in _rows(student, name, rel, result, sandbox_label)]
        if roster_map is not None:
            handed = {s.who.key for s in subs}
            report.unmatched = sorted({s.who.key for s in subs if not s.who.matched})
            report.no_submission = [k for k in roster_map if k not in handed]
    manifests = {name: prepared[name][0] for name in prepared}
    sheets = feedback.read_sheets(out)
    if merged is not None:
        feedback.check_merge(merged, report.rows, manifests)
    feedback.apply_written(report.rows, merged, sheets, manifests)
    report.pending = sorted({r["student"] for r in report.rows if r.get("manual") and r["score"] == ""
                             and r["status"] != "duplicate"})
    if report.rows:
        feedback.write_all(report.rows, out, roster_map, manifests=manifests, report=report,
                           unmarked_as_zero=unmarked_as_zero)
    return report
