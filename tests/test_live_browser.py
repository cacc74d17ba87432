"""The live case session in real browsers: three students on phones, one instructor on a projector.

Debian's Chromium through Playwright. The class is in Chinese (``--lang zh``); unit 3 (Qingdao) is
preheated for the three phones (390×844); the instructor's page is 1920×1080. The instructor opens
voting, the students pick and give a reason (one of them a piece of HTML that would run script if
it were ever treated as markup), the instructor's bars fill, voting closes, the split is shown and
case B released; each phone follows every step without a reload (a marker set in each page's window
before the first step is still there at the end, and the page was navigated once). A student who
tries the instructor's page gets the bilingual 403 page. Screenshots: artifacts/screenshots/live/.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from browser_helpers import CHROMIUM_ARGS, browser_unavailable_reason

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_live_session import LiveServer, live_classroom_module  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]
ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "artifacts" / "screenshots" / "live"
UNIT = "03_qingdao_six_paths"
POINT = "buy_or_build"
PHONE = {"width": 390, "height": 844}
PROJECTOR = {"width": 1920, "height": 1080}
STEP_MS = 30_000    # a step of the instructor's reaches a phone well within this (the kernel polls every 0.5 s)


@pytest.fixture(scope="module")
def browser():
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


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    pytest.importorskip("voila", reason="the classroom extra is not installed: pip install -e '.[classroom]'")
    work = tmp_path_factory.mktemp("live-browser")
    module, extra = live_classroom_module(work / "hook")
    srv = LiveServer(work, ["--pool", "0", "--warm", "03:3", "--max-students", "10", "--lang", "zh"],
                     folder=work / "class", module=module, extra_path=extra)
    srv.start()
    try:
        srv.wait_for_pool(UNIT, timeout=300)
        yield srv
    finally:
        srv.stop()


def _panel(page):
    return page.locator(".ck-choice").first


def _shot(page, name: str, locator=None) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    if locator is not None:
        locator.scroll_into_view_if_needed()
        page.wait_for_timeout(300)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def test_three_phones_and_a_projector_run_a_case_discussion(browser, server):
    # ------------------------------------------------------------ the instructor on the projector
    teacher = browser.new_context(viewport=PROJECTOR, locale="zh-CN").new_page()
    teacher.goto(f"{server.base}/casekit/instructor?key={server.instructor}&unit=qingdao_six_paths")
    assert teacher.url.endswith("/casekit/instructor?unit=qingdao_six_paths")     # the key left the address bar
    teacher.wait_for_selector(f"#pt-{POINT} .opt")
    assert teacher.locator("nav#units button").count() == 4
    assert "开放投票 · Open voting" in teacher.inner_text(f"#pt-{POINT} .controls")

    # ------------------------------------------------------------ three students on phones
    phones = []
    for i in range(3):
        ctx = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN")
        page = ctx.new_page()
        page.goto(server.url("/"), wait_until="domcontentloaded")
        page.click(f"a[href$='{UNIT}.ipynb']")
        page.wait_for_selector(".ck-choice button", timeout=180_000)
        page.wait_for_selector(".ck-choice .ck-state", timeout=60_000)
        page.evaluate("() => { window.__ckMarker = 'same page'; }")
        phones.append(page)
    for page in phones:
        # Voting is not open yet: the buttons wait, and the panel says so in the class language.
        # (Waited for: the panel draws its badge as soon as the page has it; the kernel now sends the
        # buttons' state before the words, see reveal._Point.render.)
        page.wait_for_function("() => { const p = document.querySelector('.ck-choice'); const b = p && p.querySelector('button');"
                               " return b && b.disabled && p.innerText.includes('投票尚未开始'); }", timeout=STEP_MS)
        assert _panel(page).locator("button").first.is_disabled()
        assert "投票尚未开始" in _panel(page).inner_text()
        assert not page.locator(".celltag_ck-sequel").first.is_visible()     # the analysis stays hidden
    _shot(phones[0], "1_phone_waiting", _panel(phones[0]))

    teacher.click(f"#pt-{POINT} button[data-action=open]")
    for page in phones:
        page.wait_for_function("() => { const b = document.querySelector('.ck-choice button'); return b && !b.disabled; }",
                               timeout=STEP_MS)
    reasons = ['<img src=x onerror="window.__pwned=1">芯片是命门', "自己研发太慢，先买", "Own chips or stay dependent"]
    picks = [0, 1, 0]
    for page, reason, pick in zip(phones, reasons, picks):
        panel = _panel(page)
        panel.locator("textarea").fill(reason)
        panel.locator("button").nth(pick).click()
        page.wait_for_function("() => /你的选择已记下/.test(document.querySelector('.ck-choice').innerText)",
                               timeout=STEP_MS)
    _shot(phones[0], "2_phone_voted", _panel(phones[0]))

    teacher.wait_for_selector(f"#pt-{POINT} .total[data-votes='3']", timeout=STEP_MS)
    teacher.wait_for_function(f"() => document.querySelectorAll('#pt-{POINT} ul.reasons li .rt').length === 3",
                              timeout=STEP_MS)
    counts = teacher.eval_on_selector_all(f"#pt-{POINT} .opt", "rows => rows.map(r => +r.dataset.count)")
    assert counts == [2, 1]
    text = teacher.inner_text(f"#pt-{POINT} ul.reasons")
    assert '<img src=x onerror="window.__pwned=1">芯片是命门' in text      # shown as the student wrote it ...
    assert teacher.locator(f"#pt-{POINT} ul.reasons img").count() == 0     # ... never as markup
    assert not teacher.evaluate("() => window.__pwned === 1")
    _shot(teacher, "3_projector_votes")

    teacher.click(f"#pt-{POINT} button[data-action=close]")
    for page in phones:
        page.wait_for_function("() => /投票已关闭/.test(document.querySelector('.ck-choice').innerText)", timeout=STEP_MS)
        assert _panel(page).locator("button").first.is_disabled()
    teacher.click(f"#pt-{POINT} button[data-action=show]")
    for page, pick in zip(phones, picks):
        page.wait_for_selector(".ck-choice .ck-split", timeout=STEP_MS)
        split = _panel(page).locator(".ck-split").inner_text()
        assert "全班的选择（共 3 票）" in split and "（你的选择）" in split
    _shot(phones[1], "4_phone_split_shown", _panel(phones[1]).locator(".ck-split"))
    _shot(teacher, "5_projector_closed_shown")

    teacher.click("#release")
    teacher.wait_for_selector("#bcase[data-released='true']", timeout=STEP_MS)
    for page in phones:
        page.wait_for_selector(".ck-case h1:has-text('后续进展')", timeout=STEP_MS)
        page.wait_for_function("() => { const c = document.querySelector('.celltag_ck-sequel');"
                               " return c && c.getClientRects().length > 0; }", timeout=STEP_MS)
    _shot(phones[2], "6_phone_case_b", phones[2].locator(".ck-case h1:has-text('后续进展')"))
    for page in phones:     # the panel and case B fit the phone's width (nothing cut off at the right)
        right = page.evaluate("() => Math.max(...[...document.querySelectorAll("
                              "'.ck-choice, .ck-choice textarea, .ck-reveal-body .widget-html-content')]"
                              ".map(e => e.getBoundingClientRect().right))")
        assert right <= PHONE["width"], right
    _shot(teacher, "7_projector_released")

    for page in phones:     # every change came to the page as it stood: never reloaded
        assert page.evaluate("() => window.__ckMarker") == "same page"
        assert page.evaluate("() => performance.getEntriesByType('navigation').length") == 1

    # ------------------------------------------------------------ a student tries the instructor's page
    sneak = phones[0].context.new_page()
    resp = sneak.goto(server.url("/casekit/instructor"))
    assert resp.status == 403
    body = sneak.inner_text("body")
    assert "这是本班教师的页面" in body and "This page is for the class's instructor" in body
    assert re.search(r"单元列表", body)
    _shot(sneak, "8_phone_instructor_page_refused")
    for page in phones:
        page.context.close()
    teacher.context.close()
