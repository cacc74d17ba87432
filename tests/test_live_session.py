"""The live case session (issue 25): the classroom server with a class folder, end to end.

One classroom server for the module (127.0.0.1, a class folder in tmp, unit 3 preheated so that
both ways a page meets its kernel are covered: a preheated kernel that learns its student over
Voilà's request-info socket, and a kernel started for the page with the id in its environment).
Students here are protocol clients that speak the Jupyter widget protocol over the kernel
websocket, as benchmarks/bench_classroom.py's do: they click the decision panel's buttons and type
reasons; the instructor is plain HTTP against ``/casekit/instructor``. Then the server is stopped
in the middle of a vote and started again on the same folder: no vote a student saw recorded is lost.

The widget layer's live mode (no server) and the hook's pieces are tested in-process first.

Until ``casekit/classroom.py`` carries the hook (``live_server.install``), the server runs a copy of
it with the hook applied (:func:`live_classroom_module`; the same change is proposed for classroom.py).
"""
from __future__ import annotations

import asyncio
import html
import json
import os
import re
import signal
import sqlite3
import struct
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import pytest

import casekit
from casekit import live_server, reveal
from casekit.live import REASON_LIMIT, ClassStore, LiveError

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from classroom_helpers import ClassroomServer, http_get  # noqa: E402

UNIT = "03_qingdao_six_paths"
UNIT_NAME = "qingdao_six_paths"
INSTRUCTOR_HEADER = "X-Casekit-Instructor"
WAIT = 20.0    # seconds a widget update may take before a test gives up


# --------------------------------------------------------------------------------------------
# the server with the hook
# --------------------------------------------------------------------------------------------
# The change proposed for casekit/classroom.py (the report gives it as a diff): argparse flags, the
# call to live_server.install, the page hook, the instructor's routes, Voilà's header option. Each
# step is (pattern, replacement) and must match exactly once; the patterns hold for classroom.py as
# committed and as it is being reworked (issue 23's --unit/--class-size), so either can be served.
HOOK = [
    (r"from \. import units as _units\n", "from . import live_server\nfrom . import units as _units\n"),
    (r"def _make_app\(([^)]*?)\):", r"def _make_app(\1, live=None):"),
    (r"            self\.xsrf_token  # noqa: B018\n",
     "            self.xsrf_token  # noqa: B018\n"
     "            if live is not None:   # the live session: this browser's student id, handed to the page's kernel\n"
     "                live.on_page(self)\n"),
    (r"        def init_handlers\(self\):\n            ours = \[\]\n",
     "        def init_handlers(self):\n            ours = live.handlers(self.server_url) if live is not None else []\n"),
    (r"    p\.add_argument\(\"--cull-idle\"",
     "    p.add_argument(\"--class-folder\", metavar=\"DIR\",\n"
     "                   help=\"the live session: keep the class's decisions in DIR (SQLite; created if missing) and serve \"\n"
     "                        \"the instructor's page / 实时投票：本班决策保存在 DIR 中，并提供教师页面\")\n"
     "    p.add_argument(\"--class-name\", help=\"a label for a new class folder, e.g. 'MBA 2025 A' (checked when reopening)\")\n"
     "    p.add_argument(\"--instructor-token\", help=\"the instructor's own key for /casekit/instructor (default: a random \"\n"
     "                                                 \"one, printed here only); never the students' --token\")\n"
     "    p.add_argument(\"--names\", action=\"store_true\",\n"
     "                   help=\"a new class gives names with its votes (default: anonymous) / 实名投票（默认匿名）\")\n"
     "    p.add_argument(\"--cull-idle\""),
    (r"    token = args\.token or secrets\.token_urlsafe\(9\)\n",
     "    token = args.token or secrets.token_urlsafe(9)\n"
     "    try:\n"
     "        live = live_server.install(args, lang, token)\n"
     "    except CasekitError as exc:\n"
     "        print(exc, file=sys.stderr)\n"
     "        shutil.rmtree(folder, ignore_errors=True)\n"
     "        return 1\n"
     "    if live is not None:\n"
     "        live.prepare(folder)\n"
     "        os.environ.update(live.kernel_env())   # every kernel inherits the class folder\n"),
    (r"(    print_welcome\(f\"http://\{host\}:\{args\.port\}/\?token=\{token\}\"[^\n]*\n)",
     lambda m: m.group(1) + "    if live is not None:\n        print(live.welcome(f\"http://{host}:{args.port}/\"), flush=True)\n"),
    (r"(?<!def )_make_app\(([^()]*?)\)(?=[,\n])", r"_make_app(\1, live=live)"),
    (r"build_argv\(folder, args\.port, token, args\.lan, args\.pool, args\.cull_idle\)",
     r"build_argv(folder, args.port, token, args.lan, args.pool, args.cull_idle) + (live.voila_argv() if live else [])"),
]


def live_classroom_module(dest: Path) -> tuple[str, str]:
    """(module to run, extra PYTHONPATH): ``casekit.classroom`` once it has the hook, else a copy of
    it with :data:`HOOK` applied, written to ``dest/_live_classroom.py``."""
    src = (ROOT / "casekit" / "classroom.py").read_text(encoding="utf-8")
    if "live_server" in src:
        return "casekit.classroom", ""
    for pattern, new in HOOK:
        src, n = re.subn(pattern, new, src)
        if n != 1:
            raise RuntimeError(f"casekit/classroom.py changed: the live hook's pattern {pattern[:50]!r} matched {n} "
                               "times, not once; apply the hook to classroom.py itself (tests/test_live_session.py HOOK)")
    src = re.sub(r"^from \. import ", "from casekit import ", src, flags=re.M)
    src = re.sub(r"^from \.(\w+) import ", r"from casekit.\1 import ", src, flags=re.M)
    src = re.sub(r"^(\s+)from \.(\w+) import ", r"\1from casekit.\2 import ", src, flags=re.M)
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "_live_classroom.py").write_text(src, encoding="utf-8")
    return "_live_classroom", str(dest)


@dataclass
class LiveServer(ClassroomServer):
    """A classroom server with a class folder; ``instructor`` is the instructor's key."""

    folder: Path | None = None
    instructor: str = field(default_factory=lambda: "instr-" + uuid.uuid4().hex)
    module: str = "casekit.classroom"
    extra_path: str = ""

    def start(self, timeout: float = 180, env: dict | None = None) -> "LiveServer":
        self.log_path = self.log_dir / f"live-{self.port}-{int(time.time() * 1000) % 10**8}.log"
        self.log = open(self.log_path, "w")
        path = os.pathsep.join(p for p in (self.extra_path, str(ROOT)) if p)
        full_env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": path, **(env or {})}
        full_env.pop("CASEKIT_CLASS_FOLDER", None)
        cmd = [sys.executable, "-m", self.module, "--port", str(self.port), "--token", self.token,
               "--class-folder", str(self.folder), "--instructor-token", self.instructor, *self.args]
        self.proc = subprocess.Popen(cmd, cwd=self.log_dir, env=full_env, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the classroom server exited with {self.proc.returncode}:\n{self.read_log()[-3000:]}")
            try:
                if http_get(self.base + "/login", timeout=5)[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"the classroom server did not answer within {timeout:.0f} s:\n{self.read_log()[-3000:]}")

    # ---------------------------------------------------------------- the instructor, over HTTP
    def api(self, path: str, body: dict | None = None, headers: dict | None = None) -> tuple[int, dict | str]:
        hdrs = {INSTRUCTOR_HEADER: self.instructor} if headers is None else headers
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + "/casekit/instructor/" + path, data=data, headers=hdrs,
                                     method="POST" if body is not None else "GET")
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                raw, code, ctype = resp.read(), resp.status, resp.headers.get("Content-Type", "")
        except urllib.error.HTTPError as exc:
            raw, code, ctype = exc.read(), exc.code, exc.headers.get("Content-Type", "")
        text = raw.decode("utf-8-sig", "replace")
        return code, (json.loads(text) if "json" in ctype else text)

    def act(self, action: str, unit: str = UNIT_NAME, point: str | None = None) -> dict:
        code, out = self.api("action", {"action": action, "unit": unit, "point": point})
        assert code == 200, out
        return out

    def state(self, unit: str = UNIT_NAME) -> dict:
        code, out = self.api(f"state.json?unit={unit}")
        assert code == 200, out
        return out


# --------------------------------------------------------------------------------------------
# a student's page, spoken as the widget protocol
# --------------------------------------------------------------------------------------------
class LiveStudent:
    """One student's page: asks for the unit page (keeping the cookie the server sets, as a browser
    does), connects to the page's kernel and reads every widget's state. ``panels`` lists the
    decision panels in page order: {"buttons": [comm ids], "reason", "status", "split", "question"};
    ``events`` records every widget update the kernel sends, with the time it arrived."""

    def __init__(self, server: ClassroomServer, name: str, unit: str = UNIT, cookies: dict | None = None):
        self.server, self.name, self.unit = server, name, unit
        self.cookies: dict[str, str] = dict(cookies or {})
        self.session = uuid.uuid4().hex
        self.waiting: dict[str, dict] = {}
        self.states: dict[str, dict] = {}
        self.events: list[tuple[float, str, dict]] = []
        self.changed = asyncio.Event()
        self.ws = None
        self.kernel_id = None
        self.panels: list[dict] = []

    @property
    def sid_cookie(self) -> str | None:
        return next((v for k, v in self.cookies.items() if k.startswith("casekit_student_")), None)

    def _msg(self, msg_type: str, content: dict) -> dict:
        return {"header": {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "username": self.name,
                           "session": self.session, "date": "", "version": "5.3"},
                "parent_header": {}, "metadata": {}, "content": content, "buffers": [], "channel": "shell"}

    async def _reader(self):
        while True:
            raw = await self.ws.read_message()
            if raw is None:
                for w in self.waiting.values():
                    w["done"].set()
                return
            if isinstance(raw, bytes):
                n = struct.unpack("!I", raw[:4])[0]
                offsets = struct.unpack("!" + "I" * n, raw[4:4 + 4 * n])
                raw = raw[offsets[0]:offsets[1] if n > 1 else None].decode()
            msg = json.loads(raw)
            now = time.monotonic()
            if msg["msg_type"] == "comm_msg" and msg["content"].get("data", {}).get("method") == "update":
                cid = msg["content"]["comm_id"]
                state = msg["content"]["data"].get("state", {})
                self.states.setdefault(cid, {}).update(state)
                self.events.append((now, cid, state))
                self.changed.set()
            w = self.waiting.get(msg.get("parent_header", {}).get("msg_id"))
            if w is None:
                continue
            w["msgs"].append(msg)
            if msg["msg_type"] == "status" and msg["content"].get("execution_state") == "idle":
                w["idle"] = True
            if msg.get("channel") == "shell":
                w["reply"] = True
            if w.get("idle") and (w.get("reply") or not w["needs_reply"]):
                w["done"].set()

    async def request(self, msg_type: str, content: dict, needs_reply: bool, timeout: float = WAIT) -> list[dict]:
        msg = self._msg(msg_type, content)
        w = {"msgs": [], "done": asyncio.Event(), "needs_reply": needs_reply}
        self.waiting[msg["header"]["msg_id"]] = w
        await self.ws.write_message(json.dumps(msg))
        try:
            await asyncio.wait_for(w["done"].wait(), timeout)
        finally:
            self.waiting.pop(msg["header"]["msg_id"], None)
        return w["msgs"]

    async def open(self, extra_headers: dict | None = None) -> float:
        """Ask for the page and read its widgets; returns the seconds it took."""
        from tornado.httpclient import AsyncHTTPClient
        from tornado.websocket import websocket_connect

        t0 = time.monotonic()
        headers = dict(extra_headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        resp = await AsyncHTTPClient().fetch(self.server.url(f"/voila/render/{self.unit}.ipynb"), headers=headers,
                                             request_timeout=300, raise_error=False)
        if resp.code != 200:
            raise RuntimeError(f"page: HTTP {resp.code}")
        for c in resp.headers.get_list("Set-Cookie"):
            k, _, rest = c.partition("=")
            self.cookies[k.strip()] = rest.split(";")[0]
        page = resp.body.decode()
        found = re.search(r'"kernelId": "([0-9a-f-]+)"', page)
        if not found:
            raise RuntimeError("page without a kernel")
        self.kernel_id = found.group(1)
        ws_url = (f"ws://127.0.0.1:{self.server.port}/api/kernels/{self.kernel_id}/channels"
                  f"?session_id={self.session}&token={self.server.token}")
        self.ws = await websocket_connect(ws_url, max_message_size=64 * 2**20)
        asyncio.ensure_future(self._reader())
        msgs = await self.request("comm_info_request", {"target_name": "jupyter.widget"}, needs_reply=True)
        comms = next(m for m in msgs if m["msg_type"] == "comm_info_reply")["content"]["comms"]

        async def state_of(cid):
            for m in await self.request("comm_msg", {"comm_id": cid, "data": {"method": "request_state"}}, False):
                if m["msg_type"] == "comm_msg" and m["content"]["data"].get("method") == "update":
                    self.states.setdefault(cid, {}).update(m["content"]["data"]["state"])

        await asyncio.gather(*(state_of(cid) for cid in comms))
        self._find_panels()
        return time.monotonic() - t0

    def _find_panels(self) -> None:
        ids = lambda st: [c.removeprefix("IPY_MODEL_") for c in st.get("children", []) if isinstance(c, str)]  # noqa: E731
        panels = []
        for cid, st in self.states.items():
            if "ck-choice" in st.get("_dom_classes", []):
                kids = ids(st)
                kinds = [self.states.get(k, {}).get("_model_name") for k in kids]
                buttons = [k for k, m in zip(kids, kinds) if m == "ButtonModel"]
                html_ = [k for k, m in zip(kids, kinds) if m == "HTMLModel"]
                reason = next(k for k, m in zip(kids, kinds) if m == "TextareaModel")
                panels.append({"box": cid, "question": html_[0], "buttons": buttons, "reason": reason,
                               "status": html_[1], "split": html_[2]})
        # page order: the order the panels' boxes appear in their parent VBox
        parents = [st for st in self.states.values() if any(
            p["box"] in ids(st) for p in panels) and "ck-choice" not in st.get("_dom_classes", [])]
        order = ids(parents[0]) if parents else []
        self.panels = sorted(panels, key=lambda p: order.index(p["box"]) if p["box"] in order else 99)

    def shows(self, text: str) -> bool:
        """Whether an HTML widget of the page holds ``text``."""
        return any(text in str(st.get("value", "")) for st in self.states.values() if st.get("_model_name") == "HTMLModel")

    def value(self, cid: str) -> str:
        return str(self.states.get(cid, {}).get("value", ""))

    def picked(self, panel: int) -> int | None:
        for i, b in enumerate(self.panels[panel]["buttons"]):
            if str(self.states[b].get("description", "")).startswith("●"):
                return i
        return None

    async def click(self, panel: int, option: int) -> list[dict]:
        cid = self.panels[panel]["buttons"][option]
        return await self.request("comm_msg", {"comm_id": cid, "data": {"method": "custom", "content": {"event": "click"}}},
                                  needs_reply=False)

    async def type_reason(self, panel: int, text: str) -> list[dict]:
        cid = self.panels[panel]["reason"]
        self.states[cid]["value"] = text
        return await self.request("comm_msg", {"comm_id": cid, "data": {
            "method": "update", "state": {"value": text}, "buffer_paths": []}}, needs_reply=False)

    async def wait_until(self, check, timeout: float = WAIT) -> float:
        """Until ``check()`` holds (after widget updates arrive); the time it first held."""
        deadline = time.monotonic() + timeout
        while not check():
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{self.name}: not within {timeout:.0f} s")
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), min(left, 1.0))
            except asyncio.TimeoutError:
                pass
        return time.monotonic()

    async def close(self, shutdown: bool = True) -> None:
        if self.ws is not None:
            self.ws.close()
            self.ws = None
        if shutdown and self.kernel_id:
            from tornado.httpclient import AsyncHTTPClient

            xsrf = self.cookies.get("_xsrf", "")
            await AsyncHTTPClient().fetch(self.server.url(f"/voila/api/shutdown/{self.kernel_id}"), method="POST",
                                          body=f"_xsrf={xsrf}", headers={"Cookie": f"_xsrf={xsrf}"},
                                          raise_error=False, request_timeout=30)


def run(coro):
    return asyncio.run(coro)


def _votes_in(folder: Path) -> list[tuple]:
    con = sqlite3.connect(f"file:{folder / 'casekit-live.sqlite3'}?mode=ro", uri=True)
    try:
        return con.execute("SELECT unit, point, round, voter, option, reason FROM votes ORDER BY voter, point").fetchall()
    finally:
        con.close()


# --------------------------------------------------------------------------------------------
# in-process: the widgets' live mode and the hook's pieces (no server)
# --------------------------------------------------------------------------------------------
@pytest.fixture
def live_env(tmp_path, monkeypatch):
    """A class store and the environment a classroom kernel has (folder and student id)."""
    folder = tmp_path / "class"
    folder.mkdir()
    store = ClassStore(folder, class_name="Test class")
    sid = store.issue_student()
    monkeypatch.setenv(reveal.FOLDER_ENV, str(folder))
    monkeypatch.setenv(reveal.STUDENT_ENV, sid)
    monkeypatch.setenv("CASEKIT_CONFIG_DIR", str(tmp_path / "cfg"))
    monkeypatch.delenv("VOILA_PREHEAT", raising=False)
    reveal._LINKS.clear()
    yield SimpleNamespace(folder=folder, store=store, sid=sid)
    reveal._LINKS.clear()
    casekit.set_language("en")
    store.close()


def test_the_panel_follows_the_instructor_and_votes_into_the_class_store(live_env):
    store, sid = live_env.store, live_env.sid
    panel = reveal.decide(UNIT_NAME)
    link = reveal.live_link()
    p = panel.panels[0]
    assert all(b.disabled for b in p.buttons) and "not opened yet" in p.status.value
    store.open_voting(UNIT_NAME, p.point.id)
    assert link.poll_once() == 1 and not p.buttons[0].disabled and "Voting open" in p.question.value
    p.buttons[1].click()
    p.reason.value = "<img src=x onerror=alert(1)> 芯片受制于人"
    ballot = store.my_vote(sid, UNIT_NAME, p.point.id)
    assert ballot.option == p.point.options[1].id and ballot.reason.startswith("<img")
    p.buttons[0].click()     # a change, not a second vote
    assert store.split(UNIT_NAME, p.point.id).counts[p.point.options[0].id] == 1
    assert store.split(UNIT_NAME, p.point.id).total == 1
    assert not (live_env.folder.parent / "cfg" / "answers.json").exists()   # nothing kept beside the store
    store.close_voting(UNIT_NAME, p.point.id)
    link.poll_once()
    assert all(b.disabled for b in p.buttons) and "Voting closed" in p.question.value
    assert p.split.value == ""
    store.show_split(UNIT_NAME, p.point.id)
    link.poll_once()
    assert "How the class split (1 vote)" in p.split.value and "(your choice)" in p.split.value
    casekit.set_language("zh")
    assert "全班的选择（共 1 票）" in p.split.value and "投票已关闭" in p.question.value


def test_the_reveal_waits_for_the_instructor_and_opens_by_itself(live_env):
    decided = reveal.decide(UNIT_NAME)
    shown = reveal.what_happened(UNIT_NAME, decided)
    assert shown.button.layout.display == "none" and "celltag_ck-sequel" in shown.body.value
    shown.button.click()          # a student's press does nothing in a live session
    assert not shown.revealed
    live_env.store.release_b(UNIT_NAME)
    reveal.live_link().poll_once()
    assert shown.revealed and "display:none" not in shown.body.value and "{display:block!important}" in shown.body.value
    assert html.escape(casekit.decision_cases.load_case(UNIT_NAME).sequel.title_en) in shown.body.value
    live_env.store.release_b(UNIT_NAME, released=False)   # withdrawn: hidden again
    reveal.live_link().poll_once()
    assert not shown.revealed and "celltag_ck-sequel" in shown.body.value


def test_a_reset_starts_a_new_round_and_a_reload_restores_the_students_vote(live_env):
    store = live_env.store
    pid = reveal.points(UNIT_NAME)[1].id
    store.open_voting(UNIT_NAME, pid)
    first = reveal.decide(UNIT_NAME)
    first.panels[1].reason.value = "because"
    first.panels[1].buttons[2].click()
    again = reveal.decide(UNIT_NAME)        # a reload: a new panel, the same student
    assert again.panels[1].option == first.panels[1].point.options[2].id
    assert again.panels[1].reason.value == "because"
    store.reset(UNIT_NAME, pid)
    reveal.live_link().poll_once()
    assert again.panels[1].option is None and "not opened yet" in again.panels[1].status.value


def test_closed_voting_and_a_foreign_student_id_are_refused_in_both_languages(live_env, monkeypatch):
    panel = reveal.decide(UNIT_NAME)
    p = panel.panels[0]
    p._send(p.point.options[0].id)          # as a page would if it raced the instructor's close
    assert "Voting is closed" in p.status.value and "投票已关闭" in p.status.value
    other = live_env.folder.parent / "other"
    other.mkdir()
    foreign = ClassStore(other, class_name="Another class").issue_student()
    monkeypatch.setenv(reveal.STUDENT_ENV, foreign)
    reveal._LINKS.clear()
    live_env.store.open_voting(UNIT_NAME, p.point.id)
    q = reveal.decide(UNIT_NAME).panels[0]
    assert all(b.disabled for b in q.buttons)
    assert "another class" in q.status.value and "另一个班级" in q.status.value
    monkeypatch.delenv(reveal.STUDENT_ENV)
    reveal._LINKS.clear()
    r = reveal.decide(UNIT_NAME).panels[0]
    assert all(b.disabled for b in r.buttons) and "did not come with a student id" in r.status.value
    assert live_env.store.split(UNIT_NAME, p.point.id).total == 0


def test_an_essay_is_cut_to_a_sentence_and_a_missing_store_is_explained(live_env, monkeypatch):
    p = reveal.decide(UNIT_NAME).panels[0]
    live_env.store.open_voting(UNIT_NAME, p.point.id)
    reveal.live_link().poll_once()
    p.buttons[0].click()
    p.reason.value = "理" * 50_000
    assert len(p.reason.value) == REASON_LIMIT
    assert len(live_env.store.my_vote(live_env.sid, UNIT_NAME, p.point.id).reason) == REASON_LIMIT
    monkeypatch.setenv(reveal.FOLDER_ENV, str(live_env.folder.parent / "nowhere"))
    q = reveal.decide(UNIT_NAME).panels[0]
    assert all(b.disabled for b in q.buttons) and "does not exist" in q.status.value and "不存在" in q.status.value


def test_a_preheated_page_learns_its_student_when_opened_and_sends_a_pick_made_meanwhile(live_env, monkeypatch):
    monkeypatch.delenv(reveal.STUDENT_ENV)
    monkeypatch.setenv("VOILA_PREHEAT", "True")
    pid = reveal.points(UNIT_NAME)[1].id
    live_env.store.open_voting(UNIT_NAME, pid)
    panel = reveal.decide(UNIT_NAME)
    p = panel.panels[1]
    assert "Connecting" in p.status.value and not p.buttons[0].disabled
    p.buttons[3].click()                     # before the id arrives: kept, shown, not yet sent
    assert live_env.store.split(UNIT_NAME, pid).total == 0 and p.buttons[3].description.startswith("●")
    reveal.live_link().identity_arrived({reveal.STUDENT_ENV: live_env.sid, "QUERY_STRING": "token=x"})
    assert live_env.store.my_vote(live_env.sid, UNIT_NAME, pid).option == p.point.options[3].id
    assert os.environ[reveal.STUDENT_ENV] == live_env.sid and "Your vote is in" in p.status.value


def test_a_class_that_gives_names_asks_for_one(live_env):
    live_env.store.set_names(True)
    panel = reveal.decide(UNIT_NAME)
    assert panel.name is not None and "Your name" in panel.name.placeholder
    p = panel.panels[0]
    live_env.store.open_voting(UNIT_NAME, p.point.id)
    reveal.live_link().poll_once()
    panel.name.value = "王小明"
    p.buttons[0].click()
    assert live_env.store.reasons(UNIT_NAME, p.point.id) == [] and \
        live_env.store.my_vote(live_env.sid, UNIT_NAME, p.point.id).name == "王小明"


class _FakeHandler:
    def __init__(self, cookie=None, header=None):
        self.cookies = {} if cookie is None else dict(cookie)
        self.set = {}
        self.base_url = "/"
        self.request = SimpleNamespace(headers={} if header is None else {"X-Casekit-Student": header})

    def get_cookie(self, name):
        return self.cookies.get(name)

    def set_cookie(self, name, value, **kw):
        self.set[name] = (value, kw)


def test_the_hook_issues_one_signed_id_per_browser_and_overwrites_a_forged_header(tmp_path):
    args = SimpleNamespace(class_folder=str(tmp_path / "new-class"), class_name="MBA A", instructor_token=None,
                           names=False)
    live = live_server.install(args, "zh", "student-token")
    assert live.created and (tmp_path / "new-class" / "casekit-live.sqlite3").is_file()
    first = _FakeHandler(header="forged")
    sid = live.on_page(first)
    value, kw = first.set[live.cookie_name]
    assert value == sid and kw["httponly"] and kw["samesite"] == "Lax"
    assert first.request.headers["X-Casekit-Student"] == sid and live.store.verify_student(sid)
    again = _FakeHandler(cookie={live.cookie_name: sid}, header="forged")
    assert live.on_page(again) == sid and not again.set          # a reload: the same student, no new cookie
    foreign = ClassStore(tmp_path, class_name="other").issue_student()
    stray = _FakeHandler(cookie={live.cookie_name: foreign})
    assert live.on_page(stray) != foreign and stray.set              # another class's id: a new one
    env = live.kernel_env()
    assert env[reveal.FOLDER_ENV] == str(tmp_path / "new-class") and env["CASEKIT_CLASSROOM"] == "1"
    assert live.voila_argv() == ["--VoilaConfiguration.http_header_envs=X-Casekit-Student"]
    assert "casekit/instructor?key=" in live.welcome("http://127.0.0.1:8866/")
    again = live_server.install(args, "zh", "student-token")         # the same folder: the same class
    assert not again.created and again.store.class_id == live.store.class_id


def test_the_hook_refuses_what_would_mix_classes_or_expose_the_instructor(tmp_path):
    base = dict(class_folder=None, class_name=None, instructor_token=None, names=False)
    assert live_server.install(SimpleNamespace(**base), "en") is None
    with pytest.raises(casekit.CasekitError, match="--class-folder"):
        live_server.install(SimpleNamespace(**{**base, "instructor_token": "x" * 20}), "en")
    folder = tmp_path / "c"
    with pytest.raises(casekit.CasekitError, match="at least 12"):
        live_server.install(SimpleNamespace(**{**base, "class_folder": str(folder), "instructor_token": "short"}), "en")
    with pytest.raises(casekit.CasekitError, match="differ from the students"):
        live_server.install(SimpleNamespace(**{**base, "class_folder": str(folder), "instructor_token": "s" * 16}),
                            "en", "s" * 16)
    live_server.install(SimpleNamespace(**{**base, "class_folder": str(folder), "class_name": "A"}), "en")
    with pytest.raises(LiveError, match="each class needs its own folder"):
        live_server.install(SimpleNamespace(**{**base, "class_folder": str(folder), "class_name": "B"}), "en")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "casekit-live.sqlite3").write_text("my notes")
    with pytest.raises(LiveError, match="not a casekit class store"):
        live_server.install(SimpleNamespace(**{**base, "class_folder": str(tmp_path / "notes")}), "en")


def test_the_served_copy_hides_the_cells_after_the_reveal(tmp_path):
    from casekit.classroom import prepare_folder

    folder = prepare_folder("en", tmp_path / "served")
    live = live_server.install(SimpleNamespace(class_folder=str(tmp_path / "cls"), class_name=None,
                                               instructor_token=None, names=False), "en")
    assert live.prepare(folder) > 0
    nb = json.loads((folder / f"{UNIT}.ipynb").read_text(encoding="utf-8"))
    tags = [c.get("metadata", {}).get("tags", []) for c in nb["cells"]]
    at = next(i for i, t in enumerate(tags) if reveal.REVEAL_TAG in t)
    assert all(reveal.SEQUEL_TAG in t for t in tags[at + 1:]) and not any(reveal.SEQUEL_TAG in t for t in tags[:at])
    before = (folder / f"{UNIT}.ipynb").read_text(encoding="utf-8")
    live.prepare(folder)   # idempotent
    assert (folder / f"{UNIT}.ipynb").read_text(encoding="utf-8") == before


# --------------------------------------------------------------------------------------------
# the server
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def server(tmp_path_factory):
    pytest.importorskip("voila", reason="the classroom extra is not installed: pip install -e '.[classroom]'")
    work = tmp_path_factory.mktemp("live")
    module, extra = live_classroom_module(work / "hook")
    srv = LiveServer(work, ["--pool", "0", "--warm", "03:2", "--max-students", "12", "--lang", "en"],
                     folder=work / "class-a", module=module, extra_path=extra)
    srv.start()
    try:
        srv.wait_for_pool(UNIT, timeout=240)
        yield srv
    finally:
        srv.stop()


def test_students_are_refused_the_instructors_pages_with_a_page_that_says_why(server):
    code, _, body = http_get(server.url("/casekit/instructor"))
    assert code == 403 and "This page is for the class's instructor" in body and "这是本班教师的页面" in body
    code, _, body = http_get(server.url("/casekit/instructor/export.csv"))
    assert code == 403 and "instructor" in body
    code, _, body = http_get(server.url("/casekit/instructor/../../casekit/instructor/x"))
    assert code in (403, 404)
    code, out = server.api(f"state.json?unit={UNIT_NAME}", headers={})
    assert code == 403 and out["error"] == "forbidden" and "只有本班教师" in out["zh"]
    code, out = server.api("action", {"action": "open", "unit": UNIT_NAME, "point": "buy_or_build"},
                           headers={"X-Casekit-Instructor": server.token})     # the students' token is not the key
    assert code == 403
    # The key in the address: a cookie for the instructor's pages and a redirect without it.
    code, headers, _ = http_get(f"{server.base}/casekit/instructor?key={server.instructor}")
    assert code == 302 and headers["Location"] == "/casekit/instructor"
    cookie = headers["Set-Cookie"].split(";")[0]
    assert "HttpOnly" in headers["Set-Cookie"] and "SameSite=Strict" in headers["Set-Cookie"]
    code, out = server.api(f"state.json?unit={UNIT_NAME}", headers={"Cookie": cookie})
    assert code == 200 and out["unit"] == UNIT_NAME
    # The cookie alone cannot press a control: a POST needs the page's own value too (no cross-site forms).
    code, out = server.api("action", {"action": "open", "unit": UNIT_NAME, "point": "buy_or_build"},
                           headers={"Cookie": cookie, "Content-Type": "text/plain"})
    assert code == 403
    code, out = server.api("action", {"action": "open", "unit": UNIT_NAME, "point": "buy_or_build"},
                           headers={"Cookie": cookie, "X-Casekit-Instructor": "a guess"})
    assert code == 403
    req = urllib.request.Request(f"{server.base}/casekit/instructor", headers={"Cookie": cookie})
    with urllib.request.urlopen(req, timeout=30) as resp:
        page = resp.read().decode()
        csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'nonce-" in csp and "課" not in page
    csrf = re.search(r'"csrf": "([0-9a-f]+)"', page).group(1)
    code, out = server.api("action", {"action": "hide", "unit": UNIT_NAME, "point": "buy_or_build"},
                           headers={"Cookie": cookie, "X-Casekit-Csrf": csrf, "Content-Type": "application/json"})
    assert code == 200 and out["ok"]


def test_bad_controls_and_another_class_are_refused_in_both_languages(server):
    code, out = server.api("action", {"action": "open", "unit": UNIT_NAME, "point": "no_such_point"})
    assert code == 400 and out["error"] == "unknown_point" and "决策点" in out["zh"]
    code, out = server.api("action", {"action": "explode", "unit": UNIT_NAME, "point": "buy_or_build"})
    assert code == 400 and out["error"] == "unknown_action"
    code, out = server.api("action", {"action": "release", "unit": "<b>nowhere</b>"})
    assert code == 400 and out["error"] == "unknown_unit" and "没有单元" in out["zh"]
    code, out = server.api("action", {"action": "open", "unit": UNIT_NAME, "point": "buy_or_build", "class": "0badc1a55"})
    assert code == 409 and out["error"] == "other_class" and "请刷新页面" in out["zh"]
    code, out = server.api(f"state.json?unit={UNIT_NAME}&class=0badc1a55")
    assert code == 409
    code, out = server.api("state.json?unit=../../etc/passwd")
    assert code == 400 and out["error"] == "unknown_unit"
    req = urllib.request.Request(server.base + "/casekit/instructor/action", data=b"x" * 10_000, method="POST",
                                 headers={INSTRUCTOR_HEADER: server.instructor})
    try:
        urllib.request.urlopen(req, timeout=30)
        raise AssertionError("an oversized control was accepted")
    except urllib.error.HTTPError as exc:
        assert exc.code == 400 and "JSON" in json.loads(exc.read())["en"]


def test_a_class_votes_sees_its_split_and_gets_case_b_without_a_reload(server):
    async def scenario():
        students = [LiveStudent(server, f"s{i}") for i in range(3)]
        # Two pages on preheated kernels (the id arrives over Voilà's socket), one started for its page.
        await asyncio.gather(*(s.open() for s in students))
        assert all(len(s.panels) == 3 for s in students), [len(s.panels) for s in students]
        sids = {s.sid_cookie for s in students}
        assert len(sids) == 3 and None not in sids
        decision = "chip_path"      # six options; the panel after buy_or_build
        # Voting closed: the panel says so, and the buttons are disabled.
        assert all(s.states[s.panels[1]["buttons"][0]].get("disabled") for s in students)
        server.act("open", point=decision)
        # the words come last (after the buttons' state): once a page says "open", its buttons take a vote
        await asyncio.gather(*(s.wait_until(lambda s=s: "Voting open" in s.value(s.panels[1]["question"]))
                               for s in students))
        assert all(not s.states[s.panels[1]["buttons"][0]].get("disabled") for s in students)
        for i, s in enumerate(students):
            await s.type_reason(1, ["<script>alert('x')</script>", "Own chips or stay dependent", "成本太高"][i])
            await s.click(1, [0, 1, 0][i])
        await students[0].click(1, 2)          # a change of mind: still one vote
        st = server.state()
        pt = next(p for p in st["points"] if p["id"] == decision)
        assert pt["votes"] == 3 and [o["count"] for o in pt["options"]][:3] == [1, 1, 1]
        assert any(r["reason"] == "<script>alert('x')</script>" for r in pt["reasons"])   # kept as text
        assert all(r["name"] is None for r in pt["reasons"])                                # anonymous class
        server.act("close", point=decision)
        await asyncio.gather(*(s.wait_until(lambda s=s: "Voting closed" in s.value(s.panels[1]["question"]))
                               for s in students))
        await students[2].click(1, 1)          # too late: refused, the vote stands, the page says why
        assert students[2].picked(1) == 0 and "Voting is closed" in students[2].value(students[2].panels[1]["status"])
        assert next(p for p in server.state()["points"] if p["id"] == decision)["votes"] == 3
        t0 = time.monotonic()
        server.act("show", point=decision)
        arrived = await asyncio.gather(*(s.wait_until(lambda s=s: "How the class split (3 votes)" in s.value(s.panels[1]["split"]))
                                         for s in students))
        assert max(arrived) - t0 < 5
        server.act("release")
        title = html.escape(casekit.decision_cases.load_case(UNIT_NAME).sequel.title_en)
        await asyncio.gather(*(s.wait_until(lambda s=s: s.shows(title)) for s in students))
        assert not any(s.shows("celltag_ck-sequel{display:none") for s in students)
        # A reload is the same voter: a new kernel shows the vote, and nothing is doubled.
        again = LiveStudent(server, "s0-again", cookies=students[0].cookies)
        await again.open()
        assert again.sid_cookie == students[0].sid_cookie and again.picked(1) == 2
        assert "your vote stands" in again.value(again.panels[1]["status"])
        # A page that forges the header X-Casekit-Student gets its own cookie's id, never the forged one.
        forger = LiveStudent(server, "forger", cookies=students[1].cookies)
        await forger.open(extra_headers={"X-Casekit-Student": students[0].sid_cookie})
        assert forger.sid_cookie == students[1].sid_cookie and forger.picked(1) == 1
        for s in students + [again, forger]:
            await s.close()

    run(scenario())
    rows = [r for r in _votes_in(server.folder) if r[0] == UNIT_NAME and r[1] == "chip_path"]
    assert len(rows) == 3 and len({r[3] for r in rows}) == 3
    code, csv_text = server.api(f"export.csv?unit={UNIT_NAME}")
    assert code == 200 and csv_text.splitlines()[0].startswith("class_id,class_name,unit,point")
    assert "'<script>" not in csv_text and "<script>alert('x')</script>" in csv_text and "name" not in csv_text.splitlines()[0].split(",")


def test_a_restart_in_the_middle_of_a_vote_loses_no_recorded_vote(server):
    """Students vote while the server stops and starts again on the same folder: every vote a page
    showed as recorded is in the store afterwards, and the reloaded pages show it; none doubled."""
    point = "buy_or_build"
    server.act("withdraw")
    server.act("reset", point=point)
    server.act("open", point=point)
    acknowledged: dict[str, int] = {}
    in_flight: dict[str, int] = {}

    async def first_half():
        students = [LiveStudent(server, f"r{i}") for i in range(3)]
        await asyncio.gather(*(s.open() for s in students))
        for s in students:
            await s.close(shutdown=False)
        students = [LiveStudent(server, s.name, cookies=s.cookies) for s in students]
        await asyncio.gather(*(s.open() for s in students))
        await asyncio.gather(*(s.wait_until(lambda s=s: not s.states[s.panels[0]["buttons"][0]].get("disabled"))
                               for s in students))

        async def keep_voting(s: LiveStudent, k: int):
            option = k % 2
            while True:
                in_flight[s.sid_cookie] = option
                try:
                    await s.click(0, option)
                except Exception:   # the server went away mid-click: not acknowledged
                    return
                if s.picked(0) != option:   # the kernel is going away: this click was not recorded
                    return
                acknowledged[s.sid_cookie] = option
                option = (option + 1) % 2
                await asyncio.sleep(0.05)

        tasks = [asyncio.ensure_future(keep_voting(s, k)) for k, s in enumerate(students)]
        await asyncio.sleep(1.5)
        # Stop the server while the votes keep coming (SIGTERM: Voilà shuts every kernel down).
        os.kill(server.proc.pid, signal.SIGTERM)
        await asyncio.wait(tasks, timeout=40)
        return [s.cookies for s in students]

    cookies = run(first_half())
    server.proc.wait(timeout=60)
    server.log.close()
    assert len(acknowledged) == 3
    server.start()
    server.wait_for_pool(UNIT, timeout=240)
    this_round = next(p for p in server.state()["points"] if p["id"] == point)["round"]
    rows = [r for r in _votes_in(server.folder) if r[1] == point and r[2] == this_round]
    assert len(rows) == 3 and len({r[3] for r in rows}) == 3     # one row per student, none doubled

    async def after():
        back = [LiveStudent(server, f"back{i}", cookies=c) for i, c in enumerate(cookies)]
        await asyncio.gather(*(s.open() for s in back))
        shown = {s.sid_cookie: s.picked(0) for s in back}
        for s in back:
            await s.close()
        return shown

    shown = run(after())
    # Each page shows the last vote it saw recorded, or the one it was sending when the server
    # stopped (committed, but its answer never came back): never an older one.
    for sid, option in shown.items():
        assert option in (acknowledged[sid], in_flight[sid]), (shown, acknowledged, in_flight)
    pt = next(p for p in server.state()["points"] if p["id"] == point)
    assert pt["votes"] == 3
