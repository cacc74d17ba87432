"""The live case session on the classroom server: the instructor's page, the students' ids, the hook.

    python -m casekit.classroom --class-folder classes/mba-2025a --lang zh --lan --warm 02:40

With ``--class-folder`` the classroom server (``casekit.classroom``) keeps the class's decisions in
that folder (:class:`casekit.live.ClassStore`, SQLite) and adds, through :func:`install`:

* **a student id per browser**: the first unit page a browser opens gets an HttpOnly cookie
  (``casekit_student_<class id>``) holding an id signed by the class's store; every page request
  then carries it to the page's kernel as the header ``X-Casekit-Student`` (the server sets that
  header itself and overwrites whatever a browser sent; Voilà hands it to the kernel as
  ``HTTP_X_CASEKIT_STUDENT``, to a preheated kernel over its request-info socket). A reload, a
  new kernel or a server restart keeps the student one voter; the class token alone is no identity.
* **the instructor's page** ``/casekit/instructor``, behind a token of its own (``--instructor-token``,
  random by default and printed only in the instructor's terminal): the live split of every decision
  point as bars readable on a projector (both languages, the class language first), the reasons
  (shown as text, never as markup; anonymous unless the class chose names), and the controls: open
  and close voting, show the split to the students, release (or withdraw) the B case, reset a point,
  export CSV. A plain page and a little JavaScript that asks ``state.json`` once a second; no kernel.
* a bilingual 403 page for anyone else who tries the instructor's pages (students included).

The students' pages follow without a reload: their kernels poll the store (``casekit.reveal``).

The instructor opens ``/casekit/instructor?key=TOKEN`` once; the server answers with an HttpOnly,
SameSite=Strict cookie and a redirect to the bare address, so the token leaves the address bar.
Controls are POST requests that must carry a value only the instructor's page knows (header
``X-Casekit-Csrf``), so another site cannot press them through the instructor's browser; a script may
send the token itself in ``X-Casekit-Instructor`` instead.
"""
from __future__ import annotations

import hashlib
import hmac
import html
import io
import json
import os
import re
import secrets
from datetime import datetime
from pathlib import Path
from typing import Any

from . import decision_cases as dc
from . import units as _units
from .errors import CasekitError
from .live import ClassStore, LiveError, escape_reason
from .reveal import FOLDER_ENV, STUDENT_HEADER, mark_sequel

__all__ = ["LiveSession", "install", "instructor_page", "forbidden_page", "COOKIE_PREFIX", "PREFIX"]

COOKIE_PREFIX = "casekit_student_"     # + the class id: two classes on one machine keep their own ids
INSTRUCTOR_COOKIE = "casekit_instructor_"
PREFIX = "casekit/instructor"          # under the server's base URL
POLL_MS = 1000                         # how often the instructor's page asks for news
STUDENT_DAYS = 200                     # how long a browser keeps its student id (a term and then some)
ACTIONS = ("open", "close", "show", "hide", "release", "withdraw", "reset")
_MAX_BODY = 4096
_INSTRUCTOR_TOKEN = re.compile(r"[A-Za-z0-9._~-]{12,200}")   # it goes into a link, as the students' --token does


def _both(en: str, zh: str, lang: str) -> tuple[str, str]:
    return (zh, en) if lang == "zh" else (en, zh)


class LiveSession:
    """One class's live session on a classroom server (what :func:`install` returns).

    ``kernel_env()`` goes into the environment every kernel inherits, ``voila_argv()`` onto Voilà's
    command line, ``handlers(base_url)`` before Voilà's own routes, and ``on_page(handler)`` runs in
    the unit page handler before the page is rendered.
    """

    def __init__(self, store: ClassStore, instructor_token: str, lang: str, created: bool = False):
        self.store, self.lang, self.created = store, lang, created
        self._token = instructor_token
        self.cookie_name = COOKIE_PREFIX + store.class_id
        self.instructor_cookie = INSTRUCTOR_COOKIE + store.class_id
        key = hashlib.sha256(b"casekit-instructor\x00" + instructor_token.encode("utf-8")).digest()
        self._cookie_value = hmac.new(key, b"cookie\x00" + store.class_id.encode(), hashlib.sha256).hexdigest()
        self.csrf = hmac.new(key, b"csrf\x00" + store.class_id.encode(), hashlib.sha256).hexdigest()[:32]
        self.units = [u for u in _units.unit_names() if store.points(u)]

    # -------------------------------------------------------------------- the hook
    def kernel_env(self) -> dict[str, str]:
        return {FOLDER_ENV: str(self.store.folder), "CASEKIT_CLASSROOM": "1"}

    def voila_argv(self) -> list[str]:
        return [f"--VoilaConfiguration.http_header_envs={STUDENT_HEADER}"]

    def prepare(self, folder: Path) -> int:
        """Tag the cells after each unit's reveal ``ck-sequel`` in the served copies (idempotent)."""
        tagged = 0
        for nb_path in sorted(Path(folder).glob("*.ipynb")):
            nb = json.loads(nb_path.read_text(encoding="utf-8"))
            before = json.dumps(nb, sort_keys=True)
            n = mark_sequel(nb)
            if n and json.dumps(nb, sort_keys=True) != before:
                nb_path.write_text(json.dumps(nb, ensure_ascii=False, indent=1), encoding="utf-8")
            tagged += n
        return tagged

    def on_page(self, handler) -> str:
        """Give this browser its student id (a cookie, issued once) and hand it to the page's kernel
        as the ``X-Casekit-Student`` header; a header the browser sent itself is overwritten."""
        sid = handler.get_cookie(self.cookie_name)
        if not (sid and self.store.verify_student(sid)):
            sid = self.store.issue_student()
            handler.set_cookie(self.cookie_name, sid, path=handler.base_url, httponly=True, samesite="Lax",
                               expires_days=STUDENT_DAYS)
        handler.request.headers[STUDENT_HEADER] = sid
        return sid

    def handlers(self, base_url: str = "/") -> list[tuple]:
        base = base_url if base_url.endswith("/") else base_url + "/"
        root = re.escape(base + PREFIX)
        session = {"live": self}
        return [(root + r"/?", _page_handler(), session),
                (root + r"/state\.json", _state_handler(), session),
                (root + r"/action", _action_handler(), session),
                (root + r"/export\.csv", _export_handler(), session),
                (root + r"/.+", _forbidden_handler(), session)]

    def welcome(self, url: str) -> str:
        """The lines the instructor's terminal shows (never the students')."""
        base = url if url.endswith("/") else url + "/"
        votes = self.store.export_csv(io.StringIO())
        who = "names" if self.store.names else "anonymous"
        state = (f"new class, created {self.store.path}" if self.created
                 else f"continuing: {votes} vote(s) so far in {self.store.path}")
        return (f"  Live session / 实时投票: class {self.store.class_name or self.store.class_id} "
                f"(id {self.store.class_id}, {who}); {state}\n"
                f"  Instructor only, keep it private / 仅限教师，请勿公开:\n"
                f"    {base}{PREFIX}?key={self._token}\n"
                f"  Votes are kept in the class folder until you delete them (casekit.live.delete_class).\n"
                f"  投票保存在班级文件夹中，直到教师删除（casekit.live.delete_class）。\n")

    # -------------------------------------------------------------------- who is the instructor
    def is_instructor(self, handler) -> bool:
        cookie = handler.get_cookie(self.instructor_cookie) or ""
        if cookie and hmac.compare_digest(cookie.encode(), self._cookie_value.encode()):
            return True
        given = handler.request.headers.get("X-Casekit-Instructor", "")
        return bool(given) and hmac.compare_digest(given.encode("utf-8", "replace"), self._token.encode("utf-8"))

    def key_matches(self, key: str) -> bool:
        return bool(key) and hmac.compare_digest(key.encode("utf-8", "replace"), self._token.encode("utf-8"))

    def csrf_ok(self, handler) -> bool:
        """A POST carries what a cross-site form cannot: the page's own value, or the key itself."""
        key = handler.request.headers.get("X-Casekit-Instructor", "")
        if key:   # a script that sends the key itself
            return self.key_matches(key)
        given = handler.request.headers.get("X-Casekit-Csrf", "")
        return bool(given) and hmac.compare_digest(given.encode("utf-8", "replace"), self.csrf.encode())

    # -------------------------------------------------------------------- what the page shows
    def state(self, unit: str) -> dict[str, Any]:
        """Everything the instructor's page draws for one unit, as plain JSON-ready data."""
        st = self.store.state(unit)
        unit = st.unit          # the unit's name, however it was asked for (a number, another spelling)
        case = dc.load_case(unit)
        points = []
        for p in self.store.points(unit):
            ps = st.point(p.id)
            split = self.store.split(unit, p.id)
            labels = {o.id: o for o in p.options}
            points.append({
                "id": p.id, "kind": p.kind, "question_zh": p.question_zh, "question_en": p.question_en,
                "status": ps.status, "shown": ps.shown, "round": ps.round, "votes": split.total,
                "options": [{"id": k, "zh": labels[k].zh if k in labels else k, "en": labels[k].en if k in labels else k,
                             "count": n} for k, n in split.counts.items()],
                "reasons": [{"option": r.option, "reason": r.reason, "name": r.name}
                            for r in self.store.reasons(unit, p.id)],
            })
        return {"class": {"id": self.store.class_id, "name": self.store.class_name, "names": self.store.names},
                "unit": st.unit, "version": st.version, "released": st.released, "has_b": case.sequel is not None,
                "title_zh": _units.unit_heading(unit, "zh"), "title_en": _units.unit_heading(unit, "en"),
                "points": points}

    def act(self, action: str, unit: str, point: str | None) -> None:
        s = self.store
        if action not in ACTIONS:
            raise LiveError("unknown_action", f"There is no control {str(action)[:30]!r}; the controls are: "
                            f"{', '.join(ACTIONS)}.", f"没有操作 {str(action)[:30]!r}；可用操作：{'、'.join(ACTIONS)}。")
        if action in ("release", "withdraw"):
            if dc.load_case(s._unit(unit)).sequel is None:
                raise LiveError("no_b_case", f"Unit {unit} is an analysis exercise and has no case B to release.",
                                f"{unit} 单元是分析练习，没有可公布的 B 案例。")
            s.release_b(unit, action == "release")
            return
        if not isinstance(point, str):
            raise LiveError("no_point", "Say which decision point this control is for.", "请指明这个操作针对哪个决策点。")
        {"open": lambda: s.open_voting(unit, point), "close": lambda: s.close_voting(unit, point),
         "show": lambda: s.show_split(unit, point, True), "hide": lambda: s.show_split(unit, point, False),
         "reset": lambda: s.reset(unit, point)}[action]()


def install(args: Any, lang: str, student_token: str | None = None) -> LiveSession | None:
    """The live session for a classroom server started with ``--class-folder`` (None without one).

    ``args`` is the classroom's argparse namespace: ``class_folder``, ``class_name``,
    ``instructor_token``, ``names``. A folder that does not exist yet is created (a new class);
    one that holds another class, or a file that is no class store, is refused with the reason.
    """
    folder = getattr(args, "class_folder", None)
    token = getattr(args, "instructor_token", None)
    names = bool(getattr(args, "names", False))
    class_name = getattr(args, "class_name", None)
    if folder is None:
        if token or names or class_name:
            raise CasekitError("--instructor-token, --names and --class-name belong to a live session: add "
                               "--class-folder DIR (the folder that keeps this class's decisions).\n"
                               "--instructor-token、--names 和 --class-name 用于实时投票：请同时给出 --class-folder 目录"
                               "（保存本班决策的文件夹）。")
        return None
    text = os.fspath(folder) if isinstance(folder, (str, os.PathLike)) else None
    if not isinstance(text, str) or not text.strip() or "\x00" in text or len(text) > 1024:
        shown = repr(folder)[:40]
        raise CasekitError(f"--class-folder names the class's folder, e.g. --class-folder classes/mba-2025a; got {shown}.\n"
                           f"--class-folder 是本班的文件夹，例如 --class-folder classes/mba-2025a；收到的是 {shown}。")
    if token is None:
        token = secrets.token_urlsafe(18)
    elif not isinstance(token, str) or not _INSTRUCTOR_TOKEN.fullmatch(token) or token == student_token:
        raise CasekitError("--instructor-token must have at least 12 characters (letters, digits or . _ ~ -, no spaces) "
                           "and differ from the students' --token (the students must not be able to open the "
                           "instructor's page).\n"
                           "--instructor-token 至少 12 个字符（字母、数字或 . _ ~ -，不能有空格），且不能与学生的 --token "
                           "相同（学生不能打开教师页面）。")
    created = False
    try:
        path = Path(text).expanduser().absolute()
        if not path.exists():
            if path.is_symlink():
                raise FileNotFoundError(0, "a link to a folder that does not exist")
            path.mkdir(parents=True)
            created = True
    except (OSError, RuntimeError) as exc:
        why = getattr(exc, "strerror", None) or str(exc)
        raise CasekitError(f"Cannot create the class folder {text[:80]}: {why}. Give a folder you can write to, "
                           "e.g. --class-folder classes/mba-2025a.\n"
                           f"无法创建班级文件夹 {text[:80]}：{why}。请给出一个可写的文件夹，例如 --class-folder classes/mba-2025a。") from None
    fresh = created or not (path / "casekit-live.sqlite3").exists()
    try:
        store = ClassStore(path, class_name=class_name, names=True if names else None)
    except BaseException:
        if created:   # a refused start leaves no empty folder behind
            try:
                path.rmdir()
            except OSError:
                pass
        raise
    return LiveSession(store, token, lang, created=fresh)


# --------------------------------------------------------------------------------------------
# pages
# --------------------------------------------------------------------------------------------
_PAGE_STYLE = """
*{box-sizing:border-box}
body{font-family:"WenQuanYi Micro Hei","Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;margin:0;
 color:#1d232b;background:#f6f7f9;font-size:20px;line-height:1.4}
header{display:flex;flex-wrap:wrap;align-items:center;gap:12px 24px;padding:14px 28px;background:#14365e;color:#fff}
header h1{font-size:26px;margin:0;font-weight:600}header .cls{font-size:18px;opacity:.85}
nav{display:flex;gap:8px;flex-wrap:wrap}nav button{font-size:18px;padding:6px 14px;border-radius:6px;border:1px solid #9fb6d3;
 background:#24507f;color:#fff;cursor:pointer}nav button.on{background:#fff;color:#14365e;font-weight:600}
#online{margin-left:auto;font-size:16px}#online.off{color:#ffb3b3;font-weight:600}
#err{display:none;margin:12px 28px;padding:12px 16px;background:#fdecea;border:1px solid #e0a39c;color:#7a1f14;font-size:18px}
#unit-title{margin:18px 28px 4px;font-size:28px}#unit-title .t2{font-size:20px;color:#556;font-weight:400;margin-left:12px}
#points{display:grid;grid-template-columns:repeat(auto-fit,minmax(820px,1fr));gap:20px;padding:10px 28px 18px}
section.pt{background:#fff;border:1px solid #d5dae1;border-radius:8px;padding:16px 20px}
.kind{font-size:16px;color:#556;text-transform:uppercase;letter-spacing:.04em}
.q1{font-size:26px;font-weight:600;margin:4px 0 2px}.q2{font-size:19px;color:#556;margin-bottom:8px}
.meta{display:flex;gap:14px;flex-wrap:wrap;font-size:18px;margin:6px 0 10px}
.badge{padding:2px 10px;border-radius:12px;background:#eee}.badge.open{background:#dff3e3;color:#145c25;font-weight:600}
.badge.shown{background:#e4ecfa;color:#1a3f7a}
.opt{display:grid;grid-template-columns:minmax(300px,44%) 1fr 120px;align-items:center;gap:12px;margin:8px 0}
.opt .l1{font-size:21px}.opt .l2{display:block;font-size:16px;color:#556}
.track{background:#eef1f5;height:34px;border-radius:4px;overflow:hidden}
.fill{background:#2f6fb3;height:34px;transition:width .4s}
.n{font-size:26px;font-weight:600;text-align:right}.n small{font-size:17px;color:#556;font-weight:400}
.controls{display:flex;flex-wrap:wrap;gap:8px;margin:12px 0 6px}
.controls button,#release{font-size:18px;padding:8px 14px;border-radius:6px;border:1px solid #8aa0bb;background:#fff;cursor:pointer}
.controls button.primary,#release.primary{background:#14365e;color:#fff;border-color:#14365e}
.controls button.danger{border-color:#b3413a;color:#b3413a}
details{margin-top:8px}summary{cursor:pointer;font-size:19px;font-weight:600}
ul.reasons{max-height:330px;overflow:auto;margin:6px 0;padding-left:1.2em;font-size:18px}
ul.reasons li{margin:4px 0}ul.reasons .ro{color:#2f6fb3;font-weight:600;margin-right:6px}ul.reasons .who{color:#556}
footer{padding:8px 28px 28px;font-size:17px;color:#445}#bcase{display:flex;align-items:center;gap:16px;margin:0 28px 8px;
 padding:14px 20px;background:#fff;border:1px solid #d5dae1;border-radius:8px;font-size:20px}
a{color:#0b5cad}
"""

_LABELS = {   # (English, Chinese)
    "title": ("Live case session", "课堂实时投票"),
    "decision": ("Decision", "决策"), "prediction": ("Prediction", "预测"),
    "open": ("Open voting", "开放投票"), "close": ("Close voting", "关闭投票"),
    "show": ("Show split to class", "向全班显示结果"), "hide": ("Hide split", "隐藏结果"),
    "reset": ("Reset this point", "清空本题"), "release": ("Release case B", "公布 B 案例"),
    "withdraw": ("Withdraw case B", "撤回 B 案例"),
    "voting_open": ("Voting open", "投票中"), "voting_closed": ("Voting closed", "投票已关闭"),
    "shown": ("Split shown to class", "全班可见结果"), "hidden": ("Split hidden from class", "结果未向全班显示"),
    "votes": ("votes", "票"), "round": ("round", "第几轮"), "reasons": ("Reasons", "理由"),
    "no_reasons": ("No reasons yet.", "还没有理由。"),
    "b_out": ("Case B is released: students see what happened.", "B 案例已公布：学生可以看到后来发生了什么。"),
    "b_in": ("Case B is not released yet.", "B 案例尚未公布。"),
    "no_b": ("An analysis exercise: no case B to release.", "分析练习：没有 B 案例。"),
    "export": ("Export CSV (this unit)", "导出 CSV（本单元）"), "export_all": ("all units", "全部单元"),
    "online": ("live", "实时"), "offline": ("server not answering; retrying", "服务器无响应，正在重试"),
    "confirm_reset": ("Clear every vote of this point and start a new round? The log keeps that it happened.",
                      "清空本题的全部投票并开始新一轮？日志会记下这次清空。"),
    "anon": ("anonymous", "匿名"), "named": ("names given", "实名"),
    "keep": ("Votes stay in the class folder until you delete them (casekit.live.delete_class); the export has names "
             "only if the class chose names.",
             "投票保存在班级文件夹中，直到教师删除（casekit.live.delete_class）；只有选择实名的班级，导出文件中才有姓名。"),
}


def _label_pairs(lang: str) -> dict[str, list[str]]:
    return {k: list(_both(en, zh, lang)) for k, (en, zh) in _LABELS.items()}


def _script_json(data: Any) -> str:
    """JSON safe inside a <script> element (no way out of it)."""
    return json.dumps(data, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


_JS = r"""
(() => {
const CFG = JSON.parse(document.getElementById('ck-config').textContent);
const L = CFG.labels;                      // key -> [class language, other language]
const both = k => L[k][0] + ' · ' + L[k][1];
const first = (o, f) => CFG.lang === 'zh' ? o[f + '_zh'] : o[f + '_en'];
const second = (o, f) => CFG.lang === 'zh' ? o[f + '_en'] : o[f + '_zh'];
let unit = new URLSearchParams(location.search).get('unit') || CFG.unit;
let version = -1, busy = false;
const $ = id => document.getElementById(id);
const el = (tag, cls, text) => { const e = document.createElement(tag); if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text); return e; };

function showError(j) {
  const box = $('err');
  if (!j) { box.style.display = 'none'; box.textContent = ''; return; }
  box.textContent = CFG.lang === 'zh' ? (j.zh + ' · ' + j.en) : (j.en + ' · ' + j.zh);
  box.style.display = 'block';
}

function drawNav() {
  const nav = $('units'); nav.textContent = '';
  for (const u of CFG.units) {
    const b = el('button', u.unit === unit ? 'on' : '', u.label);
    b.title = u.other; b.dataset.unit = u.unit;
    b.onclick = () => { unit = u.unit; version = -1; history.replaceState(null, '', '?unit=' + u.unit); drawNav(); poll(); };
    nav.appendChild(b);
  }
  $('export').href = CFG.base + 'export.csv?unit=' + encodeURIComponent(unit);
}

function button(key, cls, action, point) {
  const b = el('button', cls, both(key)); b.dataset.action = action; if (point) b.dataset.point = point;
  b.onclick = () => act(action, point); return b;
}

function draw(j) {
  $('unit-title').textContent = '';
  $('unit-title').appendChild(el('span', '', first(j, 'title')));
  $('unit-title').appendChild(el('span', 't2', second(j, 'title')));
  const box = $('points'); box.textContent = '';
  for (const p of j.points) {
    const s = el('section', 'pt'); s.id = 'pt-' + p.id; s.dataset.status = p.status; s.dataset.shown = p.shown;
    s.appendChild(el('div', 'kind', both(p.kind)));
    s.appendChild(el('div', 'q1', first(p, 'question')));
    s.appendChild(el('div', 'q2', second(p, 'question')));
    const meta = el('div', 'meta');
    meta.appendChild(el('span', 'badge' + (p.status === 'open' ? ' open' : ''), both(p.status === 'open' ? 'voting_open' : 'voting_closed')));
    meta.appendChild(el('span', 'badge' + (p.shown ? ' shown' : ''), both(p.shown ? 'shown' : 'hidden')));
    const total = el('span', 'total', p.votes + ' ' + L.votes[0]); total.dataset.votes = p.votes; meta.appendChild(total);
    if (p.round > 1) meta.appendChild(el('span', '', L.round[0] + ' ' + p.round));
    s.appendChild(meta);
    const names = {};
    for (const o of p.options) {
      names[o.id] = CFG.lang === 'zh' ? o.zh : o.en;
      const row = el('div', 'opt'); row.dataset.option = o.id; row.dataset.count = o.count;
      const lab = el('div', ''); lab.appendChild(el('span', 'l1', CFG.lang === 'zh' ? o.zh : o.en));
      lab.appendChild(el('span', 'l2', CFG.lang === 'zh' ? o.en : o.zh)); row.appendChild(lab);
      const track = el('div', 'track'), fill = el('div', 'fill');
      const share = p.votes ? o.count / p.votes : 0; fill.style.width = (100 * share).toFixed(1) + '%';
      track.appendChild(fill); row.appendChild(track);
      const n = el('div', 'n', o.count); n.appendChild(el('small', '', ' ' + Math.round(100 * share) + '%')); row.appendChild(n);
      s.appendChild(row);
    }
    const c = el('div', 'controls');
    c.appendChild(p.status === 'open' ? button('close', 'primary', 'close', p.id) : button('open', j.released ? '' : 'primary', 'open', p.id));
    c.appendChild(p.shown ? button('hide', '', 'hide', p.id) : button('show', '', 'show', p.id));
    c.appendChild(button('reset', 'danger', 'reset', p.id));
    if (j.released) c.querySelector('[data-action=open]')?.setAttribute('disabled', '');
    s.appendChild(c);
    const d = el('details'); d.open = true;
    d.appendChild(el('summary', '', both('reasons') + ' (' + p.reasons.length + ')'));
    const ul = el('ul', 'reasons');
    for (const r of p.reasons) {
      const li = el('li'); li.appendChild(el('span', 'ro', names[r.option] || r.option));
      li.appendChild(el('span', 'rt', r.reason));
      if (r.name) li.appendChild(el('span', 'who', ' (' + r.name + ')'));
      ul.appendChild(li);
    }
    if (!p.reasons.length) ul.appendChild(el('li', 'who', both('no_reasons')));
    d.appendChild(ul); s.appendChild(d); box.appendChild(s);
  }
  const b = $('bcase'); b.textContent = ''; b.dataset.released = j.released;
  if (!j.has_b) { b.appendChild(el('span', '', both('no_b'))); }
  else {
    b.appendChild(el('span', '', both(j.released ? 'b_out' : 'b_in')));
    const r = button(j.released ? 'withdraw' : 'release', j.released ? '' : 'primary', j.released ? 'withdraw' : 'release');
    r.id = 'release'; b.appendChild(r);
  }
  $('mode').textContent = both(j.class.names ? 'named' : 'anon');
}

async function poll(once) {
  if (busy && !once) return;
  busy = true;
  try {
    const q = '?unit=' + encodeURIComponent(unit) + '&since=' + version + '&class=' + encodeURIComponent(CFG.class_id);
    const r = await fetch(CFG.base + 'state.json' + q, {credentials: 'same-origin', cache: 'no-store'});
    const j = await r.json();
    $('online').textContent = L.online[0]; $('online').className = '';
    if (!r.ok) { showError(j); return; }
    showError(null);
    if (!j.unchanged) { version = j.version; draw(j); document.body.dataset.version = j.version; }
  } catch (e) {
    $('online').textContent = L.offline[0] + ' · ' + L.offline[1]; $('online').className = 'off';
  } finally { busy = false; }
}

async function act(action, point) {
  if (action === 'reset' && !confirm(L.confirm_reset[0] + '\n' + L.confirm_reset[1])) return;
  try {
    const r = await fetch(CFG.base + 'action', {method: 'POST', credentials: 'same-origin', cache: 'no-store',
      headers: {'Content-Type': 'application/json', 'X-Casekit-Csrf': CFG.csrf},
      body: JSON.stringify({action, unit, point: point || null, 'class': CFG.class_id})});
    const j = await r.json();
    if (!r.ok) { showError(j); return; }
    showError(null); version = -1; await poll(true);
  } catch (e) { showError({en: 'The server did not answer; try again.', zh: '服务器没有响应，请再试一次。'}); }
}

$('export-all').href = CFG.base + 'export.csv';
drawNav(); poll();
setInterval(poll, CFG.poll_ms);
})();
"""


def instructor_page(live: LiveSession, base: str, nonce: str) -> str:
    """The instructor's page (all student text arrives later as JSON and is set as text, never markup)."""
    lang = live.lang
    labels = _label_pairs(lang)
    units = [{"unit": u, "label": _units.unit_heading(u, lang), "other": _units.unit_heading(u, "en" if lang == "zh" else "zh")}
             for u in live.units]
    default = next((u for u in live.units if dc.load_case(u).sequel is not None), live.units[0] if live.units else "")
    config = {"base": base + PREFIX + "/", "csrf": live.csrf, "lang": lang, "class_id": live.store.class_id,
              "units": units, "unit": default, "labels": labels, "poll_ms": POLL_MS}
    name = escape_reason(f"{live.store.class_name} · " if live.store.class_name else "")
    t1, t2 = labels["title"]
    return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1"><title>{t1} · {t2}</title>'
            f'<style>{_PAGE_STYLE}</style></head><body id="ck-instructor">'
            f'<header><h1>{t1} · {t2}</h1><span class="cls">{name}{html.escape(live.store.class_id)} · '
            f'<span id="mode"></span></span><nav id="units"></nav>'
            f'<a id="export" style="color:#fff" download>{labels["export"][0]}</a>'
            f'<a id="export-all" style="color:#cfe0f5" download>{labels["export_all"][0]}</a>'
            f'<span id="online"></span></header><div id="err" role="alert"></div>'
            f'<h2 id="unit-title"></h2><div id="bcase"></div><main id="points"></main>'
            f'<footer>{labels["keep"][0]}<br>{labels["keep"][1]}</footer>'
            f'<script type="application/json" id="ck-config">{_script_json(config)}</script>'
            f'<script nonce="{nonce}">{_JS}</script></body></html>')


def forbidden_page(lang: str, base: str) -> str:
    """What a student (or anyone without the instructor's token) sees on the instructor's pages."""
    zh = ("这是本班教师的页面。",
          "打开它需要教师的专用口令，学生的课堂链接不能打开。如果你是学生，请回到单元列表继续上课。")
    en = ("This page is for the class's instructor.",
          "It opens only with the instructor's own key; the students' class link does not open it. If you are a "
          "student, go back to the unit list and carry on.")
    a, b = (zh, en) if lang == "zh" else (en, zh)
    return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1">'
            f'<title>{a[0]} · {b[0]}</title><style>body{{font-family:"WenQuanYi Micro Hei","Noto Sans CJK SC",sans-serif;'
            f'max-width:40rem;margin:3rem auto;padding:0 1rem;line-height:1.6;color:#222}}.b{{color:#555}}</style></head>'
            f'<body id="ck-forbidden"><h1>{a[0]}<br><span class="b">{b[0]}</span></h1><p>{a[1]}</p><p class="b">{b[1]}</p>'
            f'<p><a href="{html.escape(base)}">单元列表 · Unit list</a></p></body></html>')


# --------------------------------------------------------------------------------------------
# tornado handlers (tornado is imported when the server builds them)
# --------------------------------------------------------------------------------------------
def _base_handler():
    import tornado.web

    class Base(tornado.web.RequestHandler):
        def initialize(self, live: LiveSession):
            self.live = live

        @property
        def base_url(self) -> str:
            return self.settings.get("base_url", "/") or "/"

        def check_xsrf_cookie(self):   # our own check (csrf_ok) guards every POST
            return None

        def set_default_headers(self):
            self.set_header("Cache-Control", "no-store")
            self.set_header("X-Content-Type-Options", "nosniff")
            self.set_header("Referrer-Policy", "no-referrer")
            self.set_header("X-Frame-Options", "DENY")

        def refuse(self, status: int, err: LiveError | None = None, json_body: bool = True) -> None:
            self.set_status(status)
            if not json_body:
                self.set_header("Content-Type", "text/html; charset=utf-8")
                self.finish(forbidden_page(self.live.lang, self.base_url))
                return
            if err is None:
                err = LiveError("forbidden", "Only the class's instructor may do this (the instructor's key is missing "
                                "or wrong).", "只有本班教师可以执行此操作（缺少教师口令或口令不对）。")
            self.set_header("Content-Type", "application/json; charset=utf-8")
            self.finish(json.dumps({"error": err.code, "en": err.en, "zh": err.zh}, ensure_ascii=False))

        def other_class(self) -> bool:
            """A request naming another class (an old tab, another server): refused, never mixed."""
            asked = self.get_query_argument("class", None)
            if asked is None and self.request.method == "POST":
                asked = getattr(self, "body", {}).get("class")
            if asked is None or asked == self.live.store.class_id:
                return False
            self.refuse(409, LiveError(
                "other_class", f"This server now serves class {self.live.store.class_name or self.live.store.class_id} "
                f"(id {self.live.store.class_id}), not the class this page was opened for; reload the page.",
                f"本服务器现在服务的是班级“{self.live.store.class_name or self.live.store.class_id}”"
                f"（编号 {self.live.store.class_id}），不是本页打开时的班级；请刷新页面。"))
            return True

        async def run(self, fn, *args):
            from tornado.ioloop import IOLoop

            return await IOLoop.current().run_in_executor(None, fn, *args)

        def write_error(self, status_code, **kwargs):
            self.refuse(status_code, LiveError("server_error", "The server could not do this; try again.",
                                               "服务器未能完成此操作，请再试一次。"))

    return Base


def _page_handler():
    Base = _base_handler()

    class InstructorPage(Base):
        def get(self):
            key = self.get_query_argument("key", "")
            if key and self.live.key_matches(key):
                self.set_cookie(self.live.instructor_cookie, self.live._cookie_value, path=self.base_url + "casekit/",
                                httponly=True, samesite="Strict")
                unit = self.get_query_argument("unit", "")
                self.redirect(self.base_url + PREFIX + (f"?unit={unit}" if re.fullmatch(r"[a-z_]{1,40}", unit) else ""))
                return
            if not self.live.is_instructor(self):
                self.refuse(403, json_body=False)
                return
            nonce = secrets.token_urlsafe(12)
            self.set_header("Content-Security-Policy",
                            f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'unsafe-inline'; "
                            "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
                            "frame-ancestors 'none'")
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.finish(instructor_page(self.live, self.base_url, nonce))

    return InstructorPage


def _state_handler():
    Base = _base_handler()

    class State(Base):
        async def get(self):
            if not self.live.is_instructor(self):
                self.refuse(403)
                return
            if self.other_class():
                return
            unit = self.get_query_argument("unit", "") or (self.live.units[0] if self.live.units else "")
            since = self.get_query_argument("since", "")
            try:
                if since.lstrip("-").isdigit():
                    version = await self.run(self.live.store.version, unit)
                    if version == int(since):
                        self.set_header("Content-Type", "application/json")
                        self.finish(json.dumps({"version": version, "unchanged": True}))
                        return
                data = await self.run(self.live.state, unit)
            except LiveError as exc:
                self.refuse(400, exc)
                return
            except CasekitError as exc:
                self.refuse(400, LiveError("bad_request", str(exc), str(exc)))
                return
            self.set_header("Content-Type", "application/json; charset=utf-8")
            self.finish(json.dumps(data, ensure_ascii=False))

    return State


def _action_handler():
    Base = _base_handler()

    class Action(Base):
        async def post(self):
            if not self.live.is_instructor(self) or not self.live.csrf_ok(self):
                self.refuse(403)
                return
            raw = self.request.body or b""
            try:
                if len(raw) > _MAX_BODY:
                    raise ValueError("too long")
                self.body = json.loads(raw.decode("utf-8"))
                if not isinstance(self.body, dict):
                    raise ValueError("not an object")
            except (ValueError, UnicodeDecodeError):
                self.refuse(400, LiveError("bad_request", 'A control is sent as JSON: {"action": ..., "unit": ..., '
                                           '"point": ...}.', '操作须以 JSON 发送：{"action": …, "unit": …, "point": …}。'))
                return
            if self.other_class():
                return
            b = self.body
            try:
                await self.run(self.live.act, b.get("action"), b.get("unit"), b.get("point"))
                data = await self.run(self.live.store.state, b.get("unit"))
            except LiveError as exc:
                self.refuse(400, exc)
                return
            except CasekitError as exc:
                self.refuse(400, LiveError("bad_request", str(exc), str(exc)))
                return
            self.set_header("Content-Type", "application/json; charset=utf-8")
            self.finish(json.dumps({"ok": True, "version": data.version, "released": data.released}))

    return Action


def _export_handler():
    Base = _base_handler()

    class Export(Base):
        async def get(self):
            if not self.live.is_instructor(self):
                self.refuse(403, json_body=False)
                return
            unit = self.get_query_argument("unit", None) or None
            buf = io.BytesIO()
            try:
                await self.run(self.live.store.export_csv, buf, unit)
            except LiveError as exc:
                self.refuse(400, exc)
                return
            stamp = datetime.now().strftime("%Y%m%d-%H%M")
            name = f"casekit-{self.live.store.class_id}-{unit or 'all'}-{stamp}.csv"
            self.set_header("Content-Type", "text/csv; charset=utf-8")
            self.set_header("Content-Disposition", f'attachment; filename="{name}"')
            self.finish(buf.getvalue())

    return Export


def _forbidden_handler():
    Base = _base_handler()

    class Elsewhere(Base):
        def get(self):
            if not self.live.is_instructor(self):
                self.refuse(403, json_body=False)
                return
            self.set_status(404)
            self.finish("Not found · 未找到")

        post = get

    return Elsewhere
