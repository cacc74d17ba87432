"""Drive JupyterLab in Debian's Chromium with Playwright, for tests/test_browser.py.

Kept apart from the tests so that the tests read as what they check. Nothing here knows any
particular notebook: controls, widgets and outputs are found in the page the way a student meets
them, so a notebook added under ``notebooks/`` is covered the moment it exists.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

# Debian's Chromium; CASEKIT_CHROMIUM points elsewhere (never a browser Playwright downloads).
CHROMIUM = Path(os.environ.get("CASEKIT_CHROMIUM", "/usr/bin/chromium"))
# Flags measured in FIELD-NOTES.md: without the networking ones Chromium keeps calling home.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--font-render-hinting=none",
]
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
CJK = r"[\u3400-\u9fff]"


def browser_unavailable_reason() -> str | None:
    """Why the browser tests cannot run on this machine, or None when they can."""
    if not CHROMIUM.exists():
        return (f"{CHROMIUM} is missing: install Debian's chromium (`make browser-deps`, or "
                "`sudo apt-get install chromium`). Never `playwright install`.")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        return f"the playwright Python package is missing ({exc}); run `make install-test`."
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------------------------
# The JupyterLab server
# --------------------------------------------------------------------------------------------
@dataclass
class LabServer:
    """A JupyterLab server on 127.0.0.1, a random free port and a token, serving ``root``."""

    root: Path
    state: Path
    port: int = field(default_factory=free_port)
    token: str = field(default_factory=lambda: secrets.token_hex(16))
    proc: subprocess.Popen | None = None
    env: dict = field(default_factory=dict)   # extra environment for the server and its kernels

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return f"{self.base}/lab/tree/{path}?token={self.token}&reset"

    def start(self, timeout: float = 90) -> "LabServer":
        config = self.state / "config"
        settings = self.state / "settings"
        (config / "labconfig").mkdir(parents=True, exist_ok=True)
        # No "Jupyter news" pop-up: the announcements plugin is off for this server only.
        (config / "labconfig" / "page_config.json").write_text(json.dumps(
            {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}))
        _write_settings(settings)
        # Its own config and runtime folders: no other Jupyter on the machine shares its connection files.
        env = dict(os.environ, JUPYTER_CONFIG_DIR=str(config), JUPYTER_RUNTIME_DIR=str(self.state / "runtime"),
                   PYTHONUNBUFFERED="1", **self.env)
        env.pop("MPLBACKEND", None)
        self.log = open(self.state / "jupyterlab.log", "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
             "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
             f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.root}",
             "--LabApp.expose_app_in_browser=True", f"--LabApp.user_settings_dir={settings}",
             f"--LabApp.workspaces_dir={self.state / 'workspaces'}", "--LabApp.news_url=",
             "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
            cwd=self.root, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with {self.proc.returncode}; see {self.state / 'jupyterlab.log'}:\n"
                                   + (self.state / "jupyterlab.log").read_text()[-3000:])
            try:
                self.api("GET", "/api/status")
                return self
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"JupyterLab did not answer on {self.base} within {timeout:.0f} s")

    def api(self, method: str, path: str):
        req = urllib.request.Request(f"{self.base}{path}", method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> None:
        try:
            for k in self.api("GET", "/api/kernels") or []:
                self.api("DELETE", f"/api/kernels/{k['id']}")
        except (urllib.error.URLError, OSError):
            pass

    def stop(self) -> None:
        """Stop the server by its process id (kernels first, so none is left behind)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.shutdown_kernels()
        os.kill(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)
        self.log.close()


def _write_settings(settings: Path) -> None:
    """Fresh user settings: no autosave into the served copies, every cell kept in the DOM."""
    def put(plugin: str, values: dict) -> None:
        pkg, name = plugin.split(":")
        target = settings / pkg / f"{name}.jupyterlab-settings"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values))

    put("@jupyterlab/docmanager-extension:plugin", {"autosave": False})
    put("@jupyterlab/notebook-extension:tracker", {"windowingMode": "none"})
    put("@jupyterlab/apputils-extension:notification", {"fetchNews": "false", "checkForUpdates": False})


def serve_copy(repo: Path, dest: Path, notebooks: list[Path]) -> Path:
    """Copy the notebooks (never serve the repository's own files: running them in Lab would write
    outputs into them) next to a link to ``datasets/`` in case a notebook reads a relative path."""
    nbdir = dest / "notebooks"
    nbdir.mkdir(parents=True, exist_ok=True)
    for path in notebooks:
        shutil.copy2(path, nbdir / path.name)
    for extra in (repo / "notebooks").iterdir():
        if extra.suffix != ".ipynb" and not extra.name.startswith(".") and extra.is_file():
            shutil.copy2(extra, nbdir / extra.name)
    if (repo / "datasets").exists() and not (dest / "datasets").exists():
        (dest / "datasets").symlink_to(repo / "datasets")
    return dest


def chinese_copy(src: Path, dest: Path) -> Path:
    """The notebook as a student runs it after following 00_start_here's advice: the language set
    to Chinese in its first cell, and every ``set_language("en")`` changed to ``"zh"``."""
    nb = json.loads(src.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            text = "".join(cell["source"])
            for q in ('"', "'"):
                text = text.replace(f"set_language({q}en{q})", f"set_language({q}zh{q})")
            cell["source"] = text
    nb["cells"].insert(0, {"cell_type": "code", "execution_count": None, "id": "casekit-zh-switch",
                           "metadata": {}, "outputs": [],
                           "source": 'import casekit\ncasekit.set_language("zh")'})
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps(nb, ensure_ascii=False, indent=1), encoding="utf-8")
    return dest


def launch(playwright, user_dir: Path, viewport: dict | None = None):
    """Chromium at a laptop's 1280×800 unless told otherwise (see LAPTOP, PROJECTOR)."""
    return playwright.chromium.launch_persistent_context(
        str(user_dir), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
        viewport=viewport or LAPTOP, device_scale_factor=1, locale="en-US")


# --------------------------------------------------------------------------------------------
# JavaScript run in the page. window.jupyterapp exists because of --LabApp.expose_app_in_browser.
# --------------------------------------------------------------------------------------------
JS_NOTEBOOK = "() => window.jupyterapp && window.jupyterapp.shell.currentWidget"

JS_STATUS = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  if (!panel || !panel.content || !panel.sessionContext) return null;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  const prompts = [...panel.content.node.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')]
      .map(e => e.innerText.trim());
  return {kernel: kernel ? kernel.status : 'none', prompts};
}"""

JS_CELL_REPORT = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const rows = [];
  panel.content.widgets.forEach((cell, i) => {
    const m = cell.model;
    if (m.type !== 'code') return;
    const outputs = m.outputs.toJSON();
    const shown = [...cell.node.querySelectorAll('.jp-OutputArea-output')].map(e => e.innerText).join('\\n');
    rows.push({
      index: i,
      source: m.sharedModel.getSource().slice(0, 70),
      exec: m.executionCount,
      prompt: (cell.node.querySelector('.jp-InputArea-prompt') || {innerText: ''}).innerText.trim(),
      tags: m.getMetadata('tags') || [],
      errors: outputs.filter(o => o.output_type === 'error').map(o => o.ename + ': ' + o.evalue),
      widgets: outputs.filter(o => o.data && o.data['application/vnd.jupyter.widget-view+json']).length,
      traceback: /Traceback \\(most recent call last\\)|-{20,}\\n\\w+(Error|Exception)/.test(shown),
      shown: shown.slice(0, 400),
    });
  });
  return rows;
}"""

# Every widget output of every cell (from the notebook's model) and what the page shows for it:
# JupyterLab renders output i of a cell as the i-th child of the cell's output area.
JS_WIDGET_VIEWS = """() => {
  const rows = [];
  window.jupyterapp.shell.currentWidget.content.widgets.forEach((cell, i) => {
    if (cell.model.type !== 'code') return;
    const outputs = cell.model.outputs.toJSON();
    const area = cell.node.querySelector('.jp-Cell-outputArea');
    const children = area ? [...area.children].filter(c => c.classList.contains('jp-OutputArea-child')) : [];
    outputs.forEach((o, k) => {
      if (!(o.data && o.data['application/vnd.jupyter.widget-view+json'])) return;
      const child = children[k];
      const shown = child && child.querySelector('.jp-OutputArea-output');
      const view = shown && shown.querySelector('.jupyter-widgets');
      const r = view ? view.getBoundingClientRect() : {width: 0, height: 0};
      const text = shown ? shown.innerText : '';
      rows.push({cell: i, output: k, hasView: !!view && !/Error displaying widget|Loading widget/.test(text),
                 width: r.width, height: r.height, text: text.slice(0, 200),
                 mime: shown ? shown.getAttribute('data-mime-type') : null});
    });
  });
  return rows;
}"""

# Controls a student can move, marked with data-ck-control so Playwright can find them again.
# Sliders and dropdowns come first within each cell (the brief's "first slider/dropdown").
JS_CONTROLS = """() => {
  const root = window.jupyterapp.shell.currentWidget.content.node;
  const kinds = [
    ['slider', '.widget-slider'], ['dropdown', '.widget-dropdown'],
    ['toggle-buttons', '.widget-toggle-buttons'], ['radio', '.widget-radio'],
    ['select', '.widget-select'], ['checkbox', '.widget-checkbox'],
    ['toggle-button', '.widget-toggle-button'], ['select-multiple', '.widget-select-multiple'],
  ];
  const rank = Object.fromEntries(kinds.map(([k], i) => [k, i < 2 ? 0 : 1]));
  const cells = [...root.querySelectorAll('.jp-Cell')];
  const found = [];
  const seen = new Set();
  for (const el of root.querySelectorAll(kinds.map(k => k[1]).join(','))) {
    if (seen.has(el)) continue;
    seen.add(el);
    const kind = kinds.find(([k, sel]) => el.matches(sel))[0];
    const disabled = !!el.querySelector('[disabled]') || el.classList.contains('mod-disabled') ||
                     !!el.querySelector('.noUi-target[disabled]');
    if (disabled || el.getBoundingClientRect().width === 0) continue;
    found.push({el, kind, cell: cells.indexOf(el.closest('.jp-Cell')),
                label: (el.querySelector('.widget-label') || {innerText: ''}).innerText.trim()});
  }
  found.sort((a, b) => (a.cell - b.cell) || (rank[a.kind] - rank[b.kind]));
  document.querySelectorAll('[data-ck-control]').forEach(e => e.removeAttribute('data-ck-control'));
  return found.map((f, i) => { f.el.setAttribute('data-ck-control', String(i));
                               return {id: i, kind: f.kind, cell: f.cell, label: f.label}; });
}"""

# What the notebook shows, without the controls themselves (a slider's own readout moving proves
# nothing): the visible texts, images, inline SVG and canvases of every output, hashed.
JS_SNAPSHOT = """() => {
  const root = window.jupyterapp.shell.currentWidget.content.node;
  const hash = s => { let h = 2166136261; for (let i = 0; i < s.length; i++) { h ^= s.charCodeAt(i);
                      h = Math.imul(h, 16777619) >>> 0; } return h.toString(16); };
  const skip = n => n.nodeType === 1 && (n.hasAttribute('data-ck-control') || ['STYLE', 'SCRIPT'].includes(n.tagName));
  const parts = [];
  let texts = [], images = 0;
  for (const area of root.querySelectorAll('.jp-Cell-outputArea')) {
    const walker = document.createTreeWalker(area, NodeFilter.SHOW_TEXT | NodeFilter.SHOW_ELEMENT,
      {acceptNode: n => skip(n) ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT});
    let n;
    while ((n = walker.nextNode())) {
      if (n.nodeType === 3) {
        const t = n.textContent.trim();
        if (t && n.parentElement.getClientRects().length) { parts.push(t); texts.push(t); }
        continue;
      }
      if (!n.getClientRects().length) continue;
      const tag = n.tagName.toLowerCase();
      if (tag === 'img') { parts.push('img:' + hash(n.getAttribute('src') || '')); images++; }
      else if (tag === 'svg' && !n.parentElement.closest('svg')) { parts.push('svg:' + hash(n.outerHTML)); images++; }
      else if (tag === 'canvas') { try { parts.push('canvas:' + hash(n.toDataURL())); images++; } catch (e) {} }
    }
  }
  return {hash: hash(parts.join('|')), text: texts.join(' ').slice(0, 4000), images};
}"""

# Rectangles of single CJK characters in rendered text under a selector (for the glyph check).
JS_CJK_RECTS = """([selector, limit]) => {
  const out = [];
  const re = /[\\u4e00-\\u9fff]/;
  for (const host of document.querySelectorAll(selector)) {
    const walker = document.createTreeWalker(host, NodeFilter.SHOW_TEXT);
    let node;
    while ((node = walker.nextNode()) && out.length < limit) {
      const text = node.textContent;
      for (let i = 0; i < text.length && out.length < limit; i++) {
        if (!re.test(text[i])) continue;
        const range = document.createRange();
        range.setStart(node, i); range.setEnd(node, i + 1);
        const r = range.getBoundingClientRect();
        if (r.width < 2 || r.height < 4 || r.top < 0 || r.bottom > window.innerHeight) continue;
        const size = parseFloat(getComputedStyle(node.parentElement).fontSize);
        out.push({ch: text[i], x: r.x, y: r.y, width: r.width, height: r.height, size});
      }
    }
  }
  return out;
}"""


# --------------------------------------------------------------------------------------------
# One notebook open in the browser
# --------------------------------------------------------------------------------------------
class LabPage:
    def __init__(self, page, server: LabServer):
        self.page = page
        self.server = server

    def start(self, timeout: float = 120) -> None:
        """Load JupyterLab once; notebooks are then opened inside it like a student does."""
        self.page.goto(f"{self.server.base}/lab?token={self.server.token}&reset",
                       wait_until="domcontentloaded", timeout=timeout * 1000)
        self.page.wait_for_function("() => window.jupyterapp && window.jupyterapp.started !== undefined"
                                    " && document.querySelector('.jp-LabShell')", timeout=timeout * 1000)
        self.page.evaluate("async () => { await window.jupyterapp.started; return true; }")
        self.page.wait_for_timeout(500)
        self.dismiss_dialogs()

    def open(self, rel_path: str, timeout: float = 120) -> None:
        """Open a notebook (File browser's double click does the same command) and wait for its
        kernel to be ready."""
        self.page.evaluate("async p => { await window.jupyterapp.commands.execute('docmanager:open', {path: p}); "
                           "return true; }", rel_path)
        self.page.wait_for_function(
            """p => { const w = window.jupyterapp.shell.currentWidget;
                      return w && w.context && w.context.path === p && w.content && w.content.widgets
                             && w.content.widgets.length > 0 && w.sessionContext
                             && w.sessionContext.session && w.sessionContext.session.kernel
                             && w.sessionContext.session.kernel.status === 'idle'; }""",
            arg=rel_path, timeout=timeout * 1000, polling=250)
        self.dismiss_dialogs()
        # JupyterLab's default layout: the file browser open beside the notebook, as a student has it.
        if self.page.evaluate("() => window.jupyterapp.shell.leftCollapsed"):
            self.page.evaluate("async () => { await window.jupyterapp.commands.execute('filebrowser:activate'); }")
        self.page.wait_for_timeout(300)

    def dismiss_dialogs(self) -> None:
        # A kernel chooser or any other modal would block clicks; accept its default.
        for _ in range(3):
            dialog = self.page.query_selector(".jp-Dialog")
            if not dialog:
                return
            self.page.keyboard.press("Enter")
            self.page.wait_for_timeout(300)

    def run_all(self, timeout: float = 240) -> float:
        """Run > Run All Cells from the menu, as a student does; wait until the kernel is done."""
        t0 = time.monotonic()
        try:
            self.page.click(".lm-MenuBar-item:has-text('Run')", timeout=5000)
            self.page.click(".lm-Menu-item[data-command='runmenu:run-all']", timeout=5000)
        except Exception:  # menu layout changed: the same command, called directly
            self.page.keyboard.press("Escape")
            self.page.evaluate("() => { window.jupyterapp.commands.execute('runmenu:run-all'); }")
        self.page.wait_for_timeout(500)
        deadline = t0 + timeout
        quiet_since = None
        while time.monotonic() < deadline:
            st = self.page.evaluate(JS_STATUS)
            busy = st is None or st["kernel"] != "idle" or any(p.startswith("[*]") for p in st["prompts"])
            if busy:
                quiet_since = None
            elif quiet_since is None:
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since > 1.2:
                break
            self.page.wait_for_timeout(200)
        else:
            raise TimeoutError(f"the notebook was still running after {timeout:.0f} s")
        self.settle_widgets()
        return time.monotonic() - t0

    def settle_widgets(self, timeout: float = 30) -> None:
        """Widget views render after their outputs arrive; wait until every one has a view."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            views = self.page.evaluate(JS_WIDGET_VIEWS)
            if all(v["hasView"] and v["height"] > 0 for v in views):
                break
            self.page.wait_for_timeout(250)
        self.page.wait_for_timeout(500)

    def cell_report(self) -> list[dict]:
        return self.page.evaluate(JS_CELL_REPORT)

    def widget_views(self) -> list[dict]:
        return self.page.evaluate(JS_WIDGET_VIEWS)

    def controls(self) -> list[dict]:
        return self.page.evaluate(JS_CONTROLS)

    def layout(self) -> dict:
        """What does not fit (see JS_LAYOUT) at the page's present size."""
        return self.page.evaluate(JS_LAYOUT, MIN_TEXT_PX)

    def resize(self, viewport: dict) -> None:
        """Change the window size; JupyterLab lays the notebook out again."""
        self.page.set_viewport_size(viewport)
        self.page.wait_for_timeout(800)

    def figure_cells(self) -> list[int]:
        """Cells whose output shows a diagram, a figure or a table (for screenshots)."""
        return self.page.evaluate("""() => { const out = [];
            window.jupyterapp.shell.currentWidget.content.widgets.forEach((c, i) => {
              const area = c.node.querySelector('.jp-Cell-outputArea');
              if (c.model.type === 'code' && area && (area.querySelector('img, table') ||
                  [...area.querySelectorAll('svg')].some(s => s.getBoundingClientRect().width > 60))) out.push(i); });
            return out; }""")

    def snapshot(self) -> dict:
        return self.page.evaluate(JS_SNAPSHOT)

    def control(self, cid: int):
        return self.page.locator(f"[data-ck-control='{cid}']")

    def move(self, ctl: dict) -> str:
        """Move one control the way a hand does; return what was done, for the report."""
        loc = self.control(ctl["id"])
        loc.scroll_into_view_if_needed()
        kind = ctl["kind"]
        if kind == "slider":
            handle = loc.locator(".noUi-handle").first
            before = loc.inner_text()
            handle.focus()
            self.page.keyboard.press("ArrowRight")
            self.page.wait_for_timeout(150)
            if loc.inner_text() == before:  # at the maximum: go the other way
                self.page.keyboard.press("ArrowLeft")
                self.page.keyboard.press("ArrowLeft")
            return f"slider '{ctl['label']}': {before.strip()!r} -> {loc.inner_text().strip()!r}"
        if kind in ("dropdown", "select", "select-multiple"):
            sel = loc.locator("select").first
            options = sel.evaluate("s => [...s.options].map(o => o.value)")
            current = sel.evaluate("s => s.selectedIndex")
            if len(options) < 2:
                return f"{kind} '{ctl['label']}' has a single option"
            target = options[(current + 1) % len(options)] if current >= 0 else options[0]
            sel.select_option(target)
            return f"{kind} '{ctl['label']}': option {current} -> {options.index(target)}"
        if kind == "toggle-buttons":
            btn = loc.locator("button:not(.mod-active)").first
            text = btn.inner_text()
            btn.click()
            return f"toggle buttons '{ctl['label']}': clicked {text!r}"
        if kind == "radio":
            radio = loc.locator("input[type=radio]:not(:checked)").first
            radio.click()
            return f"radio '{ctl['label']}': picked another option"
        if kind in ("checkbox", "toggle-button"):
            (loc.locator("input[type=checkbox]").first if kind == "checkbox" else loc).click()
            return f"{kind} '{ctl['label']}': toggled"
        raise ValueError(kind)

    def wait_for_change(self, before: dict, timeout: float = 15) -> tuple[dict, float]:
        """Poll what the notebook shows until it differs from ``before``; then let it settle."""
        t0 = time.monotonic()
        now = before
        while time.monotonic() - t0 < timeout:
            now = self.snapshot()
            if now["hash"] != before["hash"]:
                latency = time.monotonic() - t0
                for _ in range(20):  # settle: the same picture twice in a row
                    self.page.wait_for_timeout(250)
                    again = self.snapshot()
                    if again["hash"] == now["hash"]:
                        break
                    now = again
                return now, latency
            self.page.wait_for_timeout(50)
        return now, float("nan")

    def screenshot_cell(self, cell_index: int, path: Path, part: str = ".jp-Cell-outputArea") -> bytes:
        """Screenshot one cell's output (``part=""`` for the whole cell) into ``path``."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self.page.evaluate("""i => { document.querySelectorAll('[data-ck-shot]').forEach(e => e.removeAttribute('data-ck-shot'));
            window.jupyterapp.shell.currentWidget.content.widgets[i].node.setAttribute('data-ck-shot', '1'); }""",
                           cell_index)
        cell = self.page.locator(f"[data-ck-shot='1'] {part}".strip()).first
        cell.scroll_into_view_if_needed()
        self.page.wait_for_timeout(200)
        # An output taller than the window would be cut at the window's edge (Lab scrolls inside its
        # own panel): make the window taller for the shot, never wider, so the layout is unchanged.
        size = dict(self.page.viewport_size)
        height = cell.evaluate("e => e.getBoundingClientRect().height")
        if height > size["height"] - 150:
            self.page.set_viewport_size({"width": size["width"], "height": int(min(height + 300, 8000))})
            self.page.wait_for_timeout(400)
            cell.scroll_into_view_if_needed()
            self.page.wait_for_timeout(200)
        try:
            return cell.screenshot(path=str(path), animations="disabled")
        finally:
            if self.page.viewport_size != size:
                self.page.set_viewport_size(size)
                self.page.wait_for_timeout(300)

    def glyphs(self, selector: str, limit: int = 60) -> list[dict]:
        """Single CJK characters as rendered under ``selector``: each with its screenshot (PNG)."""
        rects = self.page.evaluate(JS_CJK_RECTS, [selector, limit])
        out = []
        for r in rects:
            clip = {"x": r["x"], "y": r["y"], "width": r["width"], "height": r["height"]}
            if clip["y"] < 0 or clip["y"] + clip["height"] > self.page.viewport_size["height"]:
                continue  # off screen: the caller scrolls and asks again
            out.append({**r, "png": self.page.screenshot(clip=clip, animations="disabled")})
        return out

    def missing_glyph(self, glyph: dict) -> bytes:
        """How this browser draws a character no font has (U+0378, unassigned): the tofu box a
        Chinese character would become without a CJK font, in the same element as ``glyph``."""
        rect = self.page.evaluate("""([x, y]) => {
            const host = document.elementFromPoint(x, y);
            const probe = document.createElement('span');
            probe.id = 'ck-tofu'; probe.textContent = '\u0378\u0379';
            host.appendChild(probe);
            probe.scrollIntoView({block: 'center'});
            const range = document.createRange(); range.setStart(probe.firstChild, 0); range.setEnd(probe.firstChild, 1);
            const r = range.getBoundingClientRect();
            return {x: r.x, y: r.y, width: Math.max(r.width, 1), height: Math.max(r.height, 1)}; }""",
                                  [glyph["x"] + glyph["width"] / 2, glyph["y"] + glyph["height"] / 2])
        png = self.page.screenshot(clip=rect, animations="disabled")
        self.page.evaluate("() => { document.getElementById('ck-tofu').remove(); }")
        return png

    def close(self) -> None:
        """Shut the notebook's kernel down (memory is shared on a class machine) and close its tab."""
        self.page.evaluate("""async () => { const w = window.jupyterapp.shell.currentWidget;
            if (!w || !w.sessionContext) return;
            await w.sessionContext.shutdown(); w.dispose(); }""")
        self.page.wait_for_timeout(300)


def png_array(data: bytes):
    """A screenshot as a greyscale numpy array (0..255)."""
    import io

    import numpy as np
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(data)).convert("L"), dtype=float)


def pixel_difference(a: bytes, b: bytes, threshold: float = 40) -> float:
    """Share of pixels (0..1) that differ by more than ``threshold`` grey levels between two
    screenshots, over their common top-left area; rows only one of them has count as different."""
    x, y = png_array(a), png_array(b)
    h, w = min(x.shape[0], y.shape[0]), min(x.shape[1], y.shape[1])
    changed = float((abs(x[:h, :w] - y[:h, :w]) > threshold).sum())
    extra = max(x.shape[0], y.shape[0]) * max(x.shape[1], y.shape[1]) - h * w
    return (changed + extra) / (max(x.shape[0], y.shape[0]) * max(x.shape[1], y.shape[1]))


# --------------------------------------------------------------------------------------------
# Layout: what does not fit the output area a student has (1280×800, file browser open)
# --------------------------------------------------------------------------------------------
# Laptop with JupyterLab's default layout, and a classroom projector.
LAPTOP = {"width": 1280, "height": 800}
PROJECTOR = {"width": 1920, "height": 1080}
MIN_TEXT_PX = 10   # no diagram or figure text rendered smaller than this

# For every code cell: outputs wider than the output area (it scrolls sideways, or an element
# sticks out past its right edge), table cells whose text is cut ("…" by CSS, or "..." by pandas),
# the same figure shown twice in one cell, and SVG text (inline, or an <img> of an SVG, measured
# at the size it is drawn) smaller than MIN_TEXT_PX.
JS_LAYOUT = """async (minPx) => {
  const panel = window.jupyterapp.shell.currentWidget;
  const out = {overflow: [], cut: [], narrow: [], twice: [], tiny: [], svgs: 0, areaWidth: 0};
  const describe = el => {
    const cls = (typeof el.className === 'string' ? el.className : (el.className.baseVal || '')).split(/\\s+/).slice(0, 2).join('.');
    return el.tagName.toLowerCase() + (cls ? '.' + cls : '');
  };
  const tinyIn = (svg, scaleFix, cell, what) => {
    let worst = null, n = 0;
    for (const t of svg.querySelectorAll('text')) {
      if (!t.textContent.trim()) continue;
      const ctm = t.getScreenCTM();
      if (!ctm) continue;
      const px = parseFloat(getComputedStyle(t).fontSize) * Math.hypot(ctm.a, ctm.b) * scaleFix;
      if (px > 0 && px < minPx) { n++; if (!worst || px < worst.px) worst = {px: Math.round(px * 10) / 10, text: t.textContent.trim().slice(0, 40)}; }
    }
    if (n) out.tiny.push({cell, what, count: n, smallest: worst});
  };
  const norm = s => s.replace(/<metadata>[\\s\\S]*?<\\/metadata>/g, '').replace(/\\b(id|href|xlink:href|clip-path)="[^"]*"/g, '').replace(/url\\(#[^)]*\\)/g, '');
  const cells = panel.content.widgets;
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i];
    if (cell.model.type !== 'code') continue;
    const areaNode = cell.node.querySelector('.jp-Cell-outputArea');
    if (!areaNode) continue;
    const figures = [];
    for (const o of areaNode.querySelectorAll(':scope > .jp-OutputArea-child > .jp-OutputArea-output')) {
      const box = o.getBoundingClientRect();
      if (!box.width) continue;
      out.areaWidth = Math.max(out.areaWidth, Math.round(box.width));
      if (o.scrollWidth > o.clientWidth + 1) {
        out.overflow.push({cell: i, what: describe(o) + ' scrolls sideways', scrollWidth: o.scrollWidth, width: o.clientWidth});
      }
      let stuck = 0;
      for (const el of o.querySelectorAll('*')) {
        if (el.closest('svg') && el.tagName.toLowerCase() !== 'svg') continue;
        const r = el.getBoundingClientRect();
        if (!r.width || !r.height) continue;
        const cs = getComputedStyle(el);
        if (cs.visibility === 'hidden' || cs.position === 'fixed') continue;
        if (r.right > box.right + 1 && stuck++ < 3) {
          out.overflow.push({cell: i, what: describe(el) + ' sticks out', right: Math.round(r.right), areaRight: Math.round(box.right), width: Math.round(r.width)});
        }
        if (el.scrollWidth > el.clientWidth + 1 && cs.overflowX !== 'visible' && el.clientWidth > 0 &&
            (cs.textOverflow === 'ellipsis' || ['TD', 'TH'].includes(el.tagName))) {
          out.cut.push({cell: i, what: describe(el), text: el.textContent.trim().slice(0, 60)});
        }
        if (['TD', 'TH'].includes(el.tagName)) {   // Chinese squeezed to a character or two a line
          const t = el.textContent.trim(), cjk = (t.match(/[\\u3400-\\u9fff]/g) || []).length;
          if (cjk >= 6 && el.clientWidth < 3.5 * parseFloat(cs.fontSize)) {
            out.narrow.push({cell: i, what: describe(el), width: el.clientWidth, text: t.slice(0, 30)});
          }
        }
        if (el.tagName === 'TD' && /(\\.\\.\\.|…)$/.test(el.textContent.trim()) && el.textContent.trim().length > 5) {
          out.cut.push({cell: i, what: 'td ends in ...', text: el.textContent.trim().slice(-60)});
        }
      }
      // figures: <img> (JupyterLab draws SVG and PNG outputs as images) and inline <svg>
      for (const img of o.querySelectorAll('img')) {
        const src = img.getAttribute('src') || '';
        let key = src;
        if (src.startsWith('data:image/svg+xml')) {
          let text = src.slice(src.indexOf(',') + 1);
          text = /;base64,/.test(src.slice(0, 40)) ? atob(text) : decodeURIComponent(text);
          key = norm(text);
          // measure its text at the drawn size: parse it, draw it off screen at the image's width
          const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
          const svg = doc.documentElement;
          if (svg && svg.tagName.toLowerCase() === 'svg') {
            const host = document.createElement('div');
            host.style.cssText = 'position:absolute;left:-20000px;top:0;width:' + img.getBoundingClientRect().width + 'px';
            const clone = document.importNode(svg, true);
            const r = img.getBoundingClientRect();
            clone.setAttribute('width', r.width); clone.setAttribute('height', r.height);
            if (!clone.getAttribute('viewBox')) {
              const w = parseFloat(svg.getAttribute('width')) * (/pt$/.test(svg.getAttribute('width') || '') ? 4 / 3 : 1);
              const h = parseFloat(svg.getAttribute('height')) * (/pt$/.test(svg.getAttribute('height') || '') ? 4 / 3 : 1);
              if (w && h) clone.setAttribute('viewBox', '0 0 ' + w + ' ' + h);
            }
            host.appendChild(clone); document.body.appendChild(host);
            out.svgs++;
            tinyIn(clone, 1, i, 'svg image');
            host.remove();
          }
        }
        figures.push({key, w: Math.round(img.getBoundingClientRect().width), h: Math.round(img.getBoundingClientRect().height)});
      }
      for (const svg of o.querySelectorAll('svg')) {
        if (svg.parentElement.closest('svg')) continue;
        const r = svg.getBoundingClientRect();
        if (r.width < 60 || r.height < 40) continue;    // icons, not figures
        out.svgs++;
        tinyIn(svg, 1, i, 'inline svg');
        figures.push({key: norm(svg.outerHTML), w: Math.round(r.width), h: Math.round(r.height)});
      }
    }
    const seen = new Map();
    for (const f of figures) {
      if (f.w < 60) continue;
      if (seen.has(f.key)) out.twice.push({cell: i, size: f.w + 'x' + f.h});
      seen.set(f.key, true);
    }
  }
  return out;
}"""
