"""The classroom server in a real browser (Debian's Chromium), as a student meets it.

Open the index with the link the instructor hands out, click unit 2, wait for its explorer, move a
control and see the page change; no code anywhere on the page; closing the tab shuts the student's
kernel down. Then the same in Chinese (a server
started with --lang zh). Skipped, with the reason, when Chromium, Playwright or Voilà is missing.
"""
from __future__ import annotations

import re
import time

import pytest

from browser_helpers import CHROMIUM_ARGS, browser_unavailable_reason
from classroom_helpers import ClassroomServer, http_get, open_reveal

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]
CJK = re.compile(r"[\u3400-\u9fff]")
UNIT = "02_keda_zhongtu"

# What the explorer shows, without the controls themselves: texts, images and inline SVG, hashed.
JS_SHOWN = """() => {
  const skip = n => n.nodeType === 1 && (n.matches('.widget-dropdown, .widget-slider, .widget-toggle-buttons,'
      + ' .widget-radio, .widget-checkbox, .widget-select, .widget-toggle-button') || ['STYLE','SCRIPT'].includes(n.tagName));
  const parts = [];
  for (const area of document.querySelectorAll('.jp-OutputArea-output')) {
    const w = document.createTreeWalker(area, NodeFilter.SHOW_TEXT | NodeFilter.SHOW_ELEMENT,
      {acceptNode: n => skip(n) ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT});
    let n;
    while ((n = w.nextNode())) {
      if (n.nodeType === 3) { const t = n.textContent.trim(); if (t) parts.push(t); }
      else if (n.tagName === 'IMG') parts.push('img:' + (n.getAttribute('src') || '').length + (n.getAttribute('src') || '').slice(-64));
      else if (n.tagName.toLowerCase() === 'svg' && !n.parentElement.closest('svg')) parts.push('svg:' + n.outerHTML.length + n.textContent);
    }
  }
  return parts.join('|');
}"""

JS_CODE_VISIBLE = """() => [...document.querySelectorAll('.jp-CodeCell .jp-InputArea, .jp-CodeMirrorEditor, .cm-editor, .jp-InputPrompt, pre code')]
  .filter(e => e.getClientRects().length && e.innerText.trim()).map(e => e.innerText.slice(0, 80))"""


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    reason = browser_unavailable_reason()
    if reason:
        pytest.skip(f"BROWSER TESTS NOT RUN: {reason}")
    pytest.importorskip("voila", reason="the classroom extra is not installed: pip install -e '.[classroom]'")
    from playwright.sync_api import sync_playwright

    from browser_helpers import CHROMIUM

    pw = sync_playwright().start()
    b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    try:
        yield b
    finally:
        b.close()
        pw.stop()


def _student_session(browser, server: ClassroomServer, lang: str, shots) -> dict:
    page = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN" if lang == "zh" else "en-US").new_page()
    page.goto(server.url("/"), wait_until="domcontentloaded")
    links = page.locator("#units a")
    assert links.count() == 4
    index_text = page.inner_text("body")
    page.click(f"a[href$='{UNIT}.ipynb']")
    t0 = time.monotonic()
    open_reveal(page)   # the class has decided: the analysis and its explorer show below the reveal
    page.wait_for_selector(".widget-dropdown select, .widget-slider .noUi-handle, .widget-toggle-buttons button",
                           timeout=180_000)
    page.wait_for_function("() => !document.querySelector('.voila-spinner, #loading') || "
                           "getComputedStyle(document.querySelector('.voila-spinner, #loading')).display === 'none'",
                           timeout=180_000)
    page.wait_for_timeout(1500)
    interactive = time.monotonic() - t0
    before = page.evaluate(JS_SHOWN)
    page.screenshot(path=str(shots / f"classroom_{lang}_before.png"))
    moved = None
    for i, sel in enumerate(page.locator(".widget-dropdown select").all()):
        options = sel.locator("option").all_inner_texts()
        current = sel.evaluate("e => e.value")
        values = sel.evaluate("e => [...e.options].map(o => o.value)")
        other = next((v for v in values if v != current), None)
        if other is None or not sel.is_enabled():
            continue
        sel.select_option(other)
        try:
            page.wait_for_function("b => document.readyState && (" + JS_SHOWN + ")() !== b", arg=before, timeout=10_000)
            moved = (i, options)
            break
        except Exception:
            continue
    after = page.evaluate(JS_SHOWN)
    code = page.evaluate(JS_CODE_VISIBLE)
    page.screenshot(path=str(shots / f"classroom_{lang}_after.png"))
    html = page.content()
    kernel = re.search(r'"kernelId": "([0-9a-f-]+)"', html).group(1)
    alive = http_get(server.url(f"/api/kernels/{kernel}"))[0]
    page.close(run_before_unload=True)   # the student closes the tab
    deadline = time.monotonic() + 20
    while http_get(server.url(f"/api/kernels/{kernel}"))[0] == 200 and time.monotonic() < deadline:
        time.sleep(0.5)
    gone = http_get(server.url(f"/api/kernels/{kernel}"))[0]
    return {"kernel_alive": alive, "kernel_after_close": gone,"index": index_text, "before": before, "after": after, "moved": moved,
            "code": code, "html": html, "interactive_s": interactive}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_student_opens_a_unit_moves_a_control_and_sees_no_code(browser, tmp_path_factory, lang):
    from pathlib import Path

    shots = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    server = ClassroomServer(tmp_path_factory.mktemp(f"classroom-{lang}"),
                             ["--pool", "0", "--warm", "02:1", "--lang", lang]).start()
    try:
        server.wait_for_pool(UNIT)
        seen = _student_session(browser, server, lang, shots)
    finally:
        server.stop()
    assert seen["moved"] is not None, "no control of unit 2 changed what the page shows"
    assert seen["before"] != seen["after"]
    assert seen["code"] == [], f"code visible to the student: {seen['code'][:3]}"
    assert seen["kernel_alive"] == 200 and seen["kernel_after_close"] == 404, "closing the tab frees its kernel"
    # no code cell's source reaches the page (markdown may name a call in prose; that is text, not code)
    import html as _html
    import json
    from pathlib import Path as _P

    nb = json.loads((_P(__file__).resolve().parent.parent / "notebooks" / f"{UNIT}.ipynb").read_text(encoding="utf-8"))
    page_text = " ".join(_html.unescape(re.sub(r"<[^>]+>", " ", seen["html"])).split())
    sources = [" ".join("".join(c["source"]).split()) for c in nb["cells"] if c["cell_type"] == "code"]
    shown = [src for src in sources if len(src) > 25 and src in page_text]
    assert not shown, f"code cells visible to the student: {shown[:2]}"
    assert CJK.search(seen["index"]) and re.search(r"Unit \d", seen["index"])
    shown_cjk = len(CJK.findall(seen["after"]))
    if lang == "zh":
        assert shown_cjk > 40, f"the explorer is not in Chinese: {seen['after'][:300]}"
    print(f"\n{lang}: unit 2 interactive {seen['interactive_s']:.1f} s after the click; CJK characters shown: {shown_cjk}")


# An IPython startup file for the kernels of the server below: in the first kernel the server
# starts (the one warmed for the page), the explorer cell waits far longer than the server's limit
# per cell (a stall of any kind); in every other kernel it runs at once. Claimed at kernel start,
# not at the cell: the refill kernel Voila starts as soon as the page takes the warm one renders
# the same unit, and on a loaded machine it once reached the explorer first, took the one slow run,
# and the page's own kernel then ran the cell at once, so the page had nothing to say.
_SLOW_ONCE = """
import os, time
from IPython import get_ipython

_marker = os.environ["CASEKIT_TEST_SLOW_ONCE"]
try:
    os.close(os.open(_marker + ".first-kernel", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    _first = True
except FileExistsError:
    _first = False

def _slow_once(info):
    if _first and "explore(" in (info.raw_cell or "") and not os.path.exists(_marker):
        open(_marker, "w").close()
        time.sleep(60)

get_ipython().events.register("pre_run_cell", _slow_once)
"""


def test_a_cell_over_the_limit_says_reload_in_the_class_language_and_the_reload_works(browser, tmp_path_factory):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    root = tmp_path_factory.mktemp("classroom-timeout")
    startup = root / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-slow-once.py").write_text(_SLOW_ONCE)
    server = ClassroomServer(root, ["--pool", "0", "--warm", "02:1", "--lang", "zh", "--cell-timeout", "8"])
    server.start(env={"IPYTHONDIR": str(root / "ipython"), "CASEKIT_TEST_SLOW_ONCE": str(root / "slowed")})
    try:
        server.wait_for_pool(UNIT)
        page = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN").new_page()
        page.goto(server.url(f"/voila/render/{UNIT}.ipynb"), wait_until="domcontentloaded")
        try:
            page.wait_for_function("() => document.body.innerText.includes('请刷新页面')", timeout=120_000)
        except PlaywrightTimeout:   # say what the page showed instead, and whether the slow cell ran
            pytest.fail(f"no 请刷新页面 after 120 s; slow cell ran: {(root / 'slowed').exists()}; the page shows: "
                        f"{' '.join(page.inner_text('body').split())[-600:]!r}; its HTML ends: "
                        f"{page.content()[-1500:]!r}")
        text = page.inner_text("body")
        assert (root / "slowed").exists(), "the slow cell did run"
        assert text.index("请刷新页面") < text.index("Reload the page"), "the class language comes first"
        assert "Traceback" not in text and "--VoilaExecutor" not in text
        page.reload(wait_until="domcontentloaded")
        open_reveal(page)
        page.wait_for_selector(".widget-dropdown select", timeout=180_000)
        assert "请刷新页面" not in page.inner_text("body"), "after the reload the page works"
        page.close(run_before_unload=True)
    finally:
        server.stop()
