"""The live case session's store: one class's decisions, in one SQLite file in the class's folder.

In a case discussion the class first commits, then argues, and only then learns what the firm did
(the B case). On the classroom server every student page is a kernel of its own on the
instructor's machine; they all meet in this store, which sits in a folder the instructor names,
one folder per class::

    from casekit.live import ClassStore
    store = ClassStore("classes/mba-2025a", class_name="MBA 2025 A")   # creates the store at first open
    sid = store.issue_student()                        # one per student, kept by the student's page
    store.open_voting("keda_zhongtu", "keda_2018_path")
    store.vote(sid, "keda_zhongtu", "keda_2018_path", "trim_to_a_few", reason="Resources are thin.")
    store.close_voting("keda_zhongtu", "keda_2018_path")
    store.show_split("keda_zhongtu", "keda_2018_path")  # the class sees its own split
    store.split("keda_zhongtu", "keda_2018_path").counts
    store.release_b("keda_zhongtu")                     # now the B case may be shown

**What is stored.** ``<folder>/casekit-live.sqlite3`` (SQLite in WAL mode, with ``-wal``/``-shm``
files beside it while open, and an empty ``-lock`` file that queues the writers): the class's id
and name, a random per-class secret that signs student ids, whether the class chose to give names, the state of each decision point (voting open or
closed, split shown, how often it was reset, with a log of these steps), and one row per student
and decision point: the option, the reason, a name only if the class chose names, and when. The
student id itself is never stored (it works like a password for that student's vote): a row keeps
only a keyed hash of it, which is also the anonymous ``voter`` code of the CSV export.

**How long it is kept.** Until the instructor deletes it. casekit never deletes, copies, uploads or
expires a class's store; closing the server keeps it (the next class session carries on). Delete
it when the course's record-keeping rules say so, e.g. once marks are final:
:func:`delete_class` (``delete_class(folder, confirm=<class id>)``) removes the store and its
``-wal``/``-shm``/``-lock`` files and leaves the rest of the folder alone.

**Rules the store keeps.** A student is one voter across page reloads and kernels: votes are keyed
by (unit, decision point, round, student) under a UNIQUE constraint, so a changed vote replaces the
earlier one and never adds a row. A vote counts only while its point's voting is open; releasing
the B case closes every point of the unit still open (a vote cast after the reveal is not a
decision) and voting cannot be opened again while the B case is out. A reset clears the votes of
one point, logs that it happened and starts the point's next round (closed, split hidden).
:meth:`ClassStore.state` carries a ``version`` that grows with every change of state and every
vote, so a page can poll it cheaply (:meth:`ClassStore.version`) and redraw only when it moved.

**Reasons are text.** A reason is stored as the student typed it, less control and text-direction
characters, at most :data:`REASON_LIMIT` (300) characters; a longer one is refused, not cut, so
nothing a student wrote is silently lost (the decision widget already stops at the limit).
Markup is never interpreted: every HTML renderer must pass reasons and names through
:func:`escape_reason`; the CSV export defuses cells that a spreadsheet would run as a formula.

**Concurrency.** Every write is one short ``BEGIN IMMEDIATE`` transaction; readers never block
writers (WAL); a writer waits up to :data:`BUSY_SECONDS` for another. Each process (kernel,
server) opens its own :class:`ClassStore`. A store open in a process that forks closes its
connection just before the fork and both sides reconnect on next use: a child that inherits SQLite's
bookkeeping of an open file and then opens that file again can lose committed votes (measured: it
did, in ``tests/test_live_store.py``'s restart test, before this was done).
Writers take turns on the ``-lock`` file (POSIX ``flock``), so under a class pressing at once no
vote waits much longer than the queue ahead of it. A committed vote survives a server restart, a
killed process and a crash of the machine (``synchronous=FULL``). The store needs a local disk:
SQLite's WAL mode does not work on a network share.

Every refusal is a :class:`LiveError` (a :class:`~casekit.errors.CasekitError`) with one short
message in both languages (the current language first) and a machine-readable ``code``.

>>> import os, tempfile
>>> from casekit.decision_cases import DecisionPoint
>>> launch = DecisionPoint(id="launch", kind="decision", question_zh="现在推出吗？",
...     question_en="Launch now?", options=[{"id": "now", "zh": "现在", "en": "now"},
...                                          {"id": "later", "zh": "以后", "en": "later"}])
>>> folder = tempfile.mkdtemp()
>>> store = ClassStore(folder, class_name="demo", cases={"demo_unit": [launch]})
>>> sid = store.issue_student()
>>> store.verify_student(sid), store.verify_student(sid + "x")
(True, False)
>>> store.open_voting("demo_unit", "launch").points[0].status
'open'
>>> store.vote(sid, "demo_unit", "launch", "later", reason="  <b>wait</b>\\x07 ").reason
'<b>wait</b>'
>>> store.vote(sid, "demo_unit", "launch", "now").changes     # a change, not a second vote
1
>>> store.split("demo_unit", "launch").counts
{'now': 1, 'later': 0}
>>> escape_reason("<b>wait</b>")
'&lt;b&gt;wait&lt;/b&gt;'
>>> store.close()
>>> [p.name for p in delete_class(folder, confirm=store.class_id)]
['casekit-live.sqlite3', 'casekit-live.sqlite3-lock']
>>> os.rmdir(folder)     # the folder was the instructor's; delete_class leaves it
"""
from __future__ import annotations

import base64
import csv
import functools
import hashlib
import hmac
import html
import io
import os
import re
import secrets
import sqlite3
import threading
import unicodedata
import weakref
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

from pydantic import ValidationError

from . import decision_cases as dc
from . import i18n, units
from ._guard import protect, protect_methods, short
from .errors import CasekitError

try:   # POSIX: writers queue on a lock file (fair turns); elsewhere SQLite's own busy wait is the only queue
    import fcntl
except ImportError:   # pragma: no cover - Windows
    fcntl = None

__all__ = [
    "ClassStore", "UnitState", "PointState", "Split", "Reason", "Ballot", "LiveError", "STORE_NAME",
    "SCHEMA_VERSION", "REASON_LIMIT", "NAME_LIMIT", "BUSY_SECONDS", "clean_text", "escape_reason", "safe_cell",
    "delete_class",
]

STORE_NAME = "casekit-live.sqlite3"
APP = "casekit-live"
SCHEMA_VERSION = 1
REASON_LIMIT = 300      # characters of a reason after cleaning: one sentence, not an essay
NAME_LIMIT = 40         # characters of a name, when the class chose names
BUSY_SECONDS = 15.0     # how long a write waits for another process's write before giving up
_RAW_LIMIT = 10 * REASON_LIMIT   # longer raw input is refused before any cleaning work
_ID = re.compile(r"[a-z][a-z0-9_]{0,63}")
_SIG_BYTES = 16         # 128-bit signatures
_HEADER = b"SQLite format 3\x00"
_INHERITED: list = []   # connections a forked child found open: kept, never closed in the child
_STORES: "weakref.WeakSet[ClassStore]" = weakref.WeakSet()   # this process's open stores (see _before_fork)
_FORKING: list = []


# ----------------------------------------------------------------------------------------- errors
class LiveError(CasekitError):
    """A refusal of the class store: ``str(err)`` is one short message in both languages (the current
    language first); ``err.code`` says which refusal it is (for the server's answers), ``err.en``
    and ``err.zh`` are the two halves."""

    def __init__(self, code: str, en: str, zh: str):
        self.code, self.en, self.zh = code, en, zh
        super().__init__(f"{zh}\n{en}" if i18n.get_language() == "zh" else f"{en}\n{zh}")

    def __reduce__(self):   # crosses process boundaries (multiprocessing) intact
        return (type(self), (self.code, self.en, self.zh))


def _shown(value: Any, limit: int = 60) -> str:
    return short(value, limit)


# ------------------------------------------------------------------------------------------- text
# Control characters (C0, DEL, C1), text-direction controls, the byte-order mark and lone surrogates
# (which cannot be stored as UTF-8) are removed; line and tab characters become spaces.
_SPACES = re.compile("[\t\n\r\v\f\u0085\u2028\u2029]")
_DROP = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")
# Stripped from both ends: every space character and the zero-width ones (a reason of only these is empty)
_EDGES = "".join(c for c in map(chr, range(0x3001)) if c.isspace()) + "\u180e\u200b\u200c\u200d\u2060"


def clean_text(text: str) -> str:
    """``text`` without control or text-direction characters, line breaks as spaces, NFC-normalised and
    stripped: what the store keeps of a reason or a name. Linear in the length of ``text``.

    >>> clean_text(" Because\\n it\\u202e pays\\x00 ")
    'Because  it pays'
    """
    if not isinstance(text, str):
        raise LiveError("not_text", f"Expected text, not {_shown(text)}.", f"这里需要文字，而不是 {_shown(text)}。")
    return unicodedata.normalize("NFC", _DROP.sub("", _SPACES.sub(" ", text))).strip(_EDGES)


def escape_reason(text: Any) -> str:
    """A reason (or a name) ready to put in HTML: markup shown as text, never run. Every page that
    shows what students wrote passes it through here. ``None`` gives ``""``.

    >>> escape_reason('<script>alert("x")</script>')
    '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;'
    """
    if text is None:
        return ""
    return html.escape(text if isinstance(text, str) else str(text), quote=True)


def safe_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet will show as text: a text starting (after spaces) with ``= + - @``,
    a tab or a carriage return gets a leading apostrophe, so Excel or WPS do not run it as a
    formula (a reason such as "-5% cost" shows as "'-5% cost"). Other values are returned unchanged.

    >>> safe_cell("=HYPERLINK(\\"http://x\\")"), safe_cell("plain"), safe_cell(3)
    ('\\'=HYPERLINK("http://x")', 'plain', 3)
    """
    if isinstance(value, str) and value.lstrip(" ").startswith(_FORMULA):
        return "'" + value
    return value


def _clean_reason(reason: Any) -> str:
    if reason is None:
        return ""
    if not isinstance(reason, str):
        raise LiveError("bad_reason", f"A reason is text: write one sentence, not {_shown(reason)}.",
                        f"理由须为文字：请写一句话，而不是 {_shown(reason)}。")
    n = len(reason) if len(reason) > _RAW_LIMIT else len(clean_text(reason))
    if n > REASON_LIMIT:
        raise LiveError("reason_too_long",
                        f"The reason has {n} characters, more than {REASON_LIMIT}; shorten it and send it again "
                        "(one sentence is enough). The vote was not recorded.",
                        f"理由有 {n} 个字符，超过上限 {REASON_LIMIT}；请删短后再提交（一句话就够了）。这一票没有记下。")
    return clean_text(reason)


def _clean_name(name: Any) -> str | None:
    if name is None:
        return None
    if not isinstance(name, str):
        raise LiveError("bad_name", f"A name is text, not {_shown(name)}.", f"姓名须为文字，而不是 {_shown(name)}。")
    n = len(name) if len(name) > _RAW_LIMIT else len(clean_text(name))
    if n > NAME_LIMIT:
        raise LiveError("name_too_long", f"The name has {n} characters; at most {NAME_LIMIT} are kept. Shorten it.",
                        f"姓名有 {n} 个字符，最多 {NAME_LIMIT} 个；请写短一些。")
    return clean_text(name) or None


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


# ------------------------------------------------------------------------------------- the results
@dataclass(frozen=True)
class PointState:
    """One decision point in a session: ``status`` is ``"open"`` or ``"closed"``; ``shown`` says the
    split is shown to the class; ``round`` starts at 1 and grows with each reset (``resets``)."""

    point: str
    kind: str
    status: str
    shown: bool
    round: int
    resets: int
    votes: int

    @property
    def open(self) -> bool:
        return self.status == "open"


@dataclass(frozen=True)
class UnitState:
    """What a page needs to follow the instructor in one unit. ``version`` grows with every change of
    state and every vote in the unit (0: nothing has happened yet); ``released`` says the B case is out."""

    unit: str
    version: int
    released: bool
    points: tuple[PointState, ...]

    def point(self, point: str) -> PointState:
        for p in self.points:
            if p.point == point:
                return p
        raise LiveError("unknown_point", f"Unit {self.unit} has no decision point {_shown(point, 40)}; it has: "
                        f"{', '.join(p.point for p in self.points) or 'none'}.",
                        f"{self.unit} 单元没有决策点 {_shown(point, 40)}；现有：{'、'.join(p.point for p in self.points) or '无'}。")

    def as_dict(self) -> dict[str, Any]:
        """A plain dict (for JSON)."""
        return asdict(self) | {"points": [asdict(p) for p in self.points]}


@dataclass(frozen=True)
class Split:
    """How the class split on one decision point: ``counts`` has every option in the case's order
    (zeros included; an option no longer in the case, if votes name one, comes last); ``total`` is
    the number of students who voted."""

    unit: str
    point: str
    round: int
    counts: dict[str, int]
    total: int

    def shares(self) -> dict[str, float]:
        """Each option's share of the votes (0.0 for every option when nobody has voted)."""
        return {k: (v / self.total if self.total else 0.0) for k, v in self.counts.items()}

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Reason:
    """One student's reason: the option it backs, the text as written (escape it before showing it
    in HTML: :func:`escape_reason`) and the name, only when the class chose names."""

    option: str
    reason: str
    name: str | None


@dataclass(frozen=True)
class Ballot:
    """A student's vote as the store holds it: ``changes`` counts how often it was changed;
    ``version`` is the unit's version after the vote (from :meth:`ClassStore.vote`)."""

    unit: str
    point: str
    round: int
    option: str
    reason: str
    name: str | None
    changes: int
    at: str
    version: int = field(default=0)


# ------------------------------------------------------------------------------------ write turns
class _WriteTurns:
    """Fair turns for the writers of one store, across processes: an exclusive ``flock`` on the
    lock file beside the store, held from ``BEGIN IMMEDIATE`` to ``COMMIT``.

    SQLite alone makes a writer that finds the store busy sleep and retry with growing pauses, so
    under a class pressing at once a few writers lose again and again (seconds at the tail); a
    blocked ``flock`` wakes as soon as the lock is free. Correctness never depends on it (SQLite's
    own locking stays, with its busy timeout): a wait longer than the timeout goes ahead without a
    turn, and a system without ``fcntl`` (Windows) simply has no turns.
    """

    def __init__(self, path: Path):
        self.path, self.fd, self.pid = path, None, os.getpid()

    def _open(self) -> int | None:
        if self.fd is None or self.pid != os.getpid():   # a forked child gets its own open file
            try:
                self.fd, self.pid = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600), \
                    os.getpid()
            except OSError:
                self.fd = None
        return self.fd

    def acquire(self, timeout: float) -> bool:
        fd = self._open() if fcntl is not None else None
        if fd is None:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except OSError:
            pass
        # Wait for the turn in a helper thread, so that the wait can end after ``timeout``.
        got, guard, cancelled = threading.Event(), threading.Lock(), []

        def wait() -> None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            except OSError:
                return
            with guard:
                if cancelled:
                    fcntl.flock(fd, fcntl.LOCK_UN)
                else:
                    got.set()

        threading.Thread(target=wait, name="casekit-live-turn", daemon=True).start()
        if got.wait(timeout):
            return True
        with guard:
            if got.is_set():
                return True
            cancelled.append(True)
        return False

    def release(self) -> None:
        if self.fd is not None and self.pid == os.getpid():
            try:
                fcntl.flock(self.fd, fcntl.LOCK_UN)
            except OSError:
                pass

    def forget(self) -> None:
        """In a forked child: the inherited lock file is the parent's; open one of our own when needed."""
        self.fd = None

    def close(self) -> None:
        if self.fd is not None and self.pid == os.getpid():
            try:
                os.close(self.fd)
            except OSError:
                pass
        self.fd = None


# ------------------------------------------------------------------------------------- the schema
_SCHEMA = """
CREATE TABLE casekit_schema (app TEXT NOT NULL, version INTEGER NOT NULL);
CREATE TABLE class_info (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    class_id TEXT NOT NULL, class_name TEXT, secret TEXT NOT NULL,
    names INTEGER NOT NULL CHECK (names IN (0, 1)), created_at TEXT NOT NULL,
    clock INTEGER NOT NULL DEFAULT 0);
CREATE TABLE units (
    unit TEXT PRIMARY KEY, released INTEGER NOT NULL DEFAULT 0, version INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE points (
    unit TEXT NOT NULL, point TEXT NOT NULL, round INTEGER NOT NULL DEFAULT 1,
    status TEXT NOT NULL DEFAULT 'closed' CHECK (status IN ('closed', 'open')),
    shown INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (unit, point)) WITHOUT ROWID;
CREATE TABLE votes (
    unit TEXT NOT NULL, point TEXT NOT NULL, round INTEGER NOT NULL, voter TEXT NOT NULL,
    option TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '', name TEXT,
    first_at TEXT NOT NULL, at TEXT NOT NULL, changes INTEGER NOT NULL DEFAULT 0,
    UNIQUE (unit, point, round, voter));
CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, unit TEXT NOT NULL, point TEXT,
    action TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '');
"""


def _connect(path: Path, check: bool = False) -> sqlite3.Connection:
    """A connection in WAL mode; ``check=True`` first refuses a file that is not a casekit store,
    before anything (the switch to WAL included) is written to it."""
    con = sqlite3.connect(str(path), timeout=BUSY_SECONDS, isolation_level=None, check_same_thread=False)
    con.execute(f"PRAGMA busy_timeout = {int(BUSY_SECONDS * 1000)}")
    if check:
        try:
            _check_schema(con, path)
        except BaseException:
            con.close()
            raise
    mode = con.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        con.close()
        raise LiveError("no_wal", f"{path} cannot be used in WAL mode (journal mode {mode}); keep the class folder "
                        "on a local disk, not a network share.",
                        f"{path} 无法使用 WAL 模式（当前为 {mode}）；请把班级文件夹放在本机磁盘上，不要放在网络共享上。")
    con.execute("PRAGMA synchronous = FULL")   # a committed vote survives a crash of the machine too
    return con


def _sqlite_error(exc: sqlite3.Error, path: Path) -> LiveError:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return LiveError("busy", f"The class store is busy (another process held it for more than {BUSY_SECONDS:g} s); "
                         "try again in a moment.",
                         f"课堂数据库正忙（另一进程占用超过 {BUSY_SECONDS:g} 秒）；请稍后再试。")
    if "readonly" in text or "read-only" in text:
        return LiveError("read_only", f"Cannot write the class store {path}: the folder or file is read-only. "
                         "Use a folder you can write to.",
                         f"无法写入课堂数据库 {path}：文件夹或文件是只读的。请换一个可写的文件夹。")
    if "not a database" in text or "malformed" in text or "no such table" in text:
        return LiveError("not_a_store", f"{path} is not a usable casekit class store ({text}); it was left as it is. "
                         "Use another folder.",
                         f"{path} 不是可用的 casekit 课堂数据库（{text}）；文件未作改动。请换一个文件夹。")
    return LiveError("store_error", f"The class store {path} could not be used: {short(text, 120)}. Use a folder on "
                     "this computer's own disk that you can write to.",
                     f"课堂数据库 {path} 无法使用：{short(text, 120)}。请换一个本机磁盘上可写的文件夹。")


def _folder(folder: Any) -> Path:
    if not isinstance(folder, (str, os.PathLike)) or (isinstance(folder, str) and not folder.strip()):
        raise LiveError("bad_folder", f"Name the class by its folder, e.g. 'classes/mba-2025a', not {_shown(folder, 40)}.",
                        f"请用文件夹路径指定班级，例如 'classes/mba-2025a'，而不是 {_shown(folder, 40)}。")
    text = os.fspath(folder)
    if isinstance(text, bytes) or "\x00" in text or len(text) > 1024:
        raise LiveError("bad_folder", f"{_shown(text, 40)} is not a usable folder path; give the class's folder, "
                        "e.g. 'classes/mba-2025a'.",
                        f"{_shown(text, 40)} 不是可用的文件夹路径；请给出班级的文件夹，例如 'classes/mba-2025a'。")
    try:
        path = Path(text).expanduser().absolute()
        exists, is_dir = path.exists(), path.is_dir()
    except (OSError, RuntimeError) as exc:   # a name too long, a loop of links, an unknown ~user
        why = getattr(exc, "strerror", None) or str(exc)
        raise LiveError("bad_folder", f"{_shown(text, 40)} cannot be used as a folder ({why}); use a shorter path to "
                        "an existing folder.",
                        f"{_shown(text, 40)} 不能用作文件夹（{why}）；请换一个较短的、已存在的文件夹路径。") from None
    if not exists:
        raise LiveError("no_folder", f"The folder {path} does not exist; create the class's folder first "
                        "(one folder per class), then open it.",
                        f"文件夹 {path} 不存在；请先建好本班的文件夹（一个班级一个文件夹），再打开。")
    if not is_dir:
        raise LiveError("not_a_folder", f"{path} is a file, not a folder; give the class's folder.",
                        f"{path} 是文件，不是文件夹；请给出班级所在的文件夹。")
    return path


def _check_file(db: Path, create: bool) -> bool:
    """Whether ``db`` must be created; refuses what is not (or cannot become) a casekit store."""
    if not db.exists():
        if db.is_symlink():
            raise LiveError("not_a_store", f"{db} is a link to a file that does not exist; it was left as it is. Remove "
                            "the link or use another folder.",
                            f"{db} 是指向不存在文件的链接，未作改动。请删除该链接，或换一个文件夹。")
        if not create:
            raise LiveError("no_store", f"There is no class store ({STORE_NAME}) in {db.parent}; to start one there, "
                            "open it with create=True.",
                            f"{db.parent} 里没有课堂数据（{STORE_NAME}）；如要新建，请用 create=True 打开。")
        return True
    if not db.is_file():
        raise LiveError("not_a_store", f"{db} is not a file, so not a casekit class store; it was left as it is. "
                        "Use another folder.",
                        f"{db} 不是文件，因而不是 casekit 课堂数据库；未作改动。请换一个文件夹。")
    try:
        with open(db, "rb") as fh:
            head = fh.read(len(_HEADER))
    except OSError as exc:
        raise LiveError("unreadable", f"Cannot read {db}: {exc.strerror or exc}.",
                        f"无法读取 {db}：{exc.strerror or exc}。") from None
    if head and head != _HEADER:
        raise LiveError("not_a_store", f"{db} is not a casekit class store; it was left as it is. Use another folder.",
                        f"{db} 不是 casekit 课堂数据库，未作改动；请换一个文件夹。")
    if not head and not create:
        raise LiveError("no_store", f"{db} is empty: no class has been started in {db.parent}; open it with create=True.",
                        f"{db} 是空文件：{db.parent} 里还没有建立班级；请用 create=True 打开。")
    return not head


def _check_schema(con: sqlite3.Connection, db: Path) -> bool:
    """True when the file holds no tables yet; refuses a foreign database or another schema version."""
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not tables:
        return True
    if "casekit_schema" not in tables:
        raise LiveError("not_a_store", f"{db} is an SQLite file but not a casekit class store; it was left as it is. "
                        "Use another folder.",
                        f"{db} 是 SQLite 文件，但不是 casekit 课堂数据库，未作改动；请换一个文件夹。")
    row = con.execute("SELECT app, version FROM casekit_schema").fetchone()
    if row is None or row[0] != APP:
        raise LiveError("not_a_store", f"{db} is not a casekit class store; it was left as it is.",
                        f"{db} 不是 casekit 课堂数据库，未作改动。")
    if row[1] != SCHEMA_VERSION:
        raise LiveError("schema_version", f"{db} was made by another casekit version (store format {_shown(row[1], 20)}; "
                        f"this casekit reads format {SCHEMA_VERSION}). Open it with that version, or use a new folder.",
                        f"{db} 由另一版本的 casekit 建立（数据格式第 {_shown(row[1], 20)} 版，本版读取第 {SCHEMA_VERSION} 版）。"
                        "请用那个版本打开，或换一个新文件夹。")
    for table, columns in _expected_columns().items():
        have = {r[1] for r in con.execute(f"PRAGMA table_info({table})")}
        if not columns <= have:
            raise LiveError("damaged", f"{db} is a damaged casekit class store (table {table} is missing or incomplete); "
                            "it was left as it is. Use another folder, or restore the file from a backup.",
                            f"{db} 是损坏的 casekit 课堂数据库（{table} 表缺失或不完整），未作改动。"
                            "请换一个文件夹，或从备份恢复该文件。")
    return False


@functools.lru_cache(maxsize=1)
def _expected_columns() -> dict[str, frozenset[str]]:
    """The tables of this schema version and their columns (read from the schema itself)."""
    con = sqlite3.connect(":memory:")
    try:
        con.executescript(_SCHEMA)
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                             "AND name NOT LIKE 'sqlite_%'")]
        return {t: frozenset(r[1] for r in con.execute(f"PRAGMA table_info({t})")) for t in tables}
    finally:
        con.close()


# ------------------------------------------------------------------------------------- the catalog
def _points_of(case_points: Sequence[Any], unit: str) -> dict[str, dc.DecisionPoint]:
    out: dict[str, dc.DecisionPoint] = {}
    for p in case_points:
        if isinstance(p, Mapping):
            try:
                p = dc.DecisionPoint.model_validate(dict(p))
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(x) for x in first["loc"]) or "(top)"
                raise LiveError("bad_cases", f"A decision point of {unit} is malformed at {where}: {short(first['msg'], 120)}.",
                                f"{unit} 的一个决策点在 {where} 处格式有误：{short(first['msg'], 120)}。") from None
        if not isinstance(p, dc.DecisionPoint):
            raise LiveError("bad_cases", f"The decision points of {unit} must be DecisionPoint objects or dicts, "
                            f"not {_shown(p, 40)}.",
                            f"{unit} 的决策点须为 DecisionPoint 对象或字典，而不是 {_shown(p, 40)}。")
        out[p.id] = p
    return out


def _custom_cases(cases: Any) -> dict[str, dict[str, dc.DecisionPoint]] | None:
    if cases is None:
        return None
    if not isinstance(cases, Mapping):
        raise LiveError("bad_cases", f"cases maps a unit name to its decision points, not {_shown(cases, 40)}.",
                        f"cases 应把单元名映射到其决策点，而不是 {_shown(cases, 40)}。")
    out = {}
    for unit, pts in cases.items():
        if not isinstance(unit, str) or not _ID.fullmatch(unit) or isinstance(pts, (str, bytes)) \
                or not isinstance(pts, Sequence):
            raise LiveError("bad_cases", f"cases: {_shown(unit, 30)} → {_shown(pts, 30)} is not a unit name "
                            "(lowercase ascii) with a list of decision points.",
                            f"cases：{_shown(unit, 30)} → {_shown(pts, 30)} 不是“单元名（小写 ascii）→ 决策点列表”。")
        out[unit] = _points_of(pts, unit)
    return out


# --------------------------------------------------------------------------------------- the store
class ClassStore:
    """One class's live session store: ``<folder>/casekit-live.sqlite3``.

    Parameters
    ----------
    folder : str or path
        The class's folder (it must exist; one folder per class, never shared by two classes).
    class_name : str, optional
        A label for the class, kept at creation. Given again when reopening, it must match: a
        server started for class A on class B's folder is refused.
    create : bool
        Create the store if the folder has none (default). ``False`` only opens an existing one.
    names : bool, optional
        Whether the class gives names with its votes (default at creation: ``False``, anonymous).
        Kept in the store; to change it later use :meth:`set_names`.
    cases : mapping, optional
        ``{unit: [DecisionPoint or dict, ...]}`` to vote on instead of the kit's bundled cases
        (an instructor's own case); by default a unit is a kit unit (name or number 1–4) and its
        points are ``casekit.decision_cases.load_case(unit).decision_points``.
    """

    def __init__(self, folder: Any, *, class_name: str | None = None, create: bool = True,
                 names: bool | None = None, cases: Mapping[str, Sequence[Any]] | None = None):
        if class_name is not None and (not isinstance(class_name, str) or not clean_text(class_name)
                                       or len(class_name) > 120):
            raise LiveError("bad_class_name", f"class_name is a short text such as 'MBA 2025 A', not {_shown(class_name, 40)}.",
                            f"class_name 应为简短文字，例如 'MBA 2025 A'，而不是 {_shown(class_name, 40)}。")
        if names is not None and not isinstance(names, bool):
            raise LiveError("bad_names", f"names is True (the class gives names) or False (anonymous), not {_shown(names, 30)}.",
                            f"names 取 True（实名）或 False（匿名），而不是 {_shown(names, 30)}。")
        if not isinstance(create, bool):
            raise LiveError("bad_create", f"create is True or False, not {_shown(create, 30)}.",
                            f"create 取 True 或 False，而不是 {_shown(create, 30)}。")
        self._cases = _custom_cases(cases)
        self._catalog: dict[str, dict[str, dc.DecisionPoint]] = dict(self._cases or {})
        self.folder = _folder(folder)
        self.path = self.folder / STORE_NAME
        self._lock = threading.RLock()
        self._con: sqlite3.Connection | None = None
        self._turns = _WriteTurns(self.folder / (STORE_NAME + "-lock"))
        _STORES.add(self)
        self._pid = os.getpid()
        fresh = _check_file(self.path, create)
        try:
            self._open(class_name and clean_text(class_name), names, create)
        except sqlite3.Error as exc:
            self._drop()
            raise _sqlite_error(exc, self.path) from None
        except BaseException:
            self._drop()
            raise
        if fresh:
            try:
                os.chmod(self.path, 0o600)   # the store holds the class's secret and, maybe, names
            except OSError:
                pass

    # ---------------------------------------------------------------------------- connection
    def _open(self, class_name: str | None, names: bool | None, create: bool) -> None:
        con = self._con = _connect(self.path, check=True)
        con.execute("BEGIN IMMEDIATE")   # two processes opening a new folder at once: one creates, both see it
        try:
            if _check_schema(con, self.path):
                if not create:
                    raise LiveError("no_store", f"There is no class store in {self.folder}; open it with create=True.",
                                    f"{self.folder} 里没有课堂数据；如要新建，请用 create=True 打开。")
                for stmt in filter(str.strip, _SCHEMA.split(";")):
                    con.execute(stmt)
                con.execute("INSERT INTO casekit_schema VALUES (?, ?)", (APP, SCHEMA_VERSION))
                con.execute("INSERT INTO class_info (one, class_id, class_name, secret, names, created_at) "
                            "VALUES (1, ?, ?, ?, ?, ?)",
                            (secrets.token_hex(6), class_name, secrets.token_hex(32), int(bool(names)), _now()))
            row = con.execute("SELECT class_id, class_name, secret, names, created_at FROM class_info").fetchone()
            if row is None:
                raise LiveError("not_a_store", f"{self.path} has no class record; it is not a usable class store. "
                                "Use another folder.",
                                f"{self.path} 没有班级记录，不是可用的课堂数据库。请换一个文件夹。")
            if not (isinstance(row[0], str) and re.fullmatch(r"[0-9a-f]{12}", row[0]) and isinstance(row[2], str)
                    and re.fullmatch(r"[0-9a-f]{64}", row[2]) and row[3] in (0, 1)
                    and (row[1] is None or isinstance(row[1], str))):
                raise LiveError("damaged", f"{self.path} holds a damaged class record; it was left as it is. Use another "
                                "folder, or restore the file from a backup.",
                                f"{self.path} 中的班级记录已损坏，未作改动。请换一个文件夹，或从备份恢复该文件。")
            self.class_id, stored_name, secret, stored_names, self.created_at = row
            if class_name is not None and stored_name != class_name:
                raise LiveError("other_class", f"The folder {self.folder} holds the class {stored_name or self.class_id!r}, "
                                f"not {class_name!r}; each class needs its own folder.",
                                f"文件夹 {self.folder} 属于班级“{stored_name or self.class_id}”，不是“{class_name}”；"
                                "每个班级要用自己的文件夹。")
            if names is not None and bool(stored_names) != names:
                chosen = ("names", "实名") if stored_names else ("anonymous votes", "匿名")
                raise LiveError("names_differ", f"This class chose {chosen[0]} when it was created; to change that, "
                                "use store.set_names(...).",
                                f"本班建立时选择了{chosen[1]}；如要更改，请用 store.set_names(...)。")
            con.execute("COMMIT")
        except BaseException:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise
        self.class_name: str | None = stored_name
        self._secret = bytes.fromhex(secret)

    def _drop(self) -> None:
        if self._con is not None:
            try:
                self._con.close()
            except sqlite3.Error:
                pass
        self._con = None

    def _connection(self) -> sqlite3.Connection:
        if self._pid != os.getpid():
            # Opened before a fork: the child never uses (nor closes) the parent's connection.
            _INHERITED.append(self._con)
            self._con, self._pid = None, os.getpid()
            self._lock = threading.RLock()
        if self._con is None:
            if not self.path.is_file():
                raise LiveError("closed", f"The class store {self.path} is closed or was deleted.",
                                f"课堂数据库 {self.path} 已关闭或已被删除。")
            self._con = _connect(self.path)
        return self._con

    @contextmanager
    def _tx(self, write: bool) -> Iterator[sqlite3.Connection]:
        with self._lock:
            turn = write and self._turns.acquire(BUSY_SECONDS)
            try:
                con = self._connection()
                con.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                try:
                    yield con
                    con.execute("COMMIT")
                except BaseException:
                    if con.in_transaction:
                        con.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                raise _sqlite_error(exc, self.path) from None
            finally:
                if turn:
                    self._turns.release()

    def close(self) -> None:
        """Close this process's connection and lock file. The data stays; a later call on this store
        reconnects (as a new ``ClassStore(folder)`` would)."""
        with self._lock:
            self._drop()
            self._turns.close()

    def __enter__(self) -> "ClassStore":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        try:
            mode = "names" if self.names else "anonymous"
        except CasekitError:   # deleted or unreadable: a repr still answers
            mode = "unreadable"
        return (f"ClassStore({str(self.folder)!r})\n  class   {self.class_name or '(no name)'} · id {self.class_id}\n"
                f"  votes   {mode}\n  file    {self.path}")

    # ---------------------------------------------------------------------------- students
    def sign(self, value: str, purpose: str = "value") -> str:
        """``value`` with this class's signature appended (``value.signature``): :meth:`verify` checks it.
        ``purpose`` keeps signatures for one use from passing for another."""
        if not isinstance(value, str) or not isinstance(purpose, str) or len(value) > 200 or len(purpose) > 40:
            raise LiveError("bad_value", f"sign() takes a short text and a purpose, not {_shown(value, 30)}.",
                            f"sign() 需要一段简短文字和用途，而不是 {_shown(value, 30)}。")
        mac = hmac.new(self._secret, f"{purpose}\x00{value}".encode("utf-8", "surrogatepass"), hashlib.sha256)
        return f"{value}.{_b64(mac.digest()[:_SIG_BYTES])}"

    def verify(self, signed: Any, purpose: str = "value") -> bool:
        """Whether ``signed`` came from :meth:`sign` of this class with this ``purpose`` (never raises)."""
        if not isinstance(signed, str) or not isinstance(purpose, str) or len(signed) > 260 or "." not in signed:
            return False
        value = signed.rsplit(".", 1)[0]
        try:
            expected = self.sign(value, purpose)
        except CasekitError:
            return False
        return hmac.compare_digest(expected.encode("utf-8", "surrogatepass"), signed.encode("utf-8", "surrogatepass"))

    def issue_student(self) -> str:
        """A new student id: random, opaque and signed by this class (nothing is written). The student's
        page keeps it (a cookie or the kernel) so that a reload is the same voter."""
        return self.sign(secrets.token_urlsafe(12), "student")

    def verify_student(self, sid: Any) -> bool:
        """Whether ``sid`` is a student id this class issued (an id of another class is not)."""
        return self.verify(sid, "student")

    def _voter(self, sid: Any) -> str:
        if not self.verify_student(sid):
            raise LiveError("bad_student", "This student id was not issued by this class (it may belong to another class "
                            "or be damaged); reload the page to get a new one. The vote was not recorded.",
                            "这个学生编号不是本班发放的（可能属于另一个班级，或已损坏）；请刷新页面领取新编号。这一票没有记下。")
        # The stored key: a keyed hash, so the store never holds the id that lets someone vote as the student.
        return _b64(hmac.new(self._secret, b"voter\x00" + sid.encode("utf-8"), hashlib.sha256).digest()[:9])

    # ---------------------------------------------------------------------------- settings
    @property
    def names(self) -> bool:
        """Whether the class gives names with its votes (read from the store: another process may change it)."""
        with self._tx(write=False) as con:
            return bool(con.execute("SELECT names FROM class_info").fetchone()[0])

    def set_names(self, enabled: bool) -> bool:
        """Switch names on or off for the class. Switching them off also erases every name stored so
        far (the class chose anonymity); returns the new setting."""
        if not isinstance(enabled, bool):
            raise LiveError("bad_names", f"set_names takes True or False, not {_shown(enabled, 30)}.",
                            f"set_names 取 True 或 False，而不是 {_shown(enabled, 30)}。")
        with self._tx(write=True) as con:
            if bool(con.execute("SELECT names FROM class_info").fetchone()[0]) == enabled:
                return enabled
            con.execute("UPDATE class_info SET names = ?", (int(enabled),))
            touched = [r[0] for r in con.execute("SELECT DISTINCT unit FROM votes WHERE name IS NOT NULL")]
            if not enabled:
                con.execute("UPDATE votes SET name = NULL")
            for unit in touched:
                self._bump(con, unit)
            self._event(con, "*", None, "names", "on" if enabled else "off")
        return enabled

    # ---------------------------------------------------------------------------- the catalog
    def _unit(self, unit: Any) -> str:
        if self._cases is not None:
            if isinstance(unit, str) and unit.strip().lower() in self._cases:
                return unit.strip().lower()
            names = ", ".join(self._cases) or "none"
            raise LiveError("unknown_unit", f"This class has no unit {_shown(unit, 40)}; it has: {names}.",
                            f"本班没有单元 {_shown(unit, 40)}；现有：{names}。")
        try:
            return units.find_unit(unit)
        except CasekitError:
            listing = ", ".join(f"{units.unit_number(u)} {u}" for u in units.unit_names())
            raise LiveError("unknown_unit", f"There is no unit {_shown(unit, 40)}; give a unit's name or number: {listing}.",
                            f"没有单元 {_shown(unit, 40)}；请给出单元名称或编号：{listing}。") from None

    def points(self, unit: Any) -> list[dc.DecisionPoint]:
        """The decision points of ``unit`` that the class votes on, in the case's order."""
        name = self._unit(unit)
        return list(self._point_map(name).values())

    def _point_map(self, name: str) -> dict[str, dc.DecisionPoint]:
        if name not in self._catalog:
            self._catalog[name] = _points_of(dc.load_case(name).decision_points, name)
        return self._catalog[name]

    def _point(self, unit: Any, point: Any) -> tuple[str, dc.DecisionPoint]:
        name = self._unit(unit)
        pts = self._point_map(name)
        if not pts:
            raise LiveError("no_points", f"Unit {name} has no decision points to vote on.",
                            f"{name} 单元没有可投票的决策点。")
        key = point.strip().lower() if isinstance(point, str) else None
        if key not in pts:
            raise LiveError("unknown_point", f"Unit {name} has no decision point {_shown(point, 40)}; it has: "
                            f"{', '.join(pts)}.", f"{name} 单元没有决策点 {_shown(point, 40)}；现有：{'、'.join(pts)}。")
        return name, pts[key]

    @staticmethod
    def _option(p: dc.DecisionPoint, option: Any) -> str:
        key = option.strip().lower() if isinstance(option, str) else option
        ids = [o.id for o in p.options]
        if key in ids:
            return key
        en = "; ".join(f"{o.id} ({short(o.en, 24)})" for o in p.options)
        zh = "；".join(f"{o.id}（{short(o.zh, 12)}）" for o in p.options)
        if len(en) + len(zh) > 240:   # many options: their ids alone keep the message short
            en, zh = ", ".join(o.id for o in p.options), "、".join(o.id for o in p.options)
        raise LiveError("unknown_option", f"Decision point {p.id} has no option {_shown(option, 40)}; choose one of: {en}. "
                        "The vote was not recorded.",
                        f"决策点 {p.id} 没有选项 {_shown(option, 40)}；请从以下选项中选择：{zh}。这一票没有记下。")

    # ---------------------------------------------------------------------------- writing helpers
    @staticmethod
    def _bump(con: sqlite3.Connection, unit: str) -> int:
        version = con.execute("UPDATE class_info SET clock = clock + 1 RETURNING clock").fetchall()[0][0]
        con.execute("INSERT INTO units (unit, version) VALUES (?, ?) "
                    "ON CONFLICT (unit) DO UPDATE SET version = excluded.version", (unit, version))
        return version

    @staticmethod
    def _event(con: sqlite3.Connection, unit: str, point: str | None, action: str, detail: str = "") -> None:
        con.execute("INSERT INTO events (at, unit, point, action, detail) VALUES (?, ?, ?, ?, ?)",
                    (_now(), unit, point, action, detail))

    @staticmethod
    def _row(con: sqlite3.Connection, unit: str, point: str) -> tuple[int, str, int]:
        row = con.execute("SELECT round, status, shown FROM points WHERE unit = ? AND point = ?", (unit, point)).fetchone()
        return row if row is not None else (1, "closed", 0)

    @staticmethod
    def _released(con: sqlite3.Connection, unit: str) -> bool:
        row = con.execute("SELECT released FROM units WHERE unit = ?", (unit,)).fetchone()
        return bool(row and row[0])

    def _set_point(self, con: sqlite3.Connection, unit: str, point: str, *, status: str | None = None,
                   shown: bool | None = None, round_: int | None = None) -> bool:
        """Change a point's row; True when something changed (then the unit's version moves on)."""
        old = self._row(con, unit, point)
        new = (old[0] if round_ is None else round_, old[1] if status is None else status,
               old[2] if shown is None else int(shown))
        if new == tuple(old):
            return False
        con.execute("INSERT INTO points (unit, point, round, status, shown) VALUES (?, ?, ?, ?, ?) "
                    "ON CONFLICT (unit, point) DO UPDATE SET round = excluded.round, status = excluded.status, "
                    "shown = excluded.shown", (unit, point, *new))
        self._bump(con, unit)
        return True

    # ---------------------------------------------------------------------------- the instructor's steps
    def open_voting(self, unit: Any, point: Any) -> UnitState:
        """Open voting on one decision point (again, after a close: votes already cast are kept).
        Refused once the unit's B case is released: a vote after the reveal is not a decision."""
        name, p = self._point(unit, point)
        with self._tx(write=True) as con:
            if self._released(con, name):
                raise LiveError("released", f"Case B of unit {name} is already released, so a vote now would not be a "
                                f"decision made beforehand. To reopen anyway, first call release_b({name!r}, released=False).",
                                f"{name} 单元的 B 案例已经公布，此时再投票就不是事先的决策了。如确需重开，"
                                f"请先调用 release_b({name!r}, released=False)。")
            if self._set_point(con, name, p.id, status="open"):
                self._event(con, name, p.id, "open")
            return self._state(con, name)

    def close_voting(self, unit: Any, point: Any) -> UnitState:
        """Close voting on one decision point: the votes stand, and no vote is taken until it opens again."""
        name, p = self._point(unit, point)
        with self._tx(write=True) as con:
            if self._set_point(con, name, p.id, status="closed"):
                self._event(con, name, p.id, "close")
            return self._state(con, name)

    def show_split(self, unit: Any, point: Any, shown: bool = True) -> UnitState:
        """Show the class its own split on one point (``shown=False`` hides it again). Showing it while
        voting is open lets late voters follow the crowd; close voting first unless that is the lesson."""
        if not isinstance(shown, bool):
            raise LiveError("bad_flag", f"shown is True or False, not {_shown(shown, 30)}.",
                            f"shown 取 True 或 False，而不是 {_shown(shown, 30)}。")
        name, p = self._point(unit, point)
        with self._tx(write=True) as con:
            if self._set_point(con, name, p.id, shown=shown):
                self._event(con, name, p.id, "show" if shown else "hide")
            return self._state(con, name)

    def release_b(self, unit: Any, released: bool = True) -> UnitState:
        """Release the unit's B case to the class (``released=False`` withdraws it). Releasing closes
        every point of the unit whose voting is still open."""
        if not isinstance(released, bool):
            raise LiveError("bad_flag", f"released is True or False, not {_shown(released, 30)}.",
                            f"released 取 True 或 False，而不是 {_shown(released, 30)}。")
        name = self._unit(unit)
        pts = self._point_map(name)
        with self._tx(write=True) as con:
            if self._released(con, name) == released:
                return self._state(con, name)
            if released:
                for pid in pts:
                    if self._set_point(con, name, pid, status="closed"):
                        self._event(con, name, pid, "close", "released")
            self._bump(con, name)
            con.execute("UPDATE units SET released = ? WHERE unit = ?", (int(released), name))
            self._event(con, name, None, "release" if released else "withdraw")
            return self._state(con, name)

    def reset(self, unit: Any, point: Any) -> UnitState:
        """Clear the votes of one point and start its next round (voting closed, split hidden); the
        log keeps that the reset happened and how many votes it cleared."""
        name, p = self._point(unit, point)
        with self._tx(write=True) as con:
            round_ = self._row(con, name, p.id)[0]
            cleared = con.execute("DELETE FROM votes WHERE unit = ? AND point = ?", (name, p.id)).rowcount
            self._set_point(con, name, p.id, status="closed", shown=False, round_=round_ + 1)
            self._event(con, name, p.id, "reset", f"round={round_} cleared={cleared}")
            return self._state(con, name)

    # ---------------------------------------------------------------------------- the students' step
    def vote(self, sid: Any, unit: Any, point: Any, option: Any, reason: Any = "", name: Any = None) -> Ballot:
        """Record (or change) a student's vote on one decision point while its voting is open.

        Refused, with the reason said, when the student id is not this class's, the point or option
        does not exist (the options are listed), voting is closed, or the reason is longer than
        :data:`REASON_LIMIT` characters. A name is kept only when the class chose names.
        """
        voter = self._voter(sid)
        unit_name, p = self._point(unit, point)
        option = self._option(p, option)
        reason = _clean_reason(reason)
        at = _now()
        with self._tx(write=True) as con:
            round_, status, _ = self._row(con, unit_name, p.id)
            if status != "open":
                raise LiveError("closed", f"Voting is closed for {p.id}; this vote was not recorded. Wait until the "
                                "instructor opens it.",
                                f"{p.id} 的投票已关闭，这一票没有记下；请等老师开放投票。")
            # A name is looked at only when the class chose names; otherwise it is dropped unread.
            keep = _clean_name(name) if con.execute("SELECT names FROM class_info").fetchone()[0] else None
            row = con.execute(
                "INSERT INTO votes (unit, point, round, voter, option, reason, name, first_at, at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (unit, point, round, voter) DO UPDATE SET option = excluded.option, "
                "reason = excluded.reason, name = COALESCE(excluded.name, votes.name), at = excluded.at, "
                "changes = votes.changes + 1 RETURNING option, reason, name, changes, at",
                (unit_name, p.id, round_, voter, option, reason, keep, at, at)).fetchall()[0]
            version = self._bump(con, unit_name)
        return Ballot(unit_name, p.id, round_, row[0], row[1], row[2], row[3], row[4], version)

    def my_vote(self, sid: Any, unit: Any, point: Any) -> Ballot | None:
        """The student's current vote on a point (this round), or None: a reloaded page shows it again."""
        voter = self._voter(sid)
        name, p = self._point(unit, point)
        with self._tx(write=False) as con:
            round_ = self._row(con, name, p.id)[0]
            row = con.execute("SELECT option, reason, name, changes, at FROM votes WHERE unit = ? AND point = ? "
                              "AND round = ? AND voter = ?", (name, p.id, round_, voter)).fetchone()
            version = self._version(con, name)
        return None if row is None else Ballot(name, p.id, round_, *row, version=version)

    # ---------------------------------------------------------------------------- reading
    @staticmethod
    def _version(con: sqlite3.Connection, unit: str) -> int:
        row = con.execute("SELECT version FROM units WHERE unit = ?", (unit,)).fetchone()
        return int(row[0]) if row else 0

    def version(self, unit: Any) -> int:
        """The unit's version number alone: one lookup, for a page that polls (0 before anything happened)."""
        name = self._unit(unit)
        with self._tx(write=False) as con:
            return self._version(con, name)

    def _state(self, con: sqlite3.Connection, name: str) -> UnitState:
        rows = {r[0]: r[1:] for r in con.execute("SELECT point, round, status, shown FROM points WHERE unit = ?", (name,))}
        counts = {r[0]: r[1] for r in con.execute(
            "SELECT v.point, COUNT(*) FROM votes v JOIN points p ON p.unit = v.unit AND p.point = v.point "
            "AND p.round = v.round WHERE v.unit = ? GROUP BY v.point", (name,))}
        pts = []
        for pid, p in self._point_map(name).items():
            round_, status, shown = rows.get(pid, (1, "closed", 0))
            pts.append(PointState(pid, p.kind, status, bool(shown), round_, round_ - 1, counts.get(pid, 0)))
        return UnitState(name, self._version(con, name), self._released(con, name), tuple(pts))

    def state(self, unit: Any) -> UnitState:
        """Where the unit's session stands: each point's status, split shown or not, round and number of
        votes; whether the B case is released; and the ``version`` that moves on with every change."""
        name = self._unit(unit)
        self._point_map(name)
        with self._tx(write=False) as con:
            return self._state(con, name)

    def split(self, unit: Any, point: Any) -> Split:
        """How many students chose each option of a point this round (every option, zeros included)."""
        name, p = self._point(unit, point)
        with self._tx(write=False) as con:
            round_ = self._row(con, name, p.id)[0]
            got = dict(con.execute("SELECT option, COUNT(*) FROM votes WHERE unit = ? AND point = ? AND round = ? "
                                   "GROUP BY option", (name, p.id, round_)).fetchall())
        counts = {o.id: got.pop(o.id, 0) for o in p.options}
        counts.update(sorted(got.items()))    # an option the case no longer has: kept, never dropped
        return Split(name, p.id, round_, counts, sum(counts.values()))

    def reasons(self, unit: Any, point: Any) -> list[Reason]:
        """Every non-empty reason given on a point this round, as (option, reason, name). Anonymous
        (name None) unless the class chose names; ordered by option, then by text, never by who or when."""
        name, p = self._point(unit, point)
        order = {o.id: i for i, o in enumerate(p.options)}
        with self._tx(write=False) as con:
            names = bool(con.execute("SELECT names FROM class_info").fetchone()[0])
            round_ = self._row(con, name, p.id)[0]
            rows = con.execute("SELECT option, reason, name FROM votes WHERE unit = ? AND point = ? AND round = ? "
                               "AND reason != ''", (name, p.id, round_)).fetchall()
        out = [Reason(o, r, n if names else None) for o, r, n in rows]
        return sorted(out, key=lambda x: (order.get(x.option, len(order)), x.option, x.reason, x.name or ""))

    def history(self, unit: Any = None) -> list[dict[str, Any]]:
        """The log of the instructor's steps (open, close, show, hide, release, withdraw, reset), oldest first."""
        name = None if unit is None else self._unit(unit)
        with self._tx(write=False) as con:
            rows = con.execute("SELECT seq, at, unit, point, action, detail FROM events "
                               + ("" if name is None else "WHERE unit = ? ") + "ORDER BY seq",
                               () if name is None else (name,)).fetchall()
        return [dict(zip(("seq", "at", "unit", "point", "action", "detail"), r)) for r in rows]

    # ---------------------------------------------------------------------------- export
    _COLUMNS = ("class_id", "class_name", "unit", "point", "kind", "round", "voter", "option", "option_zh",
                "option_en", "reason", "first_at", "at", "changes")

    def export_csv(self, path_or_file: Any, unit: Any = None) -> int:
        """Write the votes (this round of every point; one unit, or all) as CSV; returns the rows written.

        UTF-8 with a byte-order mark, so Excel and WPS open the Chinese correctly. One row per student
        and decision point: ``class_id``, ``class_name``; ``unit``, ``point``, ``kind`` (decision or
        prediction), ``round`` (1, then +1 per reset); ``voter``, an anonymous code, the same for one
        student across points and exports (never the student id); ``option`` with its labels
        ``option_zh``/``option_en``; ``reason`` as written; ``first_at`` and ``at`` (first vote and
        last change, local time with offset); ``changes``; and ``name``, a column that exists only
        when the class chose names. Cells a spreadsheet would run as a formula are defused
        (:func:`safe_cell`). ``path_or_file`` is a path ending in ``.csv`` or an open file (text or binary).
        """
        name = None if unit is None else self._unit(unit)
        with self._tx(write=False) as con:
            names = bool(con.execute("SELECT names FROM class_info").fetchone()[0])
            rows = con.execute(
                "SELECT v.unit, v.point, v.round, v.voter, v.option, v.reason, v.name, v.first_at, v.at, v.changes "
                "FROM votes v JOIN points p ON p.unit = v.unit AND p.point = v.point AND p.round = v.round "
                + ("" if name is None else "WHERE v.unit = ? ") + "ORDER BY v.unit, v.point, v.voter",
                () if name is None else (name,)).fetchall()
        header = list(self._COLUMNS) + (["name"] if names else [])
        table = [header]
        for u, pid, round_, voter, option, reason, who, first_at, at, changes in rows:
            p = self._lookup(u, pid)
            opt = next((o for o in p.options if o.id == option), None) if p else None
            line = [self.class_id, self.class_name or "", u, pid, p.kind if p else "", round_, voter, option,
                    opt.zh if opt else "", opt.en if opt else "", reason, first_at, at, changes]
            table.append(line + ([who or ""] if names else []))
        self._write_csv(path_or_file, table)
        return len(rows)

    def _lookup(self, unit: str, point: str) -> dc.DecisionPoint | None:
        try:
            return self._point_map(unit).get(point)
        except CasekitError:   # a unit the catalog no longer knows: its rows are exported without labels
            return None

    @staticmethod
    def _write_csv(target: Any, table: list[list[Any]]) -> None:
        buf = io.StringIO(newline="")
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerows([[safe_cell(c) for c in row] for row in table])
        text = "\ufeff" + buf.getvalue()
        if isinstance(target, (str, os.PathLike)):
            name = os.fspath(target)
            if not isinstance(name, str) or "\x00" in name or len(name) > 1024 or not name.lower().endswith(".csv"):
                raise LiveError("bad_target", f"export_csv writes to a path ending in .csv, e.g. 'votes.csv', not "
                                f"{_shown(target, 40)}.",
                                f"export_csv 写入以 .csv 结尾的路径，例如 'votes.csv'，而不是 {_shown(target, 40)}。")
            path = Path(name).expanduser()
            try:
                if path.exists() and not path.is_file():   # a folder, a pipe (a write would wait for good), a device
                    raise IsADirectoryError(0, "not a regular file")
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(text.encode("utf-8"))
            except OSError as exc:
                why = exc.strerror or str(exc)
                raise LiveError("cannot_write", f"Cannot write {_shown(str(path), 80)}: {why}. Save into a new .csv file "
                                "in a folder you can write to.",
                                f"无法写入 {_shown(str(path), 80)}：{why}。请保存为可写文件夹中的一个新 .csv 文件。") from None
            return
        write = getattr(target, "write", None)
        if not callable(write):
            raise LiveError("bad_target", f"export_csv writes to a path ending in .csv or an open file, not {_shown(target, 40)}.",
                            f"export_csv 写入以 .csv 结尾的路径或已打开的文件，而不是 {_shown(target, 40)}。")
        binary = isinstance(target, (io.RawIOBase, io.BufferedIOBase)) or "b" in str(getattr(target, "mode", ""))
        write(text.encode("utf-8") if binary else text)


# SQLite keeps per-process bookkeeping of the files it has open (locks, the WAL index). A child forked
# while a connection is open inherits that bookkeeping, and a connection the child then opens to the
# same file trusts it, which can lose committed votes. So every store closes its connection just
# before os.fork() (waiting for a transaction under way to finish) and reconnects on next use, and a
# child starts from a clean slate. A server starts its kernels with fork+exec (no inherited state);
# this covers multiprocessing's fork and os.fork.
def _before_fork() -> None:
    _FORKING[:] = list(_STORES)
    for store in _FORKING:
        store._lock.acquire()
        con = store._con
        if con is not None and not con.in_transaction:
            store._drop()


def _after_fork_in_parent() -> None:
    for store in _FORKING:
        store._lock.release()
    _FORKING.clear()


def _after_fork_in_child() -> None:
    for store in _FORKING:
        if store._con is not None:     # forked inside a transaction: the parent's, never touched here
            _INHERITED.append(store._con)
            store._con = None
        store._lock = threading.RLock()
        store._pid = os.getpid()
        store._turns.forget()
    _FORKING.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_before_fork, after_in_parent=_after_fork_in_parent,
                        after_in_child=_after_fork_in_child)


protect_methods(ClassStore, ["__init__", "sign", "issue_student", "set_names", "points", "open_voting", "close_voting",
                             "show_split", "release_b", "reset", "vote", "my_vote", "version", "state", "split",
                             "reasons", "history", "export_csv", "close"])


# --------------------------------------------------------------------------------------- deletion
def _identify(path: Path) -> tuple[str, str | None]:
    """(class id, class name) of the store at ``path``, of any schema version; refuses anything else."""
    con = None
    try:
        con = sqlite3.connect(str(path), timeout=BUSY_SECONDS, isolation_level=None)
        try:
            _check_schema(con, path)
        except LiveError as exc:
            if exc.code not in ("schema_version", "damaged"):   # another version's or a damaged store may go too
                raise
        row = con.execute("SELECT class_id, class_name FROM class_info").fetchone()
    except sqlite3.Error as exc:
        raise _sqlite_error(exc, path) from None
    finally:
        if con is not None:
            con.close()
    if row is None:
        raise LiveError("not_a_store", f"{path} has no class record; delete it by hand if you are sure.",
                        f"{path} 没有班级记录；如确定要删除，请手动删除。")
    return row[0], row[1]


def delete_class(folder: Any, *, confirm: Any = None) -> list[Path]:
    """Delete a class's store (and its ``-wal``/``-shm``/``-lock`` files) for good; returns the files removed.

    ``confirm`` must be the class's id (``ClassStore(folder).class_id``; the refusal message names it),
    so that a class is never deleted by a slip of the folder name. Stop the classroom server first:
    a process that still has the store open keeps writing to the deleted file. The folder and
    anything else in it stay.
    """
    path = _folder(folder) / STORE_NAME
    _check_file(path, create=False)
    class_id, class_name = _identify(path)
    if confirm != class_id:
        label = f"{class_name} ({class_id})" if class_name else class_id
        raise LiveError("confirm", f"This deletes every vote and reason of class {label} for good. To confirm, call "
                        f"delete_class({str(path.parent)!r}, confirm={class_id!r}).",
                        f"这将永久删除班级 {label} 的全部投票和理由，无法恢复。确认删除请调用 "
                        f"delete_class({str(path.parent)!r}, confirm={class_id!r})。")
    removed = []
    for suffix in ("", "-wal", "-shm", "-journal", "-lock"):
        p = path.with_name(STORE_NAME + suffix)
        try:
            p.unlink()
            removed.append(p)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise LiveError("cannot_delete", f"Cannot delete {p}: {exc.strerror or exc}.",
                            f"无法删除 {p}：{exc.strerror or exc}。") from None
    return removed


protect(globals(), ["clean_text", "escape_reason", "safe_cell", "delete_class"])
