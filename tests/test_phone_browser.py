"""The four units on a phone (390×844), as students meet them on the classroom server.

One classroom server per language (``python -m casekit.classroom --lang zh|en``), each unit's page
opened in Debian's Chromium as an iPhone-sized phone (``is_mobile``, touch, device pixel ratio 2).
On every page:

* figures and diagrams: no text under 11 px as drawn (an SVG text's font size times its scale on
  screen), the cost explorer's picture not shrunk below its drawn size (its text is 9 pt, 12 px);
* nothing wider than the screen: the page does not scroll sideways and no element sticks out past
  its right edge (a diagram that must be panned does so inside its own ``ck-scroll`` box, a case
  exhibit inside its scrolling wrapper);
* tables: no cell one character wide (a cell under 2 em holding text on several lines, or a line
  per character);
* controls a thumb can hit: dropdowns, checkbox rows, slider handles and buttons at least 44 px tall,
  every dropdown, slider and list with a visible label;
* in Chinese, no raw id in the text a reader sees (the scanner of tests/test_no_raw_ids.py).

Then, where it applies: the stage explorer's verdict is on screen while the controls that change it
are (unit 2); a 60 px swipe moves the cost explorer's ΔF by less than a quarter of its range and a
typed value reaches the model (unit 4); the path-fit advisor's short ranking is on screen while its
sliders are (unit 3). Screenshots go to artifacts/screenshots/phone/. A last test opens the units at
1280×800 on a laptop: there the laptop forms are shown, at their full width (not narrower than
before), with no text under 10 px. Skipped, with the reason, when Chromium, Playwright or Voilà is
missing.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from browser_helpers import CHROMIUM, CHROMIUM_ARGS, browser_unavailable_reason
from classroom_helpers import ClassroomServer, open_reveal
from test_no_raw_ids import raw_ids

pytestmark = [pytest.mark.browser, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "artifacts" / "screenshots" / "phone"
UNITS = ["01_srdi_landscape", "02_keda_zhongtu", "03_qingdao_six_paths", "04_in_firm_cluster_costs"]
# Literal markup the notebooks still show, awaiting their fix (the notebooks are not this test's to
# change), by (unit, language): the start of what is shown. Strict: a fixed notebook fails here until
# its entry is removed.
# The fixes (reported to the orchestrator): a dataset's quirks through casekit.tables.quirks(...), not
# a list comprehension over attrs["quirks"]; labels joined into a sentence, not a list; in 02's
# markdown the colon outside the bold (CommonMark does not close "**…：**" before a Chinese letter).
AWAITING_NOTEBOOK_FIX: dict[tuple[str, str], set[str]] = {}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
LAPTOP = {"viewport": {"width": 1280, "height": 800}, "device_scale_factor": 1}
MIN_PHONE_PX, MIN_LAPTOP_PX, MIN_TAP_PX = 11, 10, 44

# What a reader sees, measured (see the module docstring). minPx: the smallest text allowed.
JS_PAGE = r"""(minPx) => {
  const out = {hscroll: [], stickOut: [], tiny: [], images: [], cells: [], controls: [], unlabelled: [], svgs: 0, figures: []};
  const vw = document.documentElement.clientWidth;
  const shown = el => { const r = el.getBoundingClientRect(); if (!r.width || !r.height) return false;
    for (let e = el; e; e = e.parentElement) { const cs = getComputedStyle(e);
      if (cs.display === 'none' || cs.visibility === 'hidden') return false; } return true; };
  const describe = el => (el.tagName.toLowerCase() + '.' + ((typeof el.className === 'string' ? el.className
      : (el.className.baseVal || '')).split(/\s+/).filter(Boolean).slice(0, 3).join('.'))).slice(0, 90);
  for (const s of [document.scrollingElement, document.querySelector('#rendered_cells')]) {
    if (s && s.scrollWidth > s.clientWidth + 1) out.hscroll.push({what: describe(s), scrollWidth: s.scrollWidth, width: s.clientWidth});
  }
  // a diagram too wide to be read at phone width is panned inside its own box (ck-scroll), a case
  // exhibit inside its scrolling wrapper: that is not cut. The output area itself does not count.
  const panned = el => { for (let e = el.parentElement; e && !e.classList.contains('jp-OutputArea-output'); e = e.parentElement) {
      const o = getComputedStyle(e).overflowX; if ((o === 'auto' || o === 'scroll') && !e.classList.contains('jupyter-widgets')) return true; }
    return false; };
  for (const area of document.querySelectorAll('.jp-OutputArea-output')) {
    if (!shown(area)) continue;
    for (const el of area.querySelectorAll('*')) {
      if (el.closest('svg') && el.tagName.toLowerCase() !== 'svg') continue;
      const r = el.getBoundingClientRect();
      if (!r.width || !r.height || r.right <= vw + 1 || panned(el) || !shown(el)) continue;
      if (out.stickOut.length < 12) out.stickOut.push({what: describe(el), right: Math.round(r.right), width: Math.round(r.width),
                                                       text: (el.textContent || '').trim().slice(0, 30)});
    }
    for (const svg of area.querySelectorAll('svg')) {
      if (svg.parentElement.closest('svg') || !shown(svg)) continue;
      const r = svg.getBoundingClientRect();
      if (r.width < 60 || r.height < 30) continue;      // icons, not figures
      out.svgs++;
      const wAttr = svg.getAttribute('width') || '';
      const natural = parseFloat(wAttr) * (/pt$/.test(wAttr) ? 4 / 3 : 1);
      const box = area.getBoundingClientRect();
      out.figures.push({w: Math.round(r.width), natural: Math.round(natural), area: Math.round(box.width),
                        form: svg.closest('.ck-n') ? 'narrow' : (svg.closest('.ck-w') ? 'wide' : 'one')});
      let n = 0, worst = null;
      for (const t of svg.querySelectorAll('text')) {
        if (!t.textContent.trim()) continue;
        const ctm = t.getScreenCTM();
        if (!ctm) continue;
        const px = parseFloat(getComputedStyle(t).fontSize) * Math.hypot(ctm.a, ctm.b);
        if (px < minPx) { n++; if (!worst || px < worst.px) worst = {px: Math.round(px * 10) / 10, text: t.textContent.trim().slice(0, 30)}; }
      }
      if (n) out.tiny.push({figure: Math.round(r.width) + 'x' + Math.round(r.height), count: n, smallest: worst});
    }
    for (const img of area.querySelectorAll('img')) {
      if (!shown(img)) continue;
      const r = img.getBoundingClientRect();
      out.images.push({w: Math.round(r.width), natural: img.naturalWidth, explorer: !!img.closest('.ck-cost-explorer'),
                       src: (img.getAttribute('src') || '').slice(0, 30)});
    }
    for (const c of area.querySelectorAll('td, th')) {
      if (!shown(c)) continue;
      const text = c.textContent.trim(), chars = [...text.replace(/\s/g, '')];
      if (chars.length < 2) continue;
      const cs = getComputedStyle(c), em = parseFloat(cs.fontSize);
      const inner = c.getBoundingClientRect().width - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
      const range = document.createRange();
      range.selectNodeContents(c);
      const lines = new Set([...range.getClientRects()].filter(q => q.width > 0).map(q => Math.round(q.top))).size;
      if ((inner < 2 * em && lines > 1) || (lines > 1 && lines >= chars.length))
        out.cells.push({width: Math.round(inner), lines, text: text.slice(0, 24)});
    }
  }
  const control = (selector, kind, target) => {
    for (const w of document.querySelectorAll(selector)) {
      if (!w.closest('.jp-OutputArea-output') || !shown(w)) continue;
      for (const el of (target ? [...w.querySelectorAll(target)] : [w])) {
        if (!shown(el)) continue;
        const r = el.getBoundingClientRect();
        if (r.height < 44 - 0.5) out.controls.push({kind, height: Math.round(r.height * 10) / 10,
                                                    text: (w.innerText || '').trim().slice(0, 30)});
      }
      if (['dropdown', 'slider', 'list'].includes(kind)) {
        const label = w.querySelector('.widget-label');
        if (!label || !label.innerText.trim() || !shown(label))
          out.unlabelled.push({kind, text: (w.innerText || '').trim().slice(0, 30)});
      }
    }
  };
  control('.widget-dropdown', 'dropdown', 'select');
  control('.widget-checkbox', 'checkbox', 'label.widget-label-basic');
  control('.widget-slider', 'slider', '.noUi-handle');
  control('.widget-select-multiple', 'list', 'select');
  control('.jupyter-button', 'button', null);
  return out;
}"""

# The text a reader sees, code left out (what the raw-id scanner reads).
JS_TEXT = """() => { const root = document.querySelector('#rendered_cells') || document.body;
  const parts = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  let n;
  while ((n = walker.nextNode())) {
    const el = n.parentElement;
    if (!el || el.closest('code, pre, script, style') || !el.getClientRects().length) continue;
    const t = n.textContent.trim();
    if (t) parts.push(t);
  }
  return parts.join('\\n'); }"""

# Markup a reader should never see: literal markdown stars, a Python list printed as a cell's value.
JS_RAW_MARKUP = r"""() => {
  const out = [];
  for (const md of document.querySelectorAll('.jp-RenderedMarkdown, .jp-MarkdownOutput')) {
    for (const m of md.innerText.matchAll(/\*\*[^*\n]{1,40}\*\*/g)) out.push('markdown: ' + m[0]);
  }
  for (const t of document.querySelectorAll('.jp-OutputArea-output .jp-RenderedText, .jp-OutputArea-output pre')) {
    const text = t.innerText.trim();
    if (/^\[\s*['"]/.test(text)) out.push('python list: ' + text.slice(0, 40));
  }
  return out;
}"""

JS_SETTLED = """() => !document.querySelector('.voila-spinner, #loading')
  || getComputedStyle(document.querySelector('.voila-spinner, #loading')).display === 'none'"""


@pytest.fixture(scope="module")
def browser():
    reason = browser_unavailable_reason()
    if reason:
        pytest.skip(f"BROWSER TESTS NOT RUN: {reason}")
    pytest.importorskip("voila", reason="the classroom extra is not installed: pip install -e '.[classroom]'")
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    try:
        yield b
    finally:
        b.close()
        pw.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``server(lang)``: the classroom server of that language (one at a time: the other is stopped)."""
    running: dict[str, ClassroomServer] = {}

    def get(lang: str) -> ClassroomServer:
        if lang not in running:
            for other in list(running):
                running.pop(other).stop()
            # no preheated kernels: refilling a pool while the pages are measured costs more than it saves
            running[lang] = ClassroomServer(tmp_path_factory.mktemp(f"phone-{lang}"),
                                            ["--pool", "0", "--lang", lang]).start()
        return running[lang]

    try:
        yield get
    finally:
        for s in running.values():
            s.stop()


def _open(browser, srv: ClassroomServer, unit: str, lang: str, device: dict):
    ctx = browser.new_context(**device, locale="zh-CN" if lang == "zh" else "en-US")
    page = ctx.new_page()
    t0 = time.monotonic()
    page.goto(srv.url(f"/voila/render/{unit}.ipynb"), wait_until="domcontentloaded")
    page.wait_for_selector(".ck-explorer", state="attached", timeout=240_000)
    open_reveal(page)   # the class has decided: the analysis below the reveal shows
    page.wait_for_function(JS_SETTLED, timeout=240_000)
    # the explorers redraw once the page has said which form it shows: wait until the page is still
    last, still = None, 0
    while still < 3 and time.monotonic() - t0 < 240:
        now = page.evaluate("() => document.querySelector('#rendered_cells, body').innerHTML.length")
        still = still + 1 if now == last else 0
        last = now
        page.wait_for_timeout(400)
    return ctx, page, time.monotonic() - t0


def _shot(page, name: str, selector: str | None = None, block: str = "start") -> None:
    """A screenshot of the screen, scrolled to the first shown (not hidden) match of ``selector``."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    if selector:
        page.evaluate("""([sel, block]) => { const e = [...document.querySelectorAll(sel)].find(x =>
            x.getClientRects().length && x.getBoundingClientRect().width > 60);
          if (e) e.scrollIntoView({block}); }""", [selector, block])
        page.wait_for_timeout(250)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def _sticky_in_view_with(page, control_selector: str, sticky_selector: str) -> list[dict]:
    """For the first, middle and last control and every fourth between: scrolled to the middle of
    the screen, is the verdict on screen too?"""
    out = []
    found = page.locator(control_selector).all()
    for loc in [c for i, c in enumerate(found) if i % 4 == 0 or i in (len(found) // 2, len(found) - 1)]:
        loc.evaluate("e => e.scrollIntoView({block: 'center'})")
        page.wait_for_timeout(120)
        out.append(page.evaluate("""([c, s]) => { const v = document.querySelector(s).getBoundingClientRect();
            const r = c.getBoundingClientRect();
            return {control: Math.round(r.top), verdictTop: Math.round(v.top), verdictBottom: Math.round(v.bottom),
                    inView: v.top >= 0 && v.bottom <= innerHeight + 1 && v.height > 20,
                    apart: Math.round(Math.max(0, v.top - r.bottom, r.top - v.bottom))}; }""",
                                 [loc.element_handle(), sticky_selector]))
    return out


def _unit2_verdict(page, lang: str) -> list[str]:
    problems = []
    controls = ".ck-explorer .ck-stage-row .widget-dropdown select"
    n = page.locator(controls).count()
    seen = _sticky_in_view_with(page, controls, ".ck-explorer .ck-sticky")
    far = [s for s in seen if not s["inView"]]
    if n < 18 or far:
        problems.append(f"unit 2: the verdict is off screen beside {len(far)} of {len(seen)} stage controls tried "
                        f"({n} in all): {far[:3]}")
    # change one control far from the verdict's place in the page: the verdict on screen changes
    sel = page.locator(controls).nth(1)            # stage 1's R&D activity
    sel.evaluate("e => e.scrollIntoView({block: 'center'})")
    before = page.inner_text(".ck-explorer .ck-sticky")
    values = sel.evaluate("e => [...e.options].map(o => o.value)")
    current = sel.evaluate("e => e.value")
    sel.select_option(next(v for v in values if v != current))
    try:
        page.wait_for_function("b => document.querySelector('.ck-explorer .ck-sticky').innerText !== b", arg=before,
                               timeout=15_000)
    except Exception:
        problems.append("unit 2: changing stage 1's R&D activity did not change the verdict")
    _shot(page, f"{lang}_02_explorer_verdict")
    return problems


def _unit3_ranking(page, lang: str) -> list[str]:
    controls = ".ck-explorer .ck-factor-row .noUi-handle"
    seen = _sticky_in_view_with(page, controls, ".ck-explorer .ck-sticky")
    far = [s for s in seen if not s["inView"]]
    _shot(page, f"{lang}_03_advisor", ".ck-explorer .ck-factor-row", "center")
    return [f"unit 3: the short ranking is off screen beside {len(far)} of {len(seen)} sliders: {far[:3]}"] if far or not seen else []


def _unit4_slider(page, lang: str) -> list[str]:
    problems = []
    row = page.locator(".ck-cost-explorer .ck-slider-row").first
    row.evaluate("e => e.scrollIntoView({block: 'center'})")
    page.wait_for_timeout(200)
    box = row.locator(".ck-number input")
    lo, hi = box.evaluate("e => [parseFloat(e.min), parseFloat(e.max)]")
    before = float(box.input_value())
    readout = page.inner_text(".ck-cost-explorer .ck-readout")
    handle = row.locator(".noUi-handle").first.bounding_box()
    x, y = handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 7):
        page.mouse.move(x + 10 * step, y)
        page.wait_for_timeout(30)
    page.mouse.up()
    page.wait_for_timeout(800)
    after = float(box.input_value())
    share = abs(after - before) / (hi - lo)
    print(f"\n  {lang} unit 4: a 60 px swipe moved ΔF {before:g} -> {after:g} ({share:.0%} of its range)")
    if after == before:
        problems.append("unit 4: a 60 px swipe on the ΔF slider did not move it")
    if share > 0.25:
        problems.append(f"unit 4: a 60 px swipe moved ΔF from {before:g} to {after:g}, {share:.0%} of its range")
    if page.inner_text(".ck-cost-explorer .ck-readout") == readout and after != before:
        problems.append("unit 4: the readout did not follow the swipe")
    box.fill("450")
    box.press("Enter")
    try:
        page.wait_for_function("() => document.querySelector('.ck-cost-explorer .ck-readout').innerText.includes('450')",
                               timeout=15_000)
    except Exception:
        problems.append("unit 4: a value typed into the ΔF box did not reach the readout")
    # the readout sits right under the controls that change it
    gap = page.evaluate("""() => { const rows = [...document.querySelectorAll('.ck-cost-explorer .ck-slider-row')]
        .filter(e => e.getBoundingClientRect().height);
      const last = Math.max(...rows.map(e => e.getBoundingClientRect().bottom));
      return document.querySelector('.ck-cost-explorer .ck-readout').getBoundingClientRect().top - last; }""")
    if gap > 120:
        problems.append(f"unit 4: the readout is {gap:.0f} px below the last slider")
    _shot(page, f"{lang}_04_explorer", ".ck-cost-explorer .ck-controls")
    return problems


CHECKS = {"02_keda_zhongtu": _unit2_verdict, "03_qingdao_six_paths": _unit3_ranking, "04_in_firm_cluster_costs": _unit4_slider}


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("unit", UNITS)
def test_a_unit_reads_and_works_on_a_phone(browser, server, lang, unit):
    ctx, page, loaded = _open(browser, server(lang), unit, lang, PHONE)
    try:
        seen = page.evaluate(JS_PAGE, MIN_PHONE_PX)
        number = unit[:2]
        # what a student sees first, a figure, a table and the explorer
        _shot(page, f"{lang}_{number}_top")
        for kind, sel in (("figure", ".jp-OutputArea-output svg"), ("table", ".jp-OutputArea-output table"),
                          ("explorer", ".ck-explorer")):
            if page.locator(sel).count():
                _shot(page, f"{lang}_{number}_{kind}", sel)
        problems = []
        if seen["hscroll"]:
            problems.append(f"the page scrolls sideways: {seen['hscroll']}")
        if seen["stickOut"]:
            problems.append(f"elements stick out past the screen's right edge (cut): {seen['stickOut'][:4]}")
        if seen["tiny"]:
            problems.append(f"figure text under {MIN_PHONE_PX} px: {seen['tiny'][:4]}")
        shrunk = [i for i in seen["images"] if i["explorer"] and i["natural"] and i["w"] < i["natural"] * MIN_PHONE_PX / 12]
        if shrunk:
            problems.append(f"the explorer's picture is shrunk below {MIN_PHONE_PX} px text: {shrunk}")
        big = [i for i in seen["images"] if i["natural"] > 600]
        if big:
            problems.append(f"a laptop-wide picture shown on the phone: {big}")
        if seen["cells"]:
            problems.append(f"table cells one character wide: {seen['cells'][:4]}")
        if seen["controls"]:
            problems.append(f"controls under {MIN_TAP_PX} px tall: {seen['controls'][:6]} ({len(seen['controls'])} in all)")
        if seen["unlabelled"]:
            problems.append(f"controls without a visible label: {seen['unlabelled'][:6]}")
        if lang == "zh":
            ids = sorted(set(raw_ids(page.evaluate(JS_TEXT))))
            if ids:
                problems.append(f"raw ids in the Chinese view: {ids[:12]}")
        markup = set(page.evaluate(JS_RAW_MARKUP))
        awaiting = AWAITING_NOTEBOOK_FIX.get((unit, lang), set())
        known = {m for m in markup if any(m.startswith(k) for k in awaiting)}
        if markup:
            print(f"\n  {lang} {unit} shows markup: {sorted(markup)}")
        if markup - known:
            problems.append(f"literal markup or a Python list shown to the reader: {sorted(markup - known)[:5]}")
        fixed = [k for k in awaiting if not any(m.startswith(k) for m in markup)]
        if fixed:
            problems.append(f"fixed in the notebook, remove from AWAITING_NOTEBOOK_FIX: {fixed}")
        if unit in CHECKS:
            problems += CHECKS[unit](page, lang)
        print(f"\n{lang} {unit}: loaded in {loaded:.1f} s; {seen['svgs']} figures and diagrams measured, "
              f"{len(seen['images'])} pictures; problems: {len(problems)}")
        assert not problems, f"{unit} ({lang}) on a phone:\n" + "\n".join(problems)
    finally:
        page.close(run_before_unload=True)
        ctx.close()


def test_the_laptop_view_keeps_its_forms_and_sizes(browser, server):
    """At 1280×800 every unit shows the laptop forms at their full size (as before: nothing
    narrower), no text under 10 px, no sideways scroll; the cost explorer's laptop picture."""
    problems, report = [], {}
    for unit in UNITS:
        ctx, page, loaded = _open(browser, server("en"), unit, "en", LAPTOP)
        try:
            seen = page.evaluate(JS_PAGE, MIN_LAPTOP_PX)
            _shot(page, f"laptop_{unit[:2]}_explorer", ".ck-explorer")
            narrow = [f for f in seen["figures"] if f["form"] == "narrow"]
            shrunk = [f for f in seen["figures"] if f["w"] < min(f["natural"], f["area"]) - 2]
            pictures = [i for i in seen["images"] if i["explorer"]]
            report[unit] = {"figures": [f"{f['w']}/{f['natural']}" for f in seen["figures"]],
                            "pictures": [f"{i['w']}/{i['natural']}" for i in pictures]}
            if narrow:
                problems.append(f"{unit}: a phone's form shown on a laptop: {narrow[:3]}")
            if shrunk:
                problems.append(f"{unit}: figures drawn narrower than their size and the output area: {shrunk[:3]}")
            if seen["tiny"]:
                problems.append(f"{unit}: figure text under {MIN_LAPTOP_PX} px: {seen['tiny'][:3]}")
            if seen["hscroll"]:
                problems.append(f"{unit}: the page scrolls sideways: {seen['hscroll']}")
            if unit.startswith("04") and not any(i["natural"] >= 800 and i["w"] >= 800 for i in pictures):
                problems.append(f"{unit}: the cost explorer does not show its laptop picture at full size: {pictures}")
        finally:
            page.close(run_before_unload=True)
            ctx.close()
    print("\nlaptop (shown width / drawn width, px): " + json.dumps(report))
    assert not problems, "\n".join(problems)
