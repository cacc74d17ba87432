"""The classroom server: the narrative units as web apps for students who do not code (Voilà).

    python -m casekit.classroom --port 8866 --token SECRET --lang zh      # or: make serve
    python -m casekit.classroom --lan --warm 02:40                         # serve the room; unit 2 (Keda & Zhongtu) warmed for 40

A thin launcher around Voilà's own options: Voilà strips every code cell (``strip_sources``),
starts one kernel per student page, preheats a pool of kernels that have already run each unit
(``preheat_kernel`` with a pool size per unit), never culls the pool's kernels and shuts a
student's kernel down when the tab closes. casekit adds only what Voilà lacks:

* a curated folder: the four narrative units (01–04), never ``00_start_here`` or the exercises;
* an index page at ``/`` linking every unit, in both languages (the class language first);
* a cap on student kernels, with a friendly bilingual "class is full" page (HTTP 503) beyond it;
* the class language: ``CASEKIT_LANG`` in every kernel's environment (read by casekit at import),
  and a served copy in which a notebook's own ``set_language("en")`` follows the class language;
* 127.0.0.1 unless ``--lan``; the URL with its token printed, with a QR code, in the terminal.

The token guards every page and kernel (Jupyter's own identity provider: a request without it is
redirected to the login page); the link a student opens carries it once and a cookie keeps it.
"""
from __future__ import annotations

import argparse
import html
import json
import os
import re
import secrets
import shutil
import socket
import sys
import tempfile
from pathlib import Path
from typing import Sequence

from . import units as _units
from .errors import CasekitError
from .handout import narrative_dir
from .language import order_text

__all__ = ["UNITS", "units", "prepare_folder", "unit_titles", "lan_address", "build_argv", "build_config",
           "index_page", "full_page", "main"]

# The curated set: the narrative units, in teaching order (never 00_start_here, never exercises),
# from the unit registry (datasets/units.csv).
UNITS = tuple(_units.unit_notebook(u) for u in _units.unit_names())
CJK = re.compile(r"[\u3400-\u9fff]")
_SET_LANG = re.compile(r"""set_language\(\s*(['"])en\1\s*\)""")


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


def prepare_folder(lang: str, dest: Path | None = None) -> Path:
    """A folder holding only the served units, each with the class language set and its
    paragraphs in that language first."""
    dest = Path(dest) if dest else Path(tempfile.mkdtemp(prefix="casekit-classroom-"))
    dest.mkdir(parents=True, exist_ok=True)
    for src in units():
        nb = json.loads(src.read_text(encoding="utf-8"))
        for cell in nb.get("cells", []):
            text = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            if cell.get("cell_type") == "code":
                cell["source"] = _SET_LANG.sub(f'set_language("{lang}")', text)
                cell["outputs"], cell["execution_count"] = [], None
            elif cell.get("cell_type") == "markdown":
                cell["source"] = order_text(text, lang)   # the class language's paragraph first
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


CELL_TIMEOUT = 120


def timeout_message(lang: str, seconds: int) -> str:
    """What a page shows when one of its cells did not finish in time: reload, in the class language."""
    zh = (f"这一步在 {seconds} 秒内没有完成，页面没有准备好。请刷新页面（重新加载），"
          "服务器会换一个新的内核给你。")
    en = (f"This step did not finish within {seconds} seconds, so the page is not ready. "
          "Reload the page: the server gives you a fresh kernel.")
    return f"{zh}\n{en}" if lang == "zh" else f"{en}\n{zh}"


def build_config(pool: int, warm: dict[str, int], cell_timeout: int = CELL_TIMEOUT):
    """The preheated pools: ``pool`` kernels per unit, more for a unit about to be opened; and a
    limit per cell, so a cell that never finishes costs a page ``cell_timeout`` seconds and a
    message, not a spinner for good."""
    from traitlets.config import Config

    pools = {"default": {"pool_size": pool}}
    pools.update({f"{name}.ipynb": {"pool_size": n} for name, n in warm.items()})
    # Refill a pool slowly: during a burst, CPU goes to the students' pages first.
    return Config({"VoilaKernelManager": {"kernel_pools_config": pools, "fill_delay": 20.0},
                   "VoilaExecutor": {"timeout": cell_timeout}})


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
        f"--MappingKernelManager.cull_idle_timeout={cull_idle}", "--MappingKernelManager.cull_interval=60",
        "--MappingKernelManager.cull_connected=False",
    ]


# --------------------------------------------------------------------------------------------
# pages
# --------------------------------------------------------------------------------------------
_STYLE = """<style>body{font-family:"WenQuanYi Micro Hei","Noto Sans CJK SC","PingFang SC","Microsoft YaHei",
sans-serif;max-width:44rem;margin:3rem auto;padding:0 1rem;line-height:1.6;color:#222}
a{color:#0b5cad}li{margin:.8rem 0}.en{color:#555}</style>"""


def index_page(titles: list[tuple[str, str, str]], lang: str, base: str = "/") -> str:
    """The unit list; ``titles`` holds (file name, English title, Chinese title)."""
    items = []
    for name, en, zh in titles:
        first, second = (zh, en) if lang == "zh" else (en, zh)
        items.append(f'<li><a href="{html.escape(base)}voila/render/{html.escape(name)}">{html.escape(first)}</a><br>'
                     f'<span class="en">{html.escape(second)}</span></li>')
    head = ("案例教学课堂 · casekit classroom", "打开本节课的单元。每位同学有自己的计算核心，关闭标签页不影响他人。",
            "Open the unit of today's class. Each of you gets your own kernel; closing a tab affects no one else.")
    return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{head[0]}</title>{_STYLE}</head>'
            f'<body><h1>{head[0]}</h1><p>{head[1]}<br><span class="en">{head[2]}</span></p>'
            f'<ul id="units">{"".join(items)}</ul></body></html>')


def full_page(students: int) -> str:
    return (f'<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="20">'
            f'<title>课堂已满 · The class is full</title>{_STYLE}</head><body id="class-full">'
            f'<h1>课堂已满 · The class is full</h1>'
            f'<p>服务器已为 {students} 位同学各开了一个计算核心，已到教师设定的上限。请与旁边的同学共用一个页面，'
            f'或稍候片刻：本页每 20 秒自动重试，有同学关闭页面后即可进入。</p>'
            f'<p class="en">The server is running a kernel for each of {students} students, the limit your '
            f'instructor set. Share a screen with a neighbour, or wait: this page tries again every 20 seconds '
            f'and lets you in as soon as someone closes a tab.</p><p><a href="">再试一次 · Try again</a></p>'
            f'</body></html>')


def _make_app(max_students: int, lang: str, cell_timeout: int = CELL_TIMEOUT):
    """Voilà's app with casekit's index, unit list and cap (imported late: Voilà is an extra)."""
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
            if not app.reserve():
                self.set_status(503)
                self.set_header("Retry-After", "20")
                self.finish(full_page(app.students()))
                return
            try:
                await super().get(path)
            finally:
                app.release()

    # A cell over its time limit: Voilà stops the page there and shows an English line that points
    # the reader at a server flag; a student needs to be told, in the class language, to reload.
    def show_code_cell_timeout(self, cell):
        cell["outputs"] = [{"output_type": "error", "ename": "TimeoutError", "evalue": "",
                            "traceback": [timeout_message(lang, cell_timeout)]}]

    VoilaExecutor.show_code_cell_timeout = show_code_cell_timeout

    class ClassroomApp(Voila):
        name = "casekit-classroom"

        def init_settings(self):
            settings = super().init_settings()
            self._students: set[str] = set()
            self._pending = 0
            km = self.kernel_manager
            start, rendered, shutdown = km.start_kernel, getattr(km, "get_rendered_notebook", None), km.shutdown_kernel

            # Instance attributes catch only what a page asks for: the pool starts its kernels
            # through the class (super().start_kernel), so pooled kernels are never counted.
            async def start_kernel(*args, **kwargs):
                kid = await start(*args, **kwargs)
                self._students.add(kid)
                return kid

            async def get_rendered_notebook(*args, **kwargs):
                result = await rendered(*args, **kwargs)
                self._students.add(result[2])
                return result

            async def shutdown_kernel(kernel_id, *args, **kwargs):
                self._students.discard(kernel_id)
                return await shutdown(kernel_id, *args, **kwargs)

            km.start_kernel, km.shutdown_kernel = start_kernel, shutdown_kernel
            if rendered is not None:
                km.get_rendered_notebook = get_rendered_notebook
                fill = km.fill_if_needed

                # Voilà refills a pool as soon as a page takes a kernel from it; beyond the cap
                # that would only add spares no one may use (40 warmed for a class would become 80).
                def fill_if_needed(*args, **kwargs):
                    pooled = sum(len(pool) for pool in km._pools.values())
                    if self.students() + self._pending + pooled >= max_students:
                        return None
                    return fill(*args, **kwargs)

                km.fill_if_needed = fill_if_needed
            self.unit_files = {p.name for p in Path(self.root_dir).glob("*.ipynb")}
            titles = [(p.name, *unit_titles(p)) for p in sorted(Path(self.root_dir).glob("*.ipynb"))]
            settings.update(casekit_app=self, casekit_titles=titles)
            return settings

        def students(self) -> int:
            alive = set(self.kernel_manager.list_kernel_ids())
            self._students &= alive
            return len(self._students)

        def reserve(self) -> bool:
            """Admit one more page unless the cap is reached (pages still opening count too)."""
            if self.students() + self._pending >= max_students:
                return False
            self._pending += 1
            return True

        def release(self) -> None:
            self._pending = max(0, self._pending - 1)

        def init_handlers(self):
            ours = []
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


def print_welcome(url: str, lan: bool, out=sys.stdout) -> None:
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
    p.add_argument("--max-students", type=int, default=60, help="kernels for students at most (default 60)")
    p.add_argument("--pool", type=int, default=1, help="preheated kernels per unit (default 1)")
    p.add_argument("--warm", action="append", default=[], metavar="UNIT:N",
                   help="preheat N kernels for one unit before a class opens it; UNIT is its file prefix, number "
                        "or name, e.g. --warm 02:40, --warm 2:40 or --warm keda_zhongtu:40 (unit 2, Keda & Zhongtu)")
    p.add_argument("--cell-timeout", type=int, default=CELL_TIMEOUT,
                   help=f"seconds a cell of a page may run before the page says to reload (default {CELL_TIMEOUT})")
    p.add_argument("--cull-idle", type=int, default=1200,
                   help="shut a student kernel down after this many idle seconds with no page open (default 1200)")
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


def _warm(specs: list[str]) -> dict[str, int]:
    """``--warm UNIT:N`` options as {notebook: N}; an unknown or ambiguous unit is explained in both languages."""
    out = {}
    pairs = [f"{_units.unit_number(u):02d} {u}" for u in _units.unit_names()]
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


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        from voila.app import Voila  # noqa: F401
    except ImportError:
        print("The classroom server needs Voilà: pip install 'casekit[classroom]' (or pip install voila qrcode).\n"
              "课堂服务器需要 Voilà：pip install 'casekit[classroom]'。", file=sys.stderr)
        return 1
    try:
        warm = _warm(args.warm)
        lang = args.lang or os.environ.get("CASEKIT_LANG", "en").strip().lower()
        if lang not in ("zh", "en"):
            raise CasekitError(f"CASEKIT_LANG={lang!r}: use zh or en.")
        if args.max_students < 1:
            raise CasekitError("--max-students must be at least 1.")
        if args.cell_timeout < 1:
            raise CasekitError("--cell-timeout must be at least 1 second.")
        folder = prepare_folder(lang)
    except CasekitError as exc:
        print(exc, file=sys.stderr)
        return 1
    os.environ["CASEKIT_LANG"] = lang   # every kernel inherits the server's environment
    token = args.token or secrets.token_urlsafe(9)
    host = lan_address() if args.lan else "127.0.0.1"
    print_welcome(f"http://{host}:{args.port}/?token={token}", args.lan)
    app_class = _make_app(args.max_students, lang, args.cell_timeout)
    app = app_class.instance()
    try:
        app.initialize(build_argv(folder, args.port, token, args.lan, args.pool, args.cull_idle))
        app.update_config(build_config(args.pool, warm, args.cell_timeout))
        app.start()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
