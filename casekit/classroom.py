"""The classroom server: the narrative units as web apps for students who do not code (Voilà).

    python -m casekit.classroom --lang zh --unit 2 --class-size 40 --lan   # today's class: Unit 2 (Keda & Zhongtu) for a class of 40
    python -m casekit.classroom --port 8866 --token SECRET --lang zh         # or: make serve

A thin launcher around Voilà's own options: Voilà strips every code cell (``strip_sources``),
starts one kernel per student page, preheats a pool of kernels that have already run each unit
(``preheat_kernel`` with a pool size per unit), never culls the pool's kernels and shuts a
student's kernel down when the tab closes. casekit adds only what Voilà lacks:

* a curated folder: the four narrative units (01–04), never ``00_start_here`` or the exercises,
  in a served copy (:func:`served_copy`) without the cells that only make sense where one runs code;
* an index page at ``/`` linking every unit, in both languages (the class language first), usable
  on a phone;
* a start of class without tuning: ``--unit`` and ``--class-size`` size the warmed pool and the
  cap on student pages, and warn when the class will not fit in this computer's memory;
* a cap on student kernels, with a friendly bilingual "class is full" page (HTTP 503) beyond it;
* kernels that follow their pages (:class:`PageWatch`): a page that is gone frees its kernel after
  ``--grace`` seconds; a page that comes back sooner finds its kernel as it left it, and one that
  comes back later reloads itself with a short message in the class language;
* the class language: ``CASEKIT_LANG`` in every kernel's environment (read by casekit at import),
  paragraphs in that language first, and Voilà's loading text in it;
* 127.0.0.1 unless ``--lan``; the URL with its token printed, with a QR code, in the terminal.

The token guards every page and kernel (Jupyter's own identity provider: a request without it is
redirected to the login page); the link a student opens carries it once and a cookie keeps it.

How a kernel follows its page. A Voilà page holds one websocket to its kernel, and jupyter_server
counts a kernel's websockets. A tab that closes takes its connection down at once, whether or not
the browser ran ``beforeunload`` (phones often do not, which is why Voilà's own shutdown request
is not enough); a page that went silent (a phone asleep, a lost network) stops answering the
server's websocket pings, and jupyter_server closes its socket after the ping timeout (set here
from the grace, :func:`ping_settings`). When a student kernel's count drops to zero the watch
notes the time, and a kernel still without a page ``--grace`` seconds later is shut down (a kernel
whose page never connected counts from the end of its page's rendering). A page that reconnects in
time cancels this: JupyterLab's kernel connection retries by itself and the server replays what
the kernel sent meanwhile. Then the pool is topped up again.
"""
from __future__ import annotations

import argparse
import ast
import asyncio
import contextvars
import html
import json
import math
import os
import re
import secrets
import shutil
import socket
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from . import live_server
from . import units as _units
from .decision_cases import case_html
from .errors import CasekitError
from .handout import narrative_dir
from .language import order_text
from .reveal import SEQUEL_TAG, mark_sequel

__all__ = ["UNITS", "LAB_ONLY_TAG", "units", "shown_case", "served_copy", "prepare_folder", "unit_titles", "lan_address",
           "ping_settings", "plan_class", "ClassPlan", "available_memory_mb", "build_argv", "build_config",
           "index_page", "full_page", "page_template", "main"]

# The curated set: the narrative units, in teaching order (never 00_start_here, never exercises),
# from the unit registry (datasets/units.csv).
UNITS = tuple(_units.unit_notebook(u) for u in _units.unit_names())
CJK = re.compile(r"[\u3400-\u9fff]")
_SET_LANG = re.compile(r"""set_language\(\s*(['"])en\1\s*\)""")
LAB_ONLY_TAG = "ck-lab-only"   # a cell that tells the reader to run code: not in the served copy


def units() -> list[Path]:
    """The narrative notebooks the server offers, from the installed kit (wheel or clone)."""
    found = [narrative_dir() / f"{u}.ipynb" for u in UNITS]
    missing = [p.name for p in found if not p.exists()]
    if missing:
        raise CasekitError(f"This casekit install lacks the units {missing}; reinstall casekit.")
    return found


def unit_titles(nb_path: Path) -> tuple[str, str]:
    """(English, Chinese) title: the first-level headings of the notebook's first text cell."""
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    en = zh = ""
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "markdown":
            continue
        src = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        for line in src.splitlines():
            if line.startswith("# "):
                text = line[2:].strip()
                if CJK.search(text) and not zh:
                    zh = text
                elif not CJK.search(text) and not en:
                    en = text
        break
    return en or nb_path.stem, zh or en or nb_path.stem


# --------------------------------------------------------------------------------------------
# the served copy
# --------------------------------------------------------------------------------------------
def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return src if isinstance(src, str) else "".join(src)


def _tags(cell: dict) -> list[str]:
    return list((cell.get("metadata") or {}).get("tags") or [])


def shown_case(source: str) -> str | int | None:
    """The unit of a code cell that is exactly ``casekit.show_case(UNIT)`` (optionally after
    ``import casekit``), else None.

    >>> shown_case('import casekit\\ncasekit.show_case("keda_zhongtu")')
    'keda_zhongtu'
    >>> shown_case('casekit.show_case("keda_zhongtu", part="B")') is None
    True
    """
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return None
    if body and isinstance(body[0], ast.Import) and [a.name for a in body[0].names] == ["casekit"] \
            and body[0].names[0].asname is None:
        body = body[1:]
    if len(body) != 1 or not isinstance(body[0], ast.Expr) or not isinstance(body[0].value, ast.Call):
        return None
    call = body[0].value
    f = call.func
    if not (isinstance(f, ast.Attribute) and f.attr == "show_case" and isinstance(f.value, ast.Name)
            and f.value.id == "casekit") or call.keywords or len(call.args) != 1:
        return None
    arg = call.args[0]
    if isinstance(arg, ast.Constant) and isinstance(arg.value, (str, int)) and not isinstance(arg.value, bool):
        return arg.value
    return None


def served_copy(nb: dict, lang: str) -> dict:
    """The notebook as the classroom serves it, in the class language ``lang``; ``nb`` is left as is.

    One step per concern, in this order (add a step here; every served unit goes through it):

    1. cells tagged ``ck-lab-only`` (they tell the reader to run code) are dropped;
    2. a code cell that is exactly ``casekit.show_case(UNIT)`` becomes a text cell holding the case
       as HTML, so the case shows at once while the kernel runs the rest;
    3. a notebook's own ``set_language("en")`` follows the class language;
    4. text cells put the class language's paragraph first;
    5. code cells lose their saved outputs (the student's kernel makes them afresh);
    6. the cells after the reveal (``ck-reveal``) are tagged ``ck-sequel``: hidden on the page until
       the reveal is pressed, or, in a live session, until the instructor releases case B.
    """
    out = json.loads(json.dumps(nb))          # a deep copy, JSON-shaped as on disk
    cells = []
    for cell in out.get("cells", []):
        kind, text = cell.get("cell_type"), _source(cell)
        if LAB_ONLY_TAG in _tags(cell):                                           # 1
            continue
        unit = shown_case(text) if kind == "code" else None
        if unit is not None:                                                      # 2
            case = {"cell_type": "markdown", "metadata": {**(cell.get("metadata") or {})},
                    "source": case_html(unit, lang)}
            case["metadata"]["tags"] = _tags(cell) + ["ck-case"]
            if "id" in cell:
                case["id"] = cell["id"]
            cells.append(case)
            continue
        if kind == "code":
            cell["source"] = _SET_LANG.sub(f'set_language("{lang}")', text)      # 3
            cell["outputs"], cell["execution_count"] = [], None                   # 5
        elif kind == "markdown":
            cell["source"] = order_text(text, lang)                               # 4
        cells.append(cell)
    out["cells"] = cells
    mark_sequel(out)                                                              # 6
    return out


def prepare_folder(lang: str, dest: Path | None = None) -> Path:
    """A folder holding only the served units, each as :func:`served_copy` makes it."""
    dest = Path(dest) if dest else Path(tempfile.mkdtemp(prefix="casekit-classroom-"))
    dest.mkdir(parents=True, exist_ok=True)
    for src in units():
        nb = served_copy(json.loads(src.read_text(encoding="utf-8")), lang)
        (dest / src.name).write_text(json.dumps(nb, ensure_ascii=False, indent=1), encoding="utf-8")
    return dest


def lan_address() -> str:
    """This machine's address on the local network (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))
            return s.getsockname()[0]
        except OSError:
            return "127.0.0.1"


# --------------------------------------------------------------------------------------------
# kernels: the grace, the pool, memory
# --------------------------------------------------------------------------------------------
CELL_TIMEOUT = 120
# How long a page that went silent keeps its kernel. Long enough for a phone locked through a
# few minutes of class discussion to come back to its explorer as it left it; short enough that
# a closed tab's 160 MB are free again within 3–4 minutes (benchmarks/README.md, "Pages that go").
GRACE = 180
# Seconds before Voilà starts a kernel to refill a pool a page has just taken from. A page that
# finds the pool empty waits for the refill, so any delay here is added to its wait; measured in
# benchmarks/README.md ("Pages that go"): a burst on 2 cores gains nothing from holding refills back.
FILL_DELAY = 0.0
# Resident memory (MB) of one unit's kernel once it has run the served unit and a page has
# connected to it: VmRSS of the kernel process, `python benchmarks/bench_classroom_cull.py --phase
# kernels` (Linux, Python 3.11, ipykernel 7.4, Voilà 0.5.13, casekit as of this commit).
KERNEL_MB = {"srdi_landscape": 148, "keda_zhongtu": 151, "qingdao_six_paths": 148, "in_firm_cluster_costs": 157}
SERVER_MB = 150          # Voilà itself (RSS of the server process during a class of 40)
MAX_CLASS = 500


def timeout_message(lang: str, seconds: int) -> str:
    """What a page shows when one of its cells did not finish in time: reload, in the class language."""
    zh = (f"这一步在 {seconds} 秒内没有完成，页面没有准备好。请刷新页面（重新加载），"
          "服务器会换一个新的内核给你。")
    en = (f"This step did not finish within {seconds} seconds, so the page is not ready. "
          "Reload the page: the server gives you a fresh kernel.")
    return _both(en, zh, lang)


def ping_settings(grace: int) -> tuple[int, int]:
    """(interval, timeout) in ms of the server's websocket pings: a silent page is noticed within
    about a sixth of the grace (2–10 s between pings, three missed pings close its socket).

    >>> ping_settings(180)
    (10000, 30000)
    >>> ping_settings(12)
    (2000, 6000)
    """
    interval = min(10.0, max(2.0, grace / 6))
    return int(interval * 1000), int(3 * interval * 1000)


def sweep_interval(grace: int) -> float:
    """Seconds between two looks for pages gone longer than the grace."""
    return min(10.0, max(1.0, grace / 6))


def available_memory_mb() -> int | None:
    """Memory this computer can give new processes now (MB), or None if it cannot be read."""
    try:
        import psutil

        return int(psutil.virtual_memory().available / 2**20)
    except (ImportError, OSError, RuntimeError):   # psutil missing or unsupported: try Linux's own count
        try:
            for line in Path("/proc/meminfo").read_text().splitlines():
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) // 1024
        except OSError:
            pass
    return None


_TOKEN = re.compile(r"[A-Za-z0-9._~-]{4,200}")


def _check_server_flags(args, lang: str) -> None:
    """Port, tokens, pool and cull: refused with one bilingual line before a link is printed."""
    if not 1 <= args.port <= 65535:
        raise CasekitError(_both(f"--port is a port number from 1 to 65535 (e.g. 8866); got {args.port}.",
                                 f"--port 是 1 到 65535 之间的端口号（例如 8866）；收到的是 {args.port}。", lang))
    for flag, value in (("--token", args.token), ("--instructor-token", getattr(args, "instructor_token", None))):
        if value is not None and not _TOKEN.fullmatch(value):
            raise CasekitError(_both(
                f"{flag} goes into a link: use 4–200 letters, digits or . _ ~ - (no spaces); got {value[:40]!r}.",
                f"{flag} 会放进链接：请用 4–200 个字母、数字或 . _ ~ -（不能有空格）；收到的是 {value[:40]!r}。", lang))
    if not 0 <= args.pool <= 500:
        raise CasekitError(_both(f"--pool is how many kernels to preheat per unit, 0 to 500; got {args.pool}.",
                                 f"--pool 是每个单元预热的计算核心数，应为 0 到 500；收到的是 {args.pool}。", lang))
    if args.cull_idle < 0:
        raise CasekitError(_both(f"--cull-idle is seconds (0 turns the idle cull off); got {args.cull_idle}.",
                                 f"--cull-idle 是秒数（0 表示不按空闲回收）；收到的是 {args.cull_idle}。", lang))
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # as Tornado binds: a port whose last server just stopped (TIME_WAIT) is free, a listening one is not
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("0.0.0.0" if args.lan else "127.0.0.1", args.port))
        except OSError:
            raise CasekitError(_both(
                f"Port {args.port} is in use (another server, or a classroom still running). Stop it, or choose "
                f"another port, e.g. --port {args.port + 1}.",
                f"端口 {args.port} 已被占用（另一个服务器，或仍在运行的课堂）。请先停止它，或换一个端口，"
                f"例如 --port {args.port + 1}。", lang)) from None


def _both(en: str, zh: str, lang: str) -> str:
    return f"{zh}\n{en}" if lang == "zh" else f"{en}\n{zh}"


def _gb(mb: float) -> str:
    return f"{mb / 1024:.1f} GB"


@dataclass
class ClassPlan:
    """What ``--unit`` and ``--class-size`` decide: the pools, the cap, and whether memory suffices."""

    warm: dict[str, int]          # {notebook: warmed kernels}
    max_students: int
    need_mb: int                  # the class's kernels, the other pools and the server
    available_mb: int | None
    lines: list[str]              # what the terminal says about it (bilingual)
    warning: str | None           # printed when the class will not fit in memory


def plan_class(unit: str | None, class_size: int | None, pool: int, lang: str, available_mb: int | None,
               warm: dict[str, int] | None = None, max_students: int | None = None) -> ClassPlan:
    """Size a class: today's ``unit`` (a unit name) warmed for its ``class_size``, bounded by memory.

    Every student of today's unit is given a kernel that has already run it: the pool is the whole
    class (a page that finds the pool empty waits for a kernel to start and run the unit, tens of
    seconds when a class arrives at once on a small machine), unless memory cannot hold that many,
    in which case it is what fits. The cap on student pages is the class plus a tenth (at least 2)
    for reloads and the instructor's own page. ``warm``/``max_students`` given by an expert win.
    ``pool`` is the other units' pool each.

    >>> p = plan_class("keda_zhongtu", 40, 1, "en", available_mb=20000)
    >>> p.warm, p.max_students, p.warning is None
    ({'02_keda_zhongtu': 40}, 44, True)
    >>> plan_class("keda_zhongtu", 40, 1, "en", available_mb=3000).warm
    {'02_keda_zhongtu': 15}
    """
    warm = dict(warm or {})
    others = {_units.unit_notebook(u): KERNEL_MB[u] for u in _units.unit_names()}
    lines = []
    if class_size is not None and max_students is None:
        max_students = class_size + max(2, math.ceil(class_size / 10))
    if max_students is None:
        max_students = 60
    if unit is not None and class_size is not None:
        nb, mb = _units.unit_notebook(unit), KERNEL_MB[unit]
        other_mb = sum(v * (warm.get(n, pool)) for n, v in others.items() if n != nb)
        if nb not in warm:
            fit = class_size if available_mb is None else (available_mb - SERVER_MB - other_mb) // mb
            warm[nb] = max(1, min(class_size, fit))
        need = class_size * mb + other_mb + SERVER_MB
        number, (en_title, zh_title) = _units.unit_number(unit), _titles_of(unit)
        lines.append(_both(
            f"Today's unit: {number:02d} {en_title}. Class of {class_size}: {warm[nb]} kernels of it are being "
            f"warmed (about {mb} MB each); up to {max_students} student pages.",
            f"今天的单元：{number:02d} {zh_title}。全班 {class_size} 人：正在为它预热 {warm[nb]} 个内核"
            f"（每个约 {mb} MB）；学生页面最多 {max_students} 个。", lang))
    else:
        need = min(class_size or max_students, max_students) * max(KERNEL_MB.values()) + SERVER_MB
    warning = None
    if class_size is not None and available_mb is not None and need > available_mb:
        mb = KERNEL_MB.get(unit or "", max(KERNEL_MB.values()))
        warning = _both(
            f"WARNING: memory may run out. {class_size} students × about {mb} MB per kernel, with the server "
            f"and the other units' kernels, is about {_gb(need)}, but this computer has {_gb(available_mb)} "
            f"available now. When it runs out, pages stop opening or freeze. Close other programs, have "
            f"students share a page in pairs, or teach from a hub (README, 'Teach with a hub').",
            f"警告：内存可能不够。{class_size} 人 × 每个内核约 {mb} MB，加上服务器和其他单元的内核，共约 "
            f"{_gb(need)}，而本机现在可用的内存只有 {_gb(available_mb)}。内存用完时，页面会打不开或卡住。"
            f"请关闭本机其他程序，或请同学两人共用一个页面，或改用 JupyterHub 授课（见 README“用 JupyterHub 授课”）。",
            lang)
    return ClassPlan(warm, max_students, need, available_mb, lines, warning)


def _titles_of(unit: str) -> tuple[str, str]:
    """(English, Chinese) short title of a unit, from its notebook's heading."""
    en, zh = unit_titles(narrative_dir() / f"{_units.unit_notebook(unit)}.ipynb")
    strip = re.compile(r"^(Unit \d+|第\s*\d+\s*单元)\s*·\s*")
    return strip.sub("", en), strip.sub("", zh)


def build_config(pool: int, warm: dict[str, int], cell_timeout: int = CELL_TIMEOUT, grace: int = GRACE,
                 fill_delay: float = FILL_DELAY):
    """The preheated pools: ``pool`` kernels per unit, more for a unit about to be opened; a limit
    per cell, so a cell that never finishes costs a page ``cell_timeout`` seconds and a message,
    not a spinner for good; and websocket pings that notice a silent page within the grace."""
    from traitlets.config import Config

    pools = {"default": {"pool_size": pool}}
    pools.update({f"{name}.ipynb": {"pool_size": n} for name, n in warm.items()})
    interval, timeout = ping_settings(grace)
    return Config({"VoilaKernelManager": {"kernel_pools_config": pools, "fill_delay": float(fill_delay)},
                   "VoilaExecutor": {"timeout": cell_timeout},
                   "Voila": {"tornado_settings": {"ws_ping_interval": interval, "ws_ping_timeout": timeout}}})


def build_argv(folder: Path, port: int, token: str, lan: bool, pool: int, cull_idle: int) -> list[str]:
    """Voilà's own options for a class (the whole configuration, readable in one place)."""
    return [
        str(folder), "--no-browser", f"--port={port}", "--Voila.port_retries=0",
        f"--Voila.ip={'0.0.0.0' if lan else '127.0.0.1'}", f"--token={token}",
        "--VoilaConfiguration.strip_sources=True", "--VoilaConfiguration.show_tracebacks=False",
        "--VoilaConfiguration.preheat_kernel=True", f"--VoilaConfiguration.default_pool_size={pool}",
        # Kernels talk to the server over Unix sockets where there are some: forty kernels started
        # at once over TCP collided on a port here (ZMQError: Address already in use).
        *(["--KernelManager.transport=ipc"] if os.name == "posix" else []),
        # A backstop only: pages that are gone free their kernels through the page watch.
        f"--MappingKernelManager.cull_idle_timeout={cull_idle}", "--MappingKernelManager.cull_interval=60",
        "--MappingKernelManager.cull_connected=False",
    ]


# --------------------------------------------------------------------------------------------
# pages
# --------------------------------------------------------------------------------------------
_VIEWPORT = '<meta name="viewport" content="width=device-width, initial-scale=1">'
_STYLE = """<style>html{-webkit-text-size-adjust:100%}
body{font-family:"WenQuanYi Micro Hei","Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;
font-size:17px;line-height:1.6;max-width:44rem;margin:0 auto;padding:1.5rem 1rem 2rem;color:#222;
overflow-wrap:anywhere}
h1{font-size:1.5rem;line-height:1.3;margin:.5rem 0 1rem}.second{color:#555}
#units{list-style:none;margin:1.5rem 0;padding:0}#units li{margin:0 0 .8rem}
#units a,a.button{display:block;box-sizing:border-box;min-height:48px;padding:.7rem 1rem;border:1px solid #b9cbe0;
border-radius:.6rem;background:#f5f9fd;color:#0b5cad;text-decoration:none;font-weight:600}
#units a .second{display:block;font-weight:400;font-size:1rem;margin-top:.2rem}
#units a:active,a.button:active{background:#e3eef9}</style>"""


def index_page(titles: list[tuple[str, str, str]], lang: str, base: str = "/") -> str:
    """The unit list; ``titles`` holds (file name, English title, Chinese title). Laid out for a
    phone too: the device's width, 17 px text, each unit a tap target at least 48 px tall."""
    items = []
    for name, en, zh in titles:
        first, second = (zh, en) if lang == "zh" else (en, zh)
        items.append(f'<li><a href="{html.escape(base)}voila/render/{html.escape(name)}">{html.escape(first)}'
                     f'<span class="second">{html.escape(second)}</span></a></li>')
    title = "案例教学课堂 · casekit classroom"
    zh = "打开本节课的单元。每位同学有自己的计算核心，关闭标签页不影响他人。"
    en = "Open the unit of today's class. Each of you gets your own kernel; closing a tab affects no one else."
    first, second = (zh, en) if lang == "zh" else (en, zh)
    return (f'<!doctype html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">{_VIEWPORT}'
            f'<title>{title}</title>{_STYLE}</head>'
            f'<body><h1>{title}</h1><p>{first}<br><span class="second">{second}</span></p>'
            f'<ul id="units">{"".join(items)}</ul></body></html>')


def full_page(students: int, lang: str = "zh") -> str:
    """The page past the cap: both languages (the class language first); it retries by itself."""
    zh = (f"服务器已为 {students} 位同学各开了一个计算核心，已到教师设定的上限。请与旁边的同学共用一个页面，"
          f"或稍候片刻：本页每 20 秒自动重试，有同学关闭页面后即可进入。")
    en = (f"The server is running a kernel for each of {students} students, the limit your "
          f"instructor set. Share a screen with a neighbour, or wait: this page tries again every 20 seconds "
          f"and lets you in as soon as someone closes a tab.")
    first, second = (zh, en) if lang == "zh" else (en, zh)
    title = "课堂已满 · The class is full" if lang == "zh" else "The class is full · 课堂已满"
    again = "再试一次 · Try again" if lang == "zh" else "Try again · 再试一次"
    return (f'<!doctype html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">{_VIEWPORT}'
            f'<meta http-equiv="refresh" content="20">'
            f'<title>{title}</title>{_STYLE}</head><body id="class-full">'
            f'<h1>{title}</h1><p>{first}</p><p class="second">{second}</p>'
            f'<p><a class="button" href="">{again}</a></p></body></html>')


def _minutes(seconds: int, lang: str) -> str:
    if seconds % 60 == 0 and seconds >= 60:
        n = seconds // 60
        return f"{n} 分钟" if lang == "zh" else f"{n} minute{'s' if n > 1 else ''}"
    return f"{seconds} 秒" if lang == "zh" else f"{seconds} seconds"


def page_texts(lang: str, grace: int) -> dict[str, str]:
    """What a unit page says for itself, in the class language first (used by :func:`page_template`)."""
    def pair(en: str, zh: str) -> list[str]:
        return [zh, en] if lang == "zh" else [en, zh]

    return {
        "lang": lang,
        "loading": pair("Preparing the page…", "正在准备页面……"),
        # ${i} and ${n}: the step being run and the number of steps (cells)
        "step": pair("Preparing the page: step ${i} of ${n}", "正在准备页面：第 ${i} 步，共 ${n} 步"),
        "gone": pair(f"This page was disconnected for more than {_minutes(grace, 'en')}, so the server freed its "
                     "kernel. Opening a fresh page…",
                     f"这个页面断开连接已超过 {_minutes(grace, 'zh')}，服务器已收回它的计算核心。正在为你重新打开页面……"),
        "fresh": pair("This is a fresh page: the choices you made before were not kept.",
                      "这是重新打开的页面：之前所做的选择没有保留。"),
        "stuck": pair("The page could not be reopened. Open the class link again.",
                      "页面没能重新打开。请重新打开课堂链接。"),
    }


# Added to Voilà's own page ("lab" template): phone-sized shell, the loading text in the class
# language, and the page's watch on its kernel. __TEXTS__ is replaced by page_texts() as JSON.
_PAGE_SHELL = r"""{%- extends 'voila/templates/lab/index.html.j2' -%}
{%- block body_header -%}
{{ super() }}
{% raw %}<style id="casekit-shell">
#loading{padding:0 1rem;text-align:center;box-sizing:border-box;max-width:100vw}
#loading .spinner-container{width:min(25vw,6rem)}
#loading_text{font-size:1.15rem;line-height:1.5;font-weight:600;margin:1rem 0 0}
#loading_text .second{display:block;font-size:.9rem;font-weight:400;opacity:.75}
#loading.casekit-reading{height:auto;min-height:40vh;justify-content:flex-start;padding-top:1.5rem}
#casekit-early{width:100%;max-width:50rem;margin:1.5rem auto 2rem;text-align:left;box-sizing:border-box;padding:0 .25rem}
/* Text cells sit in a box that clips what is wider than the phone: let long words and paths wrap.
   (Nothing here sizes #rendered_cells: Lumino lays it out and reads max-width:100% as 100 px.) */
.jp-RenderedMarkdown{overflow-wrap:anywhere}
/* The cells after the reveal stay hidden from the first paint, not only once the reveal's widget has
   drawn (a phone draws widgets seconds after the text); the revealed widget shows them again. */
.celltag_ck-sequel{display:none}
#casekit-note{position:fixed;left:0;right:0;top:0;z-index:1000;padding:.8rem 1rem;background:#fff3c4;
color:#222;border-bottom:1px solid #d9b84c;font:16px/1.5 sans-serif;box-shadow:0 2px 6px rgba(0,0,0,.15)}
#casekit-note .second{display:block;font-size:.9em;color:#555}
</style>
<script id="casekit-page">
(function () {
  var T = __TEXTS__;
  function two(pair) {
    var a = document.createElement('span'), b = document.createElement('span');
    a.textContent = pair[0]; b.textContent = pair[1]; b.className = 'second';
    var f = document.createDocumentFragment(); f.appendChild(a); f.appendChild(b); return f;
  }
  function fill(el, pair) { el.textContent = ''; el.appendChild(two(pair)); }
  // Voilà's loading text, in the class language (it calls voila_process(i, n) before each cell).
  var loading = document.getElementById('loading_text');
  if (loading) fill(loading, T.loading);
  window.voila_process = function (i, n) {
    var el = document.getElementById('loading_text');
    if (el) fill(el, T.step.map(function (s) { return s.replace('${i}', i).replace('${n}', n); }));
    early();
  };
  // The decision case is text (served_copy made it so): show it under the loading text as soon as it
  // has arrived, to be read while the kernel runs the rest; it goes when the page is shown.
  var shown = false;
  function early() {
    var cell = document.querySelector('#rendered_cells .celltag_ck-case'), box = document.getElementById('loading');
    if (shown || !cell || !box) return;
    shown = true;
    var copy = document.createElement('div');
    copy.id = 'casekit-early';
    copy.className = 'jp-RenderedHTMLCommon';
    copy.innerHTML = cell.innerHTML;
    box.classList.add('casekit-reading');
    box.appendChild(copy);
  }
  function note(pair, ms) {
    var el = document.getElementById('casekit-note');
    if (!el) { el = document.createElement('div'); el.id = 'casekit-note'; el.setAttribute('role', 'status');
               el.lang = T.lang === 'zh' ? 'zh-CN' : 'en'; document.body.appendChild(el); }
    fill(el, pair);
    el.onclick = function () { el.remove(); };
    if (ms) setTimeout(function () { el.remove(); }, ms);
  }
  // A page that was away longer than the grace lost its kernel: reload it, saying why.
  var KEY = 'casekit-reloads', reloading = false;
  function config() {
    var el = document.getElementById('jupyter-config-data');
    try { return el ? JSON.parse(el.textContent) : null; } catch (e) { return null; }
  }
  function recent() {
    try { return JSON.parse(sessionStorage.getItem(KEY) || '[]').filter(function (t) { return Date.now() - t < 120000; }); }
    catch (e) { return []; }
  }
  function fresh() {
    if (reloading) return;
    reloading = true;
    var times = recent();
    if (times.length >= 3) { note(T.stuck); return; }   // never loop: three reloads in two minutes is enough
    times.push(Date.now());
    try { sessionStorage.setItem(KEY, JSON.stringify(times)); } catch (e) {}
    note(T.gone);
    setTimeout(function () { location.reload(); }, 1500);
  }
  // The kernel is still there and the network is back: reconnect now, not at JupyterLab's next
  // try (10–30 s after a failed one). Voilà's app and its widget manager, where this Voilà has them.
  function kernel() {
    try { var app = window.jupyterapp; return (app && app.widgetManager && app.widgetManager.kernel) || null; }
    catch (e) { return null; }
  }
  function nudge() {
    var k = kernel();
    try { if (k && !k.isDisposed && k.connectionStatus !== 'connected') k.reconnect().catch(function () {}); }
    catch (e) {}
  }
  function check(event) {
    if (reloading || document.visibilityState === 'hidden') return;
    var k = kernel();
    if (!event && k && k.connectionStatus === 'connected') return;   // the regular look: nothing to ask
    var c = config();
    if (!c || !c.kernelId) return;
    fetch((c.baseUrl || '/') + 'api/kernels/' + encodeURIComponent(c.kernelId),
          {credentials: 'same-origin', cache: 'no-store'})
      .then(function (r) { if (r.status === 404) fresh(); else if (r.ok) nudge(); })
      .catch(function () {});             // offline: ask again when the network is back
  }
  document.addEventListener('visibilitychange', check);
  window.addEventListener('online', check);
  window.addEventListener('pageshow', check);
  window.addEventListener('focus', check);
  setInterval(function () { check(null); }, 10000);
  window.addEventListener('load', function () {
    if (recent().length) note(T.fresh, 10000);
  });
})();
</script>{% endraw %}
{%- endblock body_header -%}
"""


def page_template(lang: str, grace: int) -> str:
    """The Jinja template the unit pages are rendered with: Voilà's own, plus casekit's shell."""
    return _PAGE_SHELL.replace("__TEXTS__", json.dumps(page_texts(lang, grace), ensure_ascii=False))


# --------------------------------------------------------------------------------------------
# the app
# --------------------------------------------------------------------------------------------
_page_handler: contextvars.ContextVar = contextvars.ContextVar("casekit_page_handler", default=None)


class PageWatch:
    """Kernels that follow their pages: each student kernel without a page connection is noted
    with the time it lost it; :meth:`sweep` shuts down those gone longer than the grace."""

    def __init__(self, km, grace: float, log):
        self.km, self.grace, self.log = km, grace, log
        self.students: set[str] = set()    # kernels given to pages
        self.rendering: dict[str, int] = {}  # kernel -> pages still being rendered with it
        self.away: dict[str, float] = {}   # kernel -> since when it has had no page connection
        self.freed = 0

    def connections(self, kernel_id: str) -> int:
        # jupyter_server counts the websockets of each kernel here (notify_connect/_disconnect).
        return self.km._kernel_connections.get(kernel_id, 0)

    def given(self, kernel_id: str) -> None:
        """A page is being rendered with this kernel."""
        self.students.add(kernel_id)
        self.rendering[kernel_id] = self.rendering.get(kernel_id, 0) + 1
        self.away.pop(kernel_id, None)

    def rendered(self, kernel_id: str) -> None:
        """The page's HTML is out (or its request ended): from now on the page must connect."""
        n = self.rendering.pop(kernel_id, 1) - 1
        if n > 0:
            self.rendering[kernel_id] = n
        elif kernel_id in self.students and not self.connections(kernel_id):
            self.away.setdefault(kernel_id, time.monotonic())

    def connected(self, kernel_id: str) -> None:
        self.away.pop(kernel_id, None)

    def disconnected(self, kernel_id: str) -> None:
        if kernel_id in self.students and kernel_id not in self.rendering and not self.connections(kernel_id):
            self.away[kernel_id] = time.monotonic()

    def forget(self, kernel_id: str) -> None:
        self.students.discard(kernel_id)
        self.rendering.pop(kernel_id, None)
        self.away.pop(kernel_id, None)

    async def sweep(self) -> int:
        """Shut down the kernels whose page has been gone longer than the grace; how many."""
        now, due = time.monotonic(), []
        alive = set(self.km.list_kernel_ids())
        for kid, since in list(self.away.items()):
            if kid not in alive:
                self.forget(kid)
            elif self.connections(kid):
                self.away.pop(kid, None)
            elif now - since >= self.grace:
                self.log.info("casekit: the page of kernel %s has been gone for %.0f s (grace %s s): "
                              "shutting the kernel down", kid, now - since, self.grace)
                self.away.pop(kid, None)
                due.append(kid)

        async def shut(kid):
            try:
                await self.km.shutdown_kernel(kid)
                return 1
            except Exception as exc:   # already gone meanwhile
                self.log.info("casekit: kernel %s: %s", kid, exc)
                return 0

        # Together: a class that leaves at once is not freed one kernel (about a second) at a time.
        freed = sum(await asyncio.gather(*(shut(kid) for kid in due)))
        self.freed += freed
        return freed


def _make_app(max_students: int, lang: str, cell_timeout: int = CELL_TIMEOUT, grace: int = GRACE,
              shell_dir: Path | None = None, live=None):
    """Voilà's app with casekit's index, unit list, cap, page shell and page watch (imported late:
    Voilà is an extra)."""
    import logging

    import tornado.ioloop
    import tornado.web
    from voila.app import Voila
    from voila.execute import VoilaExecutor
    from voila.tornado.handler import TornadoVoilaHandler
    from voila.tornado.treehandler import TornadoVoilaTreeHandler
    from voila.tornado.contentshandler import VoilaContentsHandler
    from jupyter_server.base.handlers import JupyterHandler

    class IndexHandler(JupyterHandler):
        @tornado.web.authenticated
        def get(self, path=None):
            self.set_header("Cache-Control", "no-store")
            self.finish(index_page(self.settings["casekit_titles"], lang, self.base_url))

    class UnitHandler(TornadoVoilaHandler):
        @tornado.web.authenticated
        async def get(self, path=None):
            app = self.settings["casekit_app"]
            if path not in app.unit_files:
                self.set_status(404)
                self.finish(index_page(self.settings["casekit_titles"], lang, self.base_url))
                return
            # Sets the _xsrf cookie: Voilà's page sends it with the shutdown request when its tab
            # closes (without it the request is refused and the kernel lingers until culled).
            self.xsrf_token  # noqa: B018
            if live is not None:   # the live session: this browser's student id, handed to the page's kernel
                live.on_page(self)
            if not app.reserve():
                self.set_status(503)
                self.set_header("Retry-After", "20")
                self.finish(full_page(app.students(), lang))
                return
            self.casekit_reserved = True      # until the page has its kernel (then it counts as a student)
            token = _page_handler.set(self)
            try:
                await super().get(path)
            finally:
                _page_handler.reset(token)
                if self.casekit_reserved:
                    app.release()
                for kid in getattr(self, "casekit_kernels", ()):
                    app.watch.rendered(kid)

    # A cell over its time limit: Voilà stops the page there and shows an English line that points
    # the reader at a server flag; a student needs to be told, in the class language, to reload.
    def show_code_cell_timeout(self, cell):
        cell["outputs"] = [{"output_type": "error", "ename": "TimeoutError", "evalue": "",
                            "traceback": [timeout_message(lang, cell_timeout)]}]
        # a cell below the reveal is hidden until the reveal: this one must show, to say "reload"
        tags = cell.get("metadata", {}).get("tags")
        if isinstance(tags, list) and SEQUEL_TAG in tags:
            tags.remove(SEQUEL_TAG)

    VoilaExecutor.show_code_cell_timeout = show_code_cell_timeout
    # jupyter_server pings a kernel's websocket itself (ws_ping_interval, in ms) and hands the same
    # numbers to tornado's own pinger, which reads them as seconds and complains once; it never pings.
    logging.getLogger("tornado.general").addFilter(lambda record: "websocket_ping_timeout" not in record.getMessage())

    class ClassroomApp(Voila):
        name = "casekit-classroom"

        def setup_template_dirs(self):
            super().setup_template_dirs()
            if shell_dir is not None:   # casekit's page shell first; Voilà's own templates behind it
                self.template_paths = [str(shell_dir), *self.template_paths]

        def init_settings(self):
            settings = super().init_settings()
            self._pending = 0
            km = self.kernel_manager
            self.watch = watch = PageWatch(km, grace, self.log)
            start, rendered, shutdown = km.start_kernel, getattr(km, "get_rendered_notebook", None), km.shutdown_kernel
            connect, disconnect = km.notify_connect, km.notify_disconnect

            def given(kid):
                watch.given(kid)
                handler = _page_handler.get()
                if handler is not None:
                    handler.casekit_kernels = [*getattr(handler, "casekit_kernels", ()), kid]
                    if getattr(handler, "casekit_reserved", False):   # a page is counted once, not twice
                        handler.casekit_reserved = False
                        self.release()

            # Instance attributes catch only what a page asks for: the pool starts its kernels
            # through the class (super().start_kernel), so pooled kernels are never counted.
            async def start_kernel(*args, **kwargs):
                kid = await start(*args, **kwargs)
                given(kid)
                return kid

            async def get_rendered_notebook(*args, **kwargs):
                result = await rendered(*args, **kwargs)
                given(result[2])
                return result

            async def shutdown_kernel(kernel_id, *args, **kwargs):
                watch.forget(kernel_id)
                return await shutdown(kernel_id, *args, **kwargs)

            def notify_connect(kernel_id):
                connect(kernel_id)
                watch.connected(kernel_id)

            def notify_disconnect(kernel_id):
                disconnect(kernel_id)
                watch.disconnected(kernel_id)

            km.start_kernel, km.shutdown_kernel = start_kernel, shutdown_kernel
            km.notify_connect, km.notify_disconnect = notify_connect, notify_disconnect
            if rendered is not None:
                km.get_rendered_notebook = get_rendered_notebook
                fill = km.fill_if_needed

                # Voilà refills a pool as soon as a page takes a kernel from it; beyond the cap
                # that would only add spares no one may use (40 warmed for a class would become 80).
                def fill_if_needed(delay=None, notebook_name=None, **kwargs):
                    pools = km.kernel_pools_config
                    size = pools.get(notebook_name, pools.get("default", {})).get("pool_size", 0)
                    pooled = sum(len(pool) for pool in km._pools.values())
                    room = max_students - self.students() - self._pending - pooled
                    missing = size - len(km._pools.get(notebook_name, ()))
                    if room <= 0 or missing <= 0:
                        return None
                    if missing <= room:
                        return fill(delay=delay, notebook_name=notebook_name, **kwargs)
                    # Fill only as far as the cap allows: Voilà reads the size as it starts the tasks.
                    capped = {**pools, notebook_name: {**pools.get(notebook_name, pools.get("default", {})),
                                                       "pool_size": size - missing + room}}
                    km.kernel_pools_config = capped
                    try:
                        return fill(delay=delay, notebook_name=notebook_name, **kwargs)
                    finally:
                        km.kernel_pools_config = pools

                km.fill_if_needed = fill_if_needed
            self.unit_files = {p.name for p in Path(self.root_dir).glob("*.ipynb")}
            titles = [(p.name, *unit_titles(p)) for p in sorted(Path(self.root_dir).glob("*.ipynb"))]
            settings.update(casekit_app=self, casekit_titles=titles)

            async def look():
                if await watch.sweep():
                    self.log.info("casekit: %s page kernels freed so far", watch.freed)
                if rendered is not None:   # top the pools up again (a kernel freed makes room)
                    for name in sorted(self.unit_files):
                        km.fill_if_needed(delay=0, notebook_name=name)

            self._look = tornado.ioloop.PeriodicCallback(lambda: asyncio.ensure_future(look()),
                                                         1000 * sweep_interval(grace))
            self._look.start()
            return settings

        def stop(self):
            if getattr(self, "_look", None):
                self._look.stop()   # no top-up while Voilà shuts every kernel down
            super().stop()

        def students(self) -> int:
            alive = set(self.kernel_manager.list_kernel_ids())
            for kid in self.watch.students - alive:
                self.watch.forget(kid)
            return len(self.watch.students)

        def reserve(self) -> bool:
            """Admit one more page unless the cap is reached (pages still opening count too)."""
            if self.students() + self._pending >= max_students:
                return False
            self._pending += 1
            return True

        def release(self) -> None:
            self._pending = max(0, self._pending - 1)

        def init_handlers(self):
            ours = live.handlers(self.server_url) if live is not None else []
            for handler in super().init_handlers():
                pattern, cls = handler[0], handler[1]
                if cls is TornadoVoilaTreeHandler:
                    ours.append((pattern, IndexHandler))   # "/" and /voila/tree: the unit list
                elif cls is VoilaContentsHandler:
                    continue   # no file listing: the index is the only way in
                elif cls is TornadoVoilaHandler:
                    ours.append((pattern, UnitHandler, *handler[2:]))
                else:
                    ours.append(handler)
            return ours

    return ClassroomApp


def print_welcome(url: str, lan: bool, out=None, plan: ClassPlan | None = None) -> None:
    out = out or sys.stdout
    print(f"\ncasekit classroom / 课堂服务器\n  Students open / 学生打开:  {url}\n", file=out)
    try:
        import qrcode

        qr = qrcode.QRCode(border=1)
        qr.add_data(url)
        qr.print_ascii(out=out, invert=True)
    except ImportError:  # the extra is not installed: the URL alone still works
        print("  (pip install qrcode for a QR code / 安装 qrcode 可显示二维码)", file=out)
    if not lan:
        print("  Only this computer can open it (127.0.0.1). Add --lan to serve the classroom network.\n"
              "  目前仅本机可访问；加 --lan 向教室局域网开放。", file=out)
    for line in (plan.lines if plan else []):
        print("  " + line.replace("\n", "\n  "), file=out)
    if plan and plan.warning:
        print("\n  " + plan.warning.replace("\n", "\n  ") + "\n", file=out)
    print("  Stop with Ctrl-C / 按 Ctrl-C 停止.\n", file=out, flush=True)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m casekit.classroom",
                                description="Serve the narrative units to a class as web apps (Voilà). "
                                            "把各单元以网页应用形式提供给全班（Voilà）。")
    p.add_argument("--port", type=int, default=8866, help="port (default 8866)")
    p.add_argument("--token", help="the password in the link (default: a random one, printed)")
    p.add_argument("--lang", choices=("zh", "en"), default=None,
                   help="class language (default: CASEKIT_LANG, else en) / 课堂语言")
    p.add_argument("--lan", action="store_true", help="serve the local network, not only this computer")
    p.add_argument("--unit", metavar="UNIT",
                   help="today's unit, warmed for the class: its file prefix, number or name, e.g. --unit 02, "
                        "--unit 2 or --unit keda_zhongtu (unit 2, Keda & Zhongtu); needs --class-size / 今天的单元")
    p.add_argument("--class-size", metavar="N",
                   help="students in the class: sizes today's warmed kernels (as many as memory holds) and the "
                        "cap on pages (the class plus a tenth); warns if memory is short / 班级人数")
    p.add_argument("--max-students", type=int, default=None,
                   help="kernels for students at most (default: the class size plus a tenth, else 60)")
    p.add_argument("--pool", type=int, default=1, help="preheated kernels per unit (default 1)")
    p.add_argument("--warm", action="append", default=[], metavar="UNIT:N",
                   help="preheat N kernels for one unit before a class opens it; UNIT is its file prefix, number "
                        "or name, e.g. --warm 02:40, --warm 2:40 or --warm keda_zhongtu:40 (unit 2, Keda & Zhongtu)")
    p.add_argument("--grace", metavar="SECONDS", default=str(GRACE),
                   help=f"how long a page that went silent (tab closed, phone asleep, network lost) keeps its "
                        f"kernel; a page back sooner finds it as it left it (default {GRACE})")
    p.add_argument("--cell-timeout", type=int, default=CELL_TIMEOUT,
                   help=f"seconds a cell of a page may run before the page says to reload (default {CELL_TIMEOUT})")
    p.add_argument("--class-folder", metavar="DIR",
                   help="the live session: keep the class's decisions in DIR (SQLite; created if missing) and serve the "
                        "instructor's page / 实时投票：本班决策保存在 DIR 中，并提供教师页面")
    p.add_argument("--class-name", help="a label for a new class folder, e.g. 'MBA 2025 A' (checked when reopening)")
    p.add_argument("--instructor-token",
                   help="the instructor's own key for /casekit/instructor (default: a random one, printed here only); "
                        "never the students' --token")
    p.add_argument("--names", action="store_true",
                   help="a new class gives names with its votes (default: anonymous) / 实名投票（默认匿名）")
    p.add_argument("--cull-idle", type=int, default=1200,
                   help="shut a student kernel down after this many idle seconds with no page open (default "
                        "1200; pages that are gone free their kernels after --grace)")
    p.add_argument("--fill-delay", type=float, default=FILL_DELAY, help=argparse.SUPPRESS)   # for benchmarks
    return p


def _warm_unit(text: str) -> list[str]:
    """The units (names) that ``text`` may mean: a file prefix (02), a number (2), a name or a
    notebook name (keda_zhongtu, 02_keda_zhongtu), or a unique part of a name (keda)."""
    names = _units.unit_names()
    key = text.strip().lower()
    if key.isdigit():
        return [u for u in names if _units.unit_number(u) == int(key)]
    exact = [u for u in names if key in (u, _units.unit_notebook(u))]
    return exact or ([u for u in names if key in u] if key else [])


def _unit_pairs() -> list[str]:
    return [f"{_units.unit_number(u):02d} {u}" for u in _units.unit_names()]


def _warm(specs: list[str]) -> dict[str, int]:
    """``--warm UNIT:N`` options as {notebook: N}; an unknown or ambiguous unit is explained in both languages."""
    out = {}
    pairs = _unit_pairs()
    for spec in specs:
        unit, _, n = spec.partition(":")
        hits = _warm_unit(unit)
        if len(hits) == 1 and n.isdigit():
            out[_units.unit_notebook(hits[0])] = int(n)
            continue
        if not n.isdigit():
            why_en, why_zh = f"N must be a whole number, not {n!r}", f"数量应为整数，而不是 {n!r}"
        elif hits:
            why_en, why_zh = f"{unit!r} could be {' or '.join(hits)}", f"{unit!r} 可能指 {' 或 '.join(hits)}"
        else:
            why_en, why_zh = f"{unit!r} is not a unit", f"{unit!r} 不是单元"
        raise CasekitError(
            f"--warm takes UNIT:N, where UNIT is a unit's file prefix, number or name, e.g. --warm 02:40, "
            f"--warm 2:40 or --warm keda_zhongtu:40; got {spec!r}: {why_en}. Units: {', '.join(pairs)}.\n"
            f"--warm 的格式是 单元:数量，单元可写文件前缀、编号或名称，例如 --warm 02:40、--warm 2:40 或 "
            f"--warm keda_zhongtu:40；收到的是 {spec!r}：{why_zh}。单元：{'、'.join(pairs)}。")
    return out


def _unit(text: str | None, lang: str) -> str | None:
    """``--unit``: the one unit (name) it means, or a bilingual message listing the units."""
    if text is None:
        return None
    hits = _warm_unit(text)
    if len(hits) == 1:
        return hits[0]
    pairs = _unit_pairs()
    why_en = f"{text!r} could be {' or '.join(hits)}" if hits else f"{text!r} is not a unit"
    why_zh = f"{text!r} 可能指 {' 或 '.join(hits)}" if hits else f"{text!r} 不是单元"
    raise CasekitError(_both(
        f"--unit takes today's unit: its file prefix, number or name, e.g. --unit 02, --unit 2 or "
        f"--unit keda_zhongtu; {why_en}. Units: {', '.join(pairs)}.",
        f"--unit 是今天的单元，可写文件前缀、编号或名称，例如 --unit 02、--unit 2 或 --unit keda_zhongtu；"
        f"{why_zh}。单元：{'、'.join(pairs)}。", lang))


def _whole(text: str | None, flag: str, low: int, high: int, what_en: str, what_zh: str, lang: str) -> int | None:
    """A whole-number flag in [low, high], or a bilingual message saying what it takes."""
    if text is None:
        return None
    value = text.strip()
    if value.isdigit() and low <= int(value) <= high:
        return int(value)
    raise CasekitError(_both(f"{flag} is {what_en}: a whole number from {low} to {high}; got {text!r}.",
                             f"{flag} 是{what_zh}，应为 {low} 到 {high} 之间的整数；收到的是 {text!r}。", lang))


def _serve(app_class, argv: list[str], config) -> None:
    """Start Voilà (returns when the server stops)."""
    app = app_class.instance()
    app.initialize(argv)
    app.update_config(config)
    app.start()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        from voila.app import Voila  # noqa: F401
    except ImportError:
        print("The classroom server needs Voilà: pip install 'casekit[classroom]' (or pip install voila qrcode).\n"
              "课堂服务器需要 Voilà：pip install 'casekit[classroom]'。", file=sys.stderr)
        return 1
    lang = args.lang or os.environ.get("CASEKIT_LANG", "en").strip().lower()
    try:
        if lang not in ("zh", "en"):
            raise CasekitError(f"CASEKIT_LANG={lang!r}: use zh or en.\nCASEKIT_LANG={lang!r}：请用 zh 或 en。")
        warm = _warm(args.warm)
        unit = _unit(args.unit, lang)
        class_size = _whole(args.class_size, "--class-size", 1, MAX_CLASS, "how many students are in the class",
                            "班级人数", lang)
        grace = _whole(args.grace, "--grace", 5, 3600, "how many seconds a page that went silent keeps its kernel",
                       "页面断开后保留其计算核心的秒数", lang)
        if unit is not None and class_size is None:
            raise CasekitError(_both(
                "--unit warms today's unit for the class: say how many students with --class-size, "
                "e.g. --unit 2 --class-size 40.",
                "--unit 会为全班预热今天的单元：请用 --class-size 说明班级人数，例如 --unit 2 --class-size 40。", lang))
        if args.max_students is not None and args.max_students < 1:
            raise CasekitError("--max-students must be at least 1.\n--max-students 至少为 1。")
        if args.cell_timeout < 1:
            raise CasekitError("--cell-timeout must be at least 1 second.\n--cell-timeout 至少为 1 秒。")
        _check_server_flags(args, lang)
        plan = plan_class(unit, class_size, args.pool, lang, available_memory_mb(), warm, args.max_students)
        root = Path(tempfile.mkdtemp(prefix="casekit-classroom-"))
        folder = prepare_folder(lang, root / "units")
        shell = root / "page"
        shell.mkdir()
        (shell / "index.html.j2").write_text(page_template(lang, grace), encoding="utf-8")
    except CasekitError as exc:
        print(exc, file=sys.stderr)
        return 1
    # Every kernel inherits the server's environment: the class language, and that it is a classroom
    # (a student's answers stay in the page's kernel, never in a shared file). Restored on the way out.
    saved_env = {k: os.environ.get(k) for k in ("CASEKIT_LANG", "CASEKIT_CLASSROOM")}
    os.environ["CASEKIT_LANG"] = lang
    os.environ["CASEKIT_CLASSROOM"] = "1"
    token = args.token or secrets.token_urlsafe(9)
    try:
        live = live_server.install(args, lang, token)
    except CasekitError as exc:
        print(exc, file=sys.stderr)
        shutil.rmtree(root, ignore_errors=True)
        _restore(saved_env)
        return 1
    if live is not None:
        live.prepare(folder)
        saved_env.update({k: os.environ.get(k) for k in live.kernel_env()})
        os.environ.update(live.kernel_env())   # every kernel inherits the class folder
    host = lan_address() if args.lan else "127.0.0.1"
    print_welcome(f"http://{host}:{args.port}/?token={token}", args.lan, plan=plan)
    if live is not None:
        print(live.welcome(f"http://{host}:{args.port}/"), flush=True)
    try:
        _serve(_make_app(plan.max_students, lang, args.cell_timeout, grace, shell, live=live),
               build_argv(folder, args.port, token, args.lan, args.pool, args.cull_idle)
               + (live.voila_argv() if live is not None else []),
               build_config(args.pool, plan.warm, args.cell_timeout, grace, args.fill_delay))
    finally:
        shutil.rmtree(root, ignore_errors=True)
        _restore(saved_env)
    return 0


def _restore(saved: dict) -> None:
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


if __name__ == "__main__":
    sys.exit(main())
