"""Decide first, then see what happened: the A/B split of a case in a notebook.

A case method class reads the A case (up to the decision), commits to a decision and a
prediction, argues, and only then learns what the firm did (the B case, 后续进展). Two widgets
carry that order into a notebook or a classroom page:

* :func:`decide` shows a unit's decision points (``decision_points`` in
  ``datasets/decision_cases/<unit>.yaml``): pick an option, write one sentence of reason, change it
  at will. Working alone (JupyterLab), the answers are kept in the user's casekit folder
  (``answers.json`` beside ``settings.json``), so they survive a kernel restart; on the classroom
  server (``CASEKIT_CLASSROOM=1``) they stay in the page's kernel.
* :func:`what_happened` is the reveal: a button that shows the B case. On the classroom server
  every cell below it is hidden until it is pressed (those cells carry the tag ``ck-sequel`` in the
  served copy; the hiding rule lives in this widget, so pressing it shows them).

**The live session.** On a classroom server started with a class folder (``--class-folder``; the
server puts the folder in every kernel's environment as ``CASEKIT_CLASS_FOLDER``), both widgets
follow the class instead: a pick and its reason are the student's vote in the class store
(:class:`casekit.live.ClassStore`), changeable while the instructor keeps voting open; the panel
shows whether voting is open, the class's split once the instructor shows it, and the B case (with
every ``ck-sequel`` cell) once the instructor releases it, all without a reload. The student is known
by an id the server keeps in a cookie and hands to the kernel (the header ``X-Casekit-Student``,
which Voilà passes on as ``HTTP_X_CASEKIT_STUDENT``; a preheated kernel receives it over Voilà's own
request-info socket when a student opens the page). One task on the kernel's own event loop
asks the store every half second whether anything moved (:meth:`LiveLink.poll_once`, one small
read); no thread touches a widget and nothing draws into an ``Output`` widget (which stalls a
headless executor, see ``benchmarks/bench_stall.py``).

>>> from casekit import reveal
>>> [p.id for p in reveal.points("keda_zhongtu")][:1]  # doctest: +SKIP
['keep_or_focus']
"""
from __future__ import annotations

import asyncio
import html
import json
import os
import time
from pathlib import Path
from typing import Any

from . import decision_cases as dc
from . import i18n
from .errors import CasekitError
from .i18n import on_language_change, t
from .live import ClassStore, LiveError, PointState, UnitState
from .settings import _config_root

# The live session's plumbing (LiveLink, live_link, split_html, FOLDER_ENV, STUDENT_HEADER, STUDENT_ENV,
# POLL_SECONDS) is for casekit.live_server and the classroom's kernels, not part of the public API.
__all__ = ["mark_sequel", "points", "decide", "what_happened", "answers_path", "saved_answers", "SEQUEL_TAG", "REVEAL_TAG"]

SEQUEL_TAG = "ck-sequel"    # cells after the reveal, in the classroom's served copy
REVEAL_TAG = "ck-reveal"    # the cell that holds the reveal control
from .live import REASON_LIMIT  # characters of a reason; a sentence, not an essay (the store checks the same)
FOLDER_ENV = "CASEKIT_CLASS_FOLDER"      # the class folder, set by the classroom server for every kernel
STUDENT_HEADER = "X-Casekit-Student"     # the header the server sets on a student's page request
STUDENT_ENV = "HTTP_X_CASEKIT_STUDENT"   # the same, as Voilà hands it to the page's kernel (RFC 3875 style)
POLL_SECONDS = 0.5                       # how often a page asks the store whether anything moved
_HIDE = f"<style>.celltag_{SEQUEL_TAG}{{display:none!important}}</style>"
# The classroom's page hides the sequel cells from its first paint (casekit.classroom's page shell),
# before any widget has drawn: the revealed body is what shows them.
_SHOW = f"<style>.celltag_{SEQUEL_TAG}{{display:block!important}}</style>"
_CSS = """<style>
.ck-choice button.widget-button,.ck-choice .widget-button{min-height:44px;height:auto;white-space:normal;
 text-align:left;line-height:1.35;padding:8px 12px;margin:3px 0}
.ck-choice textarea{min-height:64px;font-size:15px}.ck-choice .ck-q{font-size:15px;line-height:1.5;max-width:100%;
 box-sizing:border-box;overflow-wrap:anywhere;padding-right:2px}
.ck-reveal-button.widget-button{min-height:48px;height:auto;white-space:normal;font-size:15px}
.ck-choice .ck-state{display:inline-block;font-size:13px;padding:1px 8px;border-radius:10px;margin-left:6px;
 vertical-align:1px}.ck-state.ck-open{background:#e3f4e6;color:#185c27}.ck-state.ck-closed{background:#eee;color:#444}
.ck-split{max-width:40em;margin:6px 0 4px}.ck-split .ck-row{margin:5px 0;font-size:14px;line-height:1.35}
.ck-split .ck-track{background:#eef1f5;height:14px;border-radius:3px;margin-top:2px}
.ck-split .ck-fill{background:#2f6fb3;height:14px;border-radius:3px}.ck-split .ck-mine .ck-fill{background:#1b8a4b}
.ck-choice .ck-live-note{font-size:14px;line-height:1.45}
.ck-choice .widget-html,.ck-reveal-body.widget-html{max-width:100%;width:100%;margin-left:0;margin-right:0;box-sizing:border-box}
.ck-choice .widget-html-content,.ck-reveal-body .widget-html-content{min-width:0;max-width:100%;flex:1 1 auto}
.ck-choice .widget-textarea,.ck-choice .widget-text{box-sizing:border-box;max-width:100%}
</style>"""


def mark_sequel(nb: dict) -> int:
    """Tag every cell after the reveal cell ``ck-sequel`` (in place), for a served copy in which they
    stay hidden until the reveal is pressed; returns how many cells were tagged (0: no reveal cell)."""
    cells = nb.get("cells") if isinstance(nb, dict) else None
    if not isinstance(cells, list):
        return 0
    tags_of = lambda c: (c.get("metadata") or {}).get("tags") or []  # noqa: E731
    at = next((i for i, c in enumerate(cells) if isinstance(c, dict) and REVEAL_TAG in tags_of(c)), None)
    if at is None:
        return 0
    for cell in cells[at + 1:]:
        if isinstance(cell, dict):
            tags = cell.setdefault("metadata", {}).setdefault("tags", [])
            if SEQUEL_TAG not in tags:
                tags.append(SEQUEL_TAG)
    return len(cells) - at - 1


def points(unit: str | int) -> list[dc.DecisionPoint]:
    """The decision points of ``unit``'s case: decisions first, then predictions."""
    case = dc.load_case(unit)
    return sorted(case.decision_points, key=lambda p: p.kind != "decision")


def _classroom() -> bool:
    return os.environ.get("CASEKIT_CLASSROOM", "") == "1" or bool(os.environ.get(FOLDER_ENV, "").strip())


def answers_path() -> Path:
    """Where a student's own answers are kept when working alone."""
    return _config_root(os.environ) / "answers.json"


def saved_answers() -> dict[str, dict[str, dict[str, Any]]]:
    """The answers kept so far ({unit: {point: {"option", "reason", "at"}}}); {} if none or unreadable."""
    if _classroom():
        return {}
    path = answers_path()
    try:
        if not path.is_file():
            return {}
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def _save(unit: str, point: str, option: str | None, reason: str) -> str | None:
    """Keep one answer; None when kept, else why not (the answer stays in the page either way)."""
    if _classroom():
        return None
    path = answers_path()
    data = saved_answers()
    entry = data.setdefault(unit, {})
    if not isinstance(entry, dict):
        entry = data[unit] = {}
    entry[point] = {"option": option, "reason": reason, "at": time.strftime("%Y-%m-%d %H:%M")}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        return str(exc.strerror or exc)
    return None


def _both(en: str, zh: str) -> str:
    """One message in both languages, the current one first (for refusals a student must understand)."""
    return f"{zh}<br>{en}" if i18n.get_language() == "zh" else f"{en}<br>{zh}"


def _err(exc: Exception) -> str:
    """A store refusal as the page shows it: both languages, escaped."""
    if isinstance(exc, LiveError):
        return _both(html.escape(exc.en), html.escape(exc.zh))
    return html.escape(str(exc)).replace("\n", "<br>")


def split_html(point: dc.DecisionPoint, counts: dict[str, int], lang: str, mine: str | None = None) -> str:
    """The class's split on one point as bars (HTML, labels escaped), for students' pages.

    >>> from casekit.decision_cases import DecisionPoint
    >>> p = DecisionPoint(id="go", kind="decision", question_zh="做吗？", question_en="Go?",
    ...     options=[{"id": "yes", "zh": "做", "en": "yes"}, {"id": "no", "zh": "不做", "en": "<no>"}])
    >>> "3 votes" in split_html(p, {"yes": 2, "no": 1}, "en") and "&lt;no&gt;" in split_html(p, {"yes": 2, "no": 1}, "en")
    True
    """
    total = sum(counts.values())
    rows = []
    for o in point.options:
        n = counts.get(o.id, 0)
        share = n / total if total else 0.0
        you = (" " + ("（你的选择）" if lang == "zh" else "(your choice)")) if o.id == mine else ""
        rows.append(f"<div class='ck-row{' ck-mine' if o.id == mine else ''}'>{html.escape(getattr(o, lang))}{you}"
                    f" · <b>{n}</b> ({share:.0%})<div class='ck-track'><div class='ck-fill' "
                    f"style='width:{100 * share:.1f}%'></div></div></div>")
    title = f"全班的选择（共 {total} 票）" if lang == "zh" else f"How the class split ({total} vote{'s' if total != 1 else ''})"
    return f"<div class='ck-split'><b>{title}</b>{''.join(rows)}</div>"


# ------------------------------------------------------------------------------------ the live link
class LiveLink:
    """This kernel's link to the class's live session: the class store, the student this page
    belongs to, and one task on the kernel's event loop that polls the store (``version`` of each
    followed unit, every :data:`POLL_SECONDS`) and tells the widgets when something moved.

    Never raises to a widget: a store that cannot be opened or a page without a valid student id
    becomes ``problem`` / ``sid_problem``, a sentence in both languages the panel shows.
    """

    def __init__(self, folder: str):
        self.folder = folder
        self.store: ClassStore | None = None
        self.problem: str | None = None
        self.sid: str | None = None
        self.sid_problem: str | None = None
        self.waiting = False      # a preheated kernel: the id comes when a student opens the page
        self.task: asyncio.Task | None = None
        self._units: dict[str, dict[str, Any]] = {}
        self._on_identity: list = []
        try:
            self.store = ClassStore(folder, create=False)
        except CasekitError as exc:
            self.problem = _err(exc)
            return
        self._take_sid(os.environ.get(STUDENT_ENV))

    # -------------------------------------------------------------------- who the student is
    def _take_sid(self, value: Any) -> None:
        if self.store is None:
            return
        if isinstance(value, str) and value:
            if self.store.verify_student(value):
                self.sid, self.sid_problem, self.waiting = value, None, False
            else:
                self.waiting = False
                self.sid_problem = _both(
                    "This page has no valid student id for this class (it may come from another class or be "
                    "damaged), so it cannot vote. Reload the page: the server gives it a new id.",
                    "本页没有本班有效的学生编号（可能来自另一个班级，或已损坏），因此不能投票。请刷新页面，服务器会发给你新的编号。")
            return
        if os.environ.get("VOILA_PREHEAT") == "True":
            self.waiting = True
            return
        self.sid_problem = _both(
            "This page did not come with a student id from the classroom server, so it cannot vote. Open the unit "
            "from the class's link (the classroom server's index page) and reload.",
            "本页没有从课堂服务器获得学生编号，因此不能投票。请从课堂链接（课堂服务器的首页）打开本单元，再刷新页面。")

    def on_identity(self, callback) -> None:
        """``callback()`` runs once the student's id arrives (at once if it is already known)."""
        if self.sid is not None:
            callback()
        else:
            self._on_identity.append(callback)

    def identity_arrived(self, info: dict) -> None:
        """Voilà's request info for a preheated page has arrived: take the student id from it."""
        value = info.get(STUDENT_ENV) if isinstance(info, dict) else None
        if isinstance(value, str):
            os.environ[STUDENT_ENV] = value
        self.waiting = False
        self._take_sid(value)
        if self.sid is None and self.sid_problem is None:
            self._take_sid(None)
        callbacks, self._on_identity = self._on_identity, []
        for cb in callbacks:
            cb()
        for entry in self._units.values():   # redraw every panel with the news
            entry["version"] = -1

    async def _fetch_identity(self) -> None:
        """Wait (without blocking the kernel) for Voilà to send the page's request info: the same
        socket ``voila.utils.wait_for_request`` reads, but on the kernel's own loop."""
        try:
            import websockets
        except ImportError:   # pragma: no cover - Voilà depends on it
            self.identity_arrived({})
            return
        while self.waiting:
            kid = os.environ.get("VOILA_KERNEL_ID")
            port = os.environ.get("VOILA_APP_PORT")
            if not kid or not port:
                await asyncio.sleep(POLL_SECONDS)
                continue
            proto = os.environ.get("VOILA_WS_PROTOCOL", "ws")
            host = os.environ.get("VOILA_APP_IP", "127.0.0.1")
            base = os.environ.get("VOILA_WS_BASE_URL", os.environ.get("VOILA_SERVER_URL", "/"))
            url = f"{proto}://{host}:{port}{base}voila/query/{kid}"
            try:
                async with websockets.connect(url, open_timeout=10, max_size=2**20) as ws:
                    raw = await ws.recv()
                info = json.loads(raw)
            except Exception:   # the server restarting, a dropped socket: try again shortly
                await asyncio.sleep(2.0)
                continue
            self.identity_arrived(info if isinstance(info, dict) else {})
            return

    # -------------------------------------------------------------------- following the class
    def follow(self, unit: str, callback) -> None:
        """Call ``callback(state)`` now and whenever the unit's state moves on (a vote, a step of the
        instructor's). Starts the poller on the kernel's event loop if there is one running."""
        entry = self._units.setdefault(unit, {"version": -1, "listeners": []})
        entry["listeners"].append(callback)
        state = self._state(unit)
        if state is not None:
            entry["version"] = state.version
            callback(state)
        self.start()

    def _state(self, unit: str) -> UnitState | None:
        try:
            return self.store.state(unit)
        except CasekitError as exc:
            self.problem = _err(exc)
            return None

    def poll_once(self) -> int:
        """Ask the store whether a followed unit moved; tell its widgets. Returns how many units moved."""
        if self.store is None:
            return 0
        moved = 0
        for unit, entry in list(self._units.items()):
            try:
                version = self.store.version(unit)
            except CasekitError:
                continue   # busy or briefly unreadable: the next poll tries again
            if version == entry["version"]:
                continue
            state = self._state(unit)
            if state is None:
                continue
            entry["version"] = state.version
            moved += 1
            for cb in list(entry["listeners"]):
                try:
                    cb(state)
                except Exception:   # one broken widget must not stop the others from following
                    pass
        return moved

    def start(self) -> None:
        if self.task is not None or self.store is None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:   # no loop (a plain script or a test): poll_once() by hand
            return
        self.task = loop.create_task(self._run())

    async def _run(self) -> None:
        if self.waiting:
            asyncio.ensure_future(self._fetch_identity())
        while True:
            await asyncio.sleep(POLL_SECONDS)
            try:
                self.poll_once()
            except Exception:   # never let the poller die: the next round tries again
                pass

    # -------------------------------------------------------------------- voting
    def vote(self, unit: str, point: str, option: str, reason: str, name: str | None):
        if self.sid is None:
            raise LiveError("bad_student", "This page has no valid student id; reload it.",
                            "本页没有有效的学生编号，请刷新页面。")
        return self.store.vote(self.sid, unit, point, option, reason, name)


_LINKS: dict[str, LiveLink] = {}


def live_link() -> LiveLink | None:
    """This kernel's link to the live session, or None outside one (no ``CASEKIT_CLASS_FOLDER``)."""
    folder = os.environ.get(FOLDER_ENV, "").strip()
    if not folder:
        return None
    if folder not in _LINKS:
        _LINKS[folder] = LiveLink(folder)
    return _LINKS[folder]


class _Point:
    """One decision point: the question, an option button each, a reason box, a status line; in a
    live session also the voting state and, once shown, the class's split."""

    def __init__(self, unit: str, point: dc.DecisionPoint, saved: dict[str, Any] | None,
                 live: LiveLink | None = None, name_of=None):
        import ipywidgets as W

        self.unit, self.point, self.live, self.name_of = unit, point, live, name_of
        saved = saved if isinstance(saved, dict) else {}
        ids = [o.id for o in point.options]
        self.option: str | None = saved.get("option") if saved.get("option") in ids else None
        self.state: PointState | None = None
        self.notice: str | None = None    # a refusal or a confirmation, until the next step
        self.pending: str | None = None   # a pick made before the student's id arrived
        self.question = W.HTML()
        self.buttons = []
        for o in point.options:
            b = W.Button(layout=W.Layout(width="100%", max_width="40em"))
            b.on_click(lambda _b, oid=o.id: self._pick(oid))
            self.buttons.append(b)
        reason = saved.get("reason") if isinstance(saved.get("reason"), str) else ""
        self.reason = W.Textarea(value=reason[:REASON_LIMIT], continuous_update=False,
                                 layout=W.Layout(width="100%", max_width="40em"))
        self.reason.observe(self._on_reason, "value")
        self.status = W.HTML()
        self.split = W.HTML()
        self.widget = W.VBox([self.question, *self.buttons, self.reason, self.status, self.split])
        self.widget.add_class("ck-choice")
        self.render()

    # -------------------------------------------------------------------- drawing
    def _can_vote(self) -> bool:
        """Voting is open and this page may vote (or will, once the student's id arrives)."""
        live = self.live
        return (live is not None and live.store is not None and live.sid_problem is None
                and (live.sid is not None or live.waiting) and self.state is not None and self.state.open)

    def _badge(self) -> str:
        if self.live is None or self.state is None:
            return ""
        if self.state.open:
            return f"<span class='ck-state ck-open'>{t('Voting open', '投票中')}</span>"
        return f"<span class='ck-state ck-closed'>{t('Voting closed', '投票已关闭')}</span>"

    def render(self) -> None:
        p, lang = self.point, i18n.get_language()
        kind = t("Your decision", "你的决策") if p.kind == "decision" else t("Your prediction", "你的预测")
        sep = ": " if lang == "en" else "："
        shown = self.option if self.pending is None else self.pending
        live = self.live is not None
        # The controls first, each in one message, then the words that say what changed: a page
        # applies the kernel's updates in order, so it never says "voting closed" beside buttons
        # that still take a vote (seen on a busy machine when the badge went first).
        for b, o in zip(self.buttons, p.options):
            with b.hold_sync():
                mark = "●" if o.id == shown else "○"
                b.description = f"{mark} {getattr(o, lang)}"
                b.tooltip = getattr(o, lang)
                b.button_style = "info" if o.id == shown else ""
                b.disabled = live and not self._can_vote()
        with self.reason.hold_sync():
            self.reason.disabled = live and not self._can_vote()
            self.reason.placeholder = t(f"One sentence: why? (at most {REASON_LIMIT} characters)",
                                        f"一句话说明理由（最多 {REASON_LIMIT} 字）")
            self.reason.description = ""
        self.question.value = (f"<div class='ck-q'><b>{kind}</b>{sep}"
                               f"{html.escape(getattr(p, 'question_' + lang))}{self._badge()}</div>")
        if live:
            self.status.value = self._live_status()
            self._draw_split()

    def _live_status(self) -> str:
        live = self.live
        if live.problem:
            return f"<div class='ck-live-note'>{live.problem}</div>"
        if live.sid_problem:
            return f"<div class='ck-live-note'>{live.sid_problem}</div>"
        if self.notice:
            return f"<div class='ck-live-note'>{self.notice}</div>"
        if live.sid is None:
            return t("Connecting to the class…", "正在连接课堂……")
        st = self.state
        if st is None or (not st.open and st.votes == 0 and self.option is None and not st.shown):
            return t("Voting has not opened yet: your instructor opens it when the class is ready.",
                     "投票尚未开始：老师准备好后会开放投票。")
        if st.open:
            if self.option is None:
                return t("Voting is open: pick an option and give one sentence of reason.",
                         "投票已开放：请选一项，并用一句话写下理由。")
            return t("Your vote is in. You may change it until voting closes.",
                     "你的选择已记下。投票关闭前仍可修改。")
        if self.option is None:
            return t("Voting is closed; you did not vote on this one.", "投票已关闭；这一题你没有投票。")
        return t("Voting is closed; your vote stands as shown.", "投票已关闭；以上是你的选择。")

    def _draw_split(self) -> None:
        if self.live is None or self.state is None or not self.state.shown or self.live.store is None:
            self.split.value = ""
            return
        try:
            counts = self.live.store.split(self.unit, self.point.id).counts
        except CasekitError as exc:
            self.split.value = f"<div class='ck-live-note'>{_err(exc)}</div>"
            return
        self.split.value = split_html(self.point, counts, i18n.get_language(), self.option)

    # -------------------------------------------------------------------- following the class
    def follow(self, state: UnitState) -> None:
        try:
            new = state.point(self.point.id)
        except LiveError:
            return
        if self.state is not None and (new.status != self.state.status or new.round != self.state.round):
            self.notice = None   # a step of the instructor's: the old message no longer applies
        if self.state is not None and new.round != self.state.round:
            self.option, self.pending = None, None   # a reset: the votes of the last round are gone
        self.state = new
        self.render()

    def restore(self) -> None:
        """The student's id is known: show their vote (a reload keeps it), send a pick made meanwhile."""
        live = self.live
        if live is None or live.sid is None:
            self.render()
            return
        try:
            ballot = live.store.my_vote(live.sid, self.unit, self.point.id)
        except CasekitError as exc:
            self.notice = _err(exc)
            ballot = None
        if ballot is not None:
            self.option = ballot.option
            if not self.reason.value:
                self._set_reason(ballot.reason)
        if self.pending is not None:
            option, self.pending = self.pending, None
            self._send(option)
        else:
            self.render()

    def _set_reason(self, text: str) -> None:
        self.reason.unobserve(self._on_reason, "value")
        try:
            self.reason.value = text
        finally:
            self.reason.observe(self._on_reason, "value")

    # -------------------------------------------------------------------- the student's steps
    def _pick(self, option: str) -> None:
        if self.live is not None:
            if self.live.sid is None and self.live.waiting:
                self.pending = option   # sent as soon as the page knows who the student is
                self.render()
                return
            self._send(option)
            return
        self.option = option
        self.render()
        self._store()

    def _send(self, option: str) -> None:
        """Send the vote to the class store; the buttons show what the store holds."""
        try:
            ballot = self.live.vote(self.unit, self.point.id, option, self.reason.value,
                                    self.name_of() if self.name_of else None)
        except LiveError as exc:
            self.notice = _err(exc)
        except CasekitError as exc:
            self.notice = _err(exc)
        else:
            self.option = ballot.option
            self.notice = None
        self.render()

    def _on_reason(self, change) -> None:
        text = change["new"] if isinstance(change["new"], str) else ""
        if len(text) > REASON_LIMIT:
            self.reason.value = text[:REASON_LIMIT]   # observed again with the cut text
            self.status.value = t(f"Kept the first {REASON_LIMIT} characters: one sentence is enough.",
                                  f"只保留前 {REASON_LIMIT} 个字：一句话就够了。")
            return
        if self.live is not None:
            if self.option is not None and self._can_vote() and self.live.sid is not None:
                self._send(self.option)
            elif self.option is None and self._can_vote():
                self.notice = t("Pick an option: your reason is sent with it.", "请选一项：理由会随选择一起提交。")
                self.render()
            elif self.state is not None and not self.state.open and self.live.sid is not None:
                self.notice = _both("Voting is closed, so this change was not recorded.",
                                    "投票已关闭，这次修改没有记下。")
                self.render()
            return
        self._store()

    def _store(self) -> None:
        why = _save(self.unit, self.point.id, self.option, self.reason.value)
        if why:
            self.status.value = t(f"Kept in this page only (could not save to {answers_path()}: {why}).",
                                  f"只保存在本页（无法写入 {answers_path()}：{why}）。")
        elif self.option is None:
            self.status.value = t("Pick an option; you may change it until the class moves on.",
                                  "请选一项；在全班继续之前都可以改。")
        else:
            where = t("in this page", "本页") if _classroom() else t("on this computer", "本机")
            self.status.value = t(f"Saved {where}. You may change it.", f"已保存在{where}，仍可修改。")


class Decide:
    """The decision points of one unit, as :func:`decide` shows them."""

    def __init__(self, unit: str | int):
        import ipywidgets as W

        self.unit = dc._check_unit(unit)
        self.live = live_link()
        saved = {} if self.live is not None else saved_answers().get(self.unit, {})
        saved = saved if isinstance(saved, dict) else {}
        self.name = None
        if self.live is not None and self.live.store is not None and self._names():
            self.name = W.Text(layout=W.Layout(width="100%", max_width="40em"), continuous_update=False)
            self.name.add_class("ck-name")
        name_of = (lambda: self.name.value) if self.name is not None else None
        self.panels = [_Point(self.unit, p, saved.get(p.id), self.live, name_of) for p in points(self.unit)]
        self.widget = W.VBox([W.HTML(_CSS), *([self.name] if self.name is not None else []),
                              *[p.widget for p in self.panels]])
        self._relabel()
        on_language_change(self._on_language)
        if self.live is not None and self.live.store is not None:
            self.live.follow(self.unit, self._follow)
            self.live.on_identity(self._restore)

    def _names(self) -> bool:
        try:
            return self.live.store.names
        except CasekitError:
            return False

    def _relabel(self) -> None:
        if self.name is not None:
            self.name.placeholder = t("Your name (this class gives names with its votes)",
                                      "你的姓名（本班投票实名）")

    def _follow(self, state: UnitState) -> None:
        for p in self.panels:
            p.follow(state)

    def _restore(self) -> None:
        for p in self.panels:
            p.restore()

    def answers(self) -> dict[str, dict[str, Any]]:
        return {p.point.id: {"option": p.option, "reason": p.reason.value} for p in self.panels}

    def _on_language(self, _lang: str) -> None:
        self._relabel()
        for p in self.panels:
            p.render()

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)


def decide(unit: str | int) -> Decide:
    """Commit to the unit's decision and prediction before seeing what happened.

    >>> casekit.reveal.decide("keda_zhongtu")   # doctest: +SKIP
    """
    return Decide(unit)


class WhatHappened:
    """The reveal: a button, then the B case (and, on the classroom server, every cell below). In a
    live session there is no button: the B case opens when the instructor releases it."""

    def __init__(self, unit: str | int, decided: Decide | None = None):
        import ipywidgets as W

        self.unit = dc._check_unit(unit)
        dc._sequel_of(self.unit)    # an analysis exercise has no B case: say so at once
        self.decided = decided
        self.revealed = False
        self._asked = False
        live = live_link()
        self.live = live if live is not None and live.store is not None else None
        self.button = W.Button(layout=W.Layout(width="100%", max_width="40em"))
        self.button.add_class("ck-reveal-button")
        self.button.on_click(lambda _b: self._press())
        self.body = W.HTML(layout=W.Layout(width="100%"))
        self.body.add_class("ck-reveal-body")
        self.widget = W.VBox([W.HTML(_CSS), self.button, self.body], layout=W.Layout(width="100%"))
        self._render()
        on_language_change(lambda _lang: self._render())
        if self.live is not None:
            self.live.follow(self.unit, self._follow)

    def _follow(self, state: UnitState) -> None:
        if state.released != self.revealed:
            self.revealed = state.released
            self._render()

    def _undecided(self) -> bool:
        if self.decided is None:
            saved = saved_answers().get(self.unit, {})
            return not (isinstance(saved, dict) and any(isinstance(v, dict) and v.get("option") for v in saved.values()))
        return not any(p.option for p in self.decided.panels if p.point.kind == "decision")

    def _press(self) -> None:
        if self.live is not None:   # in a live session only the instructor releases case B
            return
        if not self.revealed and not self._asked and self._undecided():
            self._asked = True
        else:
            self.revealed = True
        self._render()

    def reveal(self) -> None:
        """Show the B case (as pressing the button twice would)."""
        self.revealed = True
        self._render()

    def _render(self) -> None:
        lang = i18n.get_language()
        if self.revealed:
            self.button.layout.display = "none"
            self.body.value = _SHOW + dc.case_html(self.unit, lang, part="B")
            return
        exercise = dc.load_case(self.unit).kind == "analysis_exercise"
        if self.live is not None:
            self.button.layout.display = "none"
            self.body.value = _HIDE + "<p class='ck-live-note ck-wait-b'>" + (t(
                "The source's conclusions open here when your instructor releases them, after the class has decided "
                "and discussed. You need not reload: they appear by themselves.",
                "资料的结论会在全班决策、讨论之后，由老师在这里公布。无需刷新页面，它会自动出现。") if exercise else t(
                "Case B (what happened) opens here when your instructor releases it, after the class has decided "
                "and discussed. You need not reload: it appears by itself.",
                "B 案例（后来发生了什么）会在全班决策、讨论之后，由老师在这里公布。无需刷新页面，它会自动出现。")) + "</p>"
            return
        self.button.layout.display = None
        if self._asked:
            self.button.description = t("Show it anyway", "仍然打开")
            self.body.value = _HIDE + "<p>" + t(
                "You have not picked a decision above yet. The discussion works best when everyone has committed "
                "first; press again to see what happened anyway.",
                "你还没有在上面做出选择。大家先各自表态，讨论效果最好；如仍要现在看结果，请再按一次。") + "</p>"
            return
        if exercise:
            self.button.description = t("Show what the source concludes", "看看资料的结论")
            self.body.value = _HIDE + "<p>" + t(
                "Open this after you have decided and the class has discussed: it shows what the source concludes "
                "and the analysis below.",
                "请在做出决策、全班讨论之后再打开：这里是资料的结论，以及下文的分析。") + "</p>"
            return
        self.button.description = t("Show what happened (case B)", "看看后来发生了什么（B 案例）")
        self.body.value = _HIDE + "<p>" + t(
            "Open this after you have decided and the class has discussed: it shows what the firm did and what "
            "the analysis below says about it.",
            "请在做出决策、全班讨论之后再打开：这里是企业后来的做法，以及下文对它的分析。") + "</p>"

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)


def what_happened(unit: str | int, decided: Decide | None = None) -> WhatHappened:
    """The reveal control for ``unit``'s B case; pass the :func:`decide` panel to check a choice was made."""
    return WhatHappened(unit, decided)


from ._guard import protect as _protect  # noqa: E402

_protect(globals(), ["points", "decide", "what_happened", "answers_path", "saved_answers"])
