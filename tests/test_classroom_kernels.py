"""Kernels that follow their pages on the classroom server, and the page a phone sees.

A page that is gone frees its kernel after the grace (``--grace``, short here): a tab closed
without ``beforeunload`` at once, a page gone silent (phone asleep, network lost) once the server's
pings go unanswered. A page that comes back within the grace finds its kernel as it left it; one
that comes back later reloads itself with a short message in the class language and works.
Protocol-level pages (tests/classroom_helpers.RawPage) for the server's side; Chromium at a
phone's size (390×844) for the page's side. The benchmark is benchmarks/bench_classroom_cull.py.
"""
from __future__ import annotations

import json
import re
import time

import pytest

from casekit import classroom
from classroom_helpers import ClassroomServer, RawPage, http_get, open_reveal

voila = pytest.importorskip("voila", reason="the classroom extra is not installed: pip install -e '.[classroom]'")
UNIT = "02_keda_zhongtu"
GRACE = 10


def connections(server: ClassroomServer, kernel_id: str) -> int | None:
    status, _, body = http_get(server.url(f"/api/kernels/{kernel_id}"))
    return json.loads(body)["connections"] if status == 200 else None


def wait_until(what, timeout: float, every: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = what()
        if value:
            return value
        time.sleep(every)
    return what()


# --------------------------------------------------------------------------------------------
# the server's side, without a browser
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = ClassroomServer(tmp_path_factory.mktemp("classroom-kernels"),
                          ["--pool", "0", "--warm", "02:2", "--lang", "zh", "--grace", str(GRACE),
                           "--max-students", "8"]).start()
    try:
        srv.wait_for_pool(UNIT)
        yield srv
    finally:
        srv.stop()


@pytest.mark.slow
@pytest.mark.timeout(400)
def test_pages_that_go_free_their_kernels_and_pages_that_stay_keep_them(server):
    interval, timeout = (x / 1000 for x in classroom.ping_settings(GRACE))
    sweep = classroom.sweep_interval(GRACE)
    closing, sleeping, staying = RawPage(server).open(), RawPage(server).open(), RawPage(server).open()
    assert all(connections(server, p.kernel_id) == 1 for p in (closing, sleeping, staying))
    t0 = time.monotonic()
    closing.close()      # a tab closed without beforeunload: no shutdown request reaches the server
    sleeping.go_silent()  # a phone asleep: the socket stays, nothing answers the pings
    assert wait_until(lambda: connections(server, closing.kernel_id) == 0, 5), "the server saw the tab go"
    assert closing.kernel_status() == 200, "the grace has not run out yet"
    assert wait_until(lambda: closing.kernel_status() == 404, GRACE + 3 * sweep + 10)
    closed_after = time.monotonic() - t0
    assert wait_until(lambda: sleeping.kernel_status() == 404, timeout + 2 * interval + GRACE + 3 * sweep + 15)
    silent_after = time.monotonic() - t0
    assert GRACE <= closed_after < silent_after
    assert staying.kernel_status() == 200 and connections(server, staying.kernel_id) == 1, \
        "a page that answers its pings keeps its kernel however long it is idle"
    log = server.read_log()
    assert "WebSocket ping timeout" in log and log.count("has been gone for") >= 2
    assert "Traceback" not in log
    staying.close()
    print(f"\nkernel gone {closed_after:.1f} s after its tab closed, {silent_after:.1f} s after its page went silent "
          f"(grace {GRACE} s, pings every {interval:.0f} s, {timeout:.0f} s without an answer)")


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_page_that_reconnects_within_the_grace_keeps_its_kernel(server):
    page = RawPage(server).open()
    page.close()
    assert wait_until(lambda: connections(server, page.kernel_id) == 0, 5)
    time.sleep(GRACE / 2)
    page.connect()                       # the same kernel: the page came back in time
    assert connections(server, page.kernel_id) == 1
    time.sleep(GRACE + 2 * classroom.sweep_interval(GRACE) + 2)
    assert page.kernel_status() == 200, "the reconnected page's kernel outlives the grace"
    page.close()


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_the_pool_is_full_again_once_the_pages_are_gone(server):
    import psutil

    def kernels() -> int:
        n = 0
        for child in psutil.Process(server.proc.pid).children(recursive=True):
            try:
                n += "ipykernel" in " ".join(child.cmdline()) and child.status() != psutil.STATUS_ZOMBIE
            except psutil.Error:   # a kernel that has just ended
                pass
        return n

    pages = [RawPage(server).open() for _ in range(3)]
    assert wait_until(lambda: kernels() >= 5, 120), "3 pages and the pool of 2 refilled at once"
    for p in pages:
        p.close()
    assert wait_until(lambda: kernels() == 2, GRACE + 60, every=1), "back to the pool of 2"


# --------------------------------------------------------------------------------------------
# the page's side, in Chromium at a phone's size
# --------------------------------------------------------------------------------------------
# The page's kernel websocket, cut as a lost network cuts it: every open socket closed and new
# ones failing until the network is back (Chromium's offline mode stops HTTP but leaves open
# websockets alone).
CUTTABLE = """(() => { const Native = window.WebSocket; const all = [];
  class Cuttable extends Native {
    constructor(url, protocols) { super(window.__ckOffline ? 'ws://127.0.0.1:9/' : url, protocols); all.push(this); }
  }
  window.WebSocket = Cuttable;
  window.__ckCut = () => { window.__ckOffline = true; all.forEach(s => { try { s.close(); } catch (e) {} }); };
  window.__ckBack = () => { window.__ckOffline = false; };
})();"""
JS_KERNEL = "() => JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId"
JS_SHOWN = """() => [...document.querySelectorAll('.jp-OutputArea-output')].map(e => {
  const c = e.cloneNode(true); c.querySelectorAll('select, .widget-dropdown, style, script').forEach(x => x.remove());
  return c.textContent.trim() + [...c.querySelectorAll('img, svg')].map(x => x.outerHTML.length).join(',');
}).join('|')"""
ERRORS = re.compile(r"Traceback|Error:|does not exist|Kernel is dead|Connection lost|\bError\b")


@pytest.fixture(scope="module")
def browser():
    from browser_helpers import CHROMIUM, CHROMIUM_ARGS, browser_unavailable_reason

    reason = browser_unavailable_reason()
    if reason:
        pytest.skip(f"BROWSER TESTS NOT RUN: {reason}")
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    try:
        yield b
    finally:
        b.close()
        pw.stop()


@pytest.fixture(scope="module")
def phone_server(tmp_path_factory):
    """A Chinese class; unit 2 warmed with one kernel; a grace long enough for a short cut, short
    enough to wait out."""
    srv = ClassroomServer(tmp_path_factory.mktemp("classroom-phone"),
                          ["--pool", "0", "--warm", "02:1", "--lang", "zh", "--grace", "20"]).start()
    try:
        srv.wait_for_pool(UNIT)
        yield srv
    finally:
        srv.stop()


def _phone(browser):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                              has_touch=True, locale="zh-CN")
    ctx.add_init_script(CUTTABLE)
    return ctx, ctx.new_page()


def _open_unit(page, server):
    page.goto(server.url(f"/voila/render/{UNIT}.ipynb"), wait_until="domcontentloaded")
    open_reveal(page)
    page.wait_for_selector(".widget-dropdown select", timeout=180_000)
    page.wait_for_function("() => !document.getElementById('loading')", timeout=180_000)
    page.wait_for_timeout(1000)
    return page.evaluate(JS_KERNEL)


def _a_control_moved_changes_the_page(page) -> bool:
    before = page.evaluate(JS_SHOWN)
    for sel in page.locator(".widget-dropdown select").all():
        values = sel.evaluate("e => [...e.options].map(o => o.value)")
        current = sel.evaluate("e => e.value")
        other = next((v for v in values if v != current), None)
        if other is None or not sel.is_enabled():
            continue
        sel.select_option(other)
        try:
            page.wait_for_function(f"b => ({JS_SHOWN})() !== b", arg=before, timeout=15_000)
            return True
        except Exception:
            continue
    return False


@pytest.mark.browser
@pytest.mark.timeout(400)
def test_a_phone_that_loses_its_network_and_is_back_within_the_grace_keeps_its_page(browser, phone_server):
    ctx, page = _phone(browser)
    try:
        kernel = _open_unit(page, phone_server)
        assert connections(phone_server, kernel) == 1
        ctx.set_offline(True)
        page.evaluate("() => window.__ckCut()")
        assert wait_until(lambda: connections(phone_server, kernel) == 0, 10), "the server saw the page go"
        time.sleep(6)                                  # away, but for less than the grace (20 s)
        ctx.set_offline(False)
        page.evaluate("() => window.__ckBack()")
        assert wait_until(lambda: connections(phone_server, kernel) == 1, 12), "the page reconnected"
        assert page.evaluate(JS_KERNEL) == kernel, "the same page, not a reload"
        assert _a_control_moved_changes_the_page(page), "a control moved after coming back updates the page"
        assert not ERRORS.search(page.inner_text("body"))
        assert not page.locator("#casekit-note").count()
    finally:
        ctx.close()


@pytest.mark.browser
@pytest.mark.timeout(400)
def test_a_phone_back_after_the_grace_gets_a_fresh_working_page_without_an_error(browser, phone_server):
    ctx, page = _phone(browser)
    try:
        kernel = _open_unit(page, phone_server)
        ctx.set_offline(True)
        page.evaluate("() => window.__ckCut()")
        t0 = time.monotonic()
        assert wait_until(lambda: http_get(phone_server.url(f"/api/kernels/{kernel}"))[0] == 404, 60), \
            "the kernel of a page gone longer than the grace is freed"
        freed_after = time.monotonic() - t0
        ctx.set_offline(False)
        page.evaluate("() => window.__ckBack()")
        page.wait_for_function("k => { const e = document.getElementById('jupyter-config-data');"
                               " return e && JSON.parse(e.textContent).kernelId !== k; }", arg=kernel, timeout=60_000)
        page.wait_for_selector("#casekit-note", timeout=30_000)
        note = page.inner_text("#casekit-note")
        assert note.index("这是重新打开的页面") < note.index("This is a fresh page"), note
        open_reveal(page)
        page.wait_for_selector(".widget-dropdown select", timeout=180_000)
        page.wait_for_function("() => !document.getElementById('loading')", timeout=180_000)
        fresh = page.evaluate(JS_KERNEL)
        assert fresh != kernel and wait_until(lambda: connections(phone_server, fresh) == 1, 15)
        assert _a_control_moved_changes_the_page(page), "the fresh page works"
        assert not ERRORS.search(page.inner_text("body")), page.inner_text("body")[:500]
        print(f"\nkernel freed {freed_after:.0f} s after the page went (grace 20 s); the page reloaded on its return")
    finally:
        ctx.close()


@pytest.mark.browser
@pytest.mark.timeout(400)
def test_the_index_and_a_unit_page_are_usable_on_a_phone_and_load_in_the_class_language(browser, phone_server):
    ctx, page = _phone(browser)
    try:
        page.goto(phone_server.url("/"), wait_until="domcontentloaded")
        index = page.evaluate("""() => ({
            viewport: (document.querySelector('meta[name=viewport]') || {}).content,
            scroll: document.documentElement.scrollWidth, width: innerWidth,
            smallest: Math.min(...[...document.querySelectorAll('h1, p, a, span')].filter(e => e.innerText.trim())
                                  .map(e => parseFloat(getComputedStyle(e).fontSize))),
            taps: [...document.querySelectorAll('#units a')].map(a => a.getBoundingClientRect().height)})""")
        assert index["viewport"] == "width=device-width, initial-scale=1"
        assert index["scroll"] <= index["width"] == 390
        assert index["smallest"] >= 16, index
        assert len(index["taps"]) == 4 and min(index["taps"]) >= 44, index
        # Unit 1 has no warmed kernel here: its page waits for its kernel to run it, showing the loading text.
        seen, case_while_loading = [], False
        page.goto(phone_server.url("/voila/render/01_srdi_landscape.ipynb"), wait_until="commit")
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            text = page.evaluate("() => { const e = document.getElementById('loading_text'); return e ? e.innerText : null; }")
            if text:
                seen.append(text)
                case_while_loading = case_while_loading or page.evaluate(
                    "() => { const h = document.querySelector('#loading #casekit-early .ck-case h1');"
                    " return !!h && h.getBoundingClientRect().height > 0 && /[\u3400-\u9fff]/.test(h.innerText); }")
            if page.locator(".jp-OutputArea-output").count() and not page.locator("#loading").count():
                break
            page.wait_for_timeout(200)
        steps = [t for t in seen if "步，共" in t]
        assert steps, f"no loading step seen: {seen[:3]}"
        assert re.match(r"正在准备页面：第 \d+ 步，共 \d+ 步\s*Preparing the page: step \d+ of \d+", steps[0]), steps[0]
        assert not any("Executing" in t or "Running" in t for t in seen), seen[:3]
        assert case_while_loading, "the decision case is there to read while the kernel runs the unit"
        kicker = page.evaluate("() => getComputedStyle(document.querySelector('#rendered_cells .ck-case .ck-kicker')).color")
        assert kicker == "rgb(102, 102, 102)", "the case's own style applies in the served page"
        assert not page.locator("#casekit-early").count(), "the early copy goes with the loading screen"
        shell = page.evaluate("""() => ({
            viewport: (document.querySelector('meta[name=viewport]') || {}).content,
            scroll: [...document.querySelectorAll('html, body, #rendered_cells')].map(e => e.scrollWidth - e.clientWidth),
            shell: [...document.querySelectorAll('body, #rendered_cells, .jp-Cell, .jp-OutputArea')]
                     .filter(e => e.getBoundingClientRect().right > innerWidth + 1).map(e => e.className).slice(0, 5),
            // text cells clip what is wider than they are: a long path must wrap, not vanish
            clipped: [...document.querySelectorAll('.jp-RenderedMarkdown')].filter(e => e.scrollWidth > e.clientWidth + 1)
                       .map(e => e.innerText.slice(0, 60))})""")
        assert shell["viewport"].startswith("width=device-width")
        assert shell["shell"] == [] and max(shell["scroll"]) <= 0, shell
        assert shell["clipped"] == [], shell["clipped"]
    finally:
        ctx.close()
