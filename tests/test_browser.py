"""Proof in a real browser: every narrative notebook in JupyterLab, driven by Debian's Chromium.

For each ``notebooks/*.ipynb`` (a notebook added later is covered the moment it exists): open it
in JupyterLab, Run > Run All Cells, then check what a student would see: every code cell ran, no
cell shows an error or a traceback, every widget rendered, and moving one control of each explorer
(the first slider or dropdown of the cell that shows it) changes what the explorer shows besides the
control itself (a readout, a diagram, a plot). Once in Chinese: the same view renders differently
from English, and its Chinese characters are glyphs, not tofu boxes (screenshots compared pixel by
pixel, not eyeballed).

Layout, as a student sees it: the window is a laptop's 1280×800 with JupyterLab's file browser
open (an output area of about 848 px), then a 1920×1080 projector. At both sizes no output may be
wider than its output area, no table cell may be cut with an ellipsis, no figure may be shown twice
in one cell, and no text in a diagram or figure may be drawn smaller than 10 px.

Screenshots for a reviewer are written to ``artifacts/screenshots/`` (see README.md), named by
notebook and window size: ``<notebook>__1280x800__cell07.png``, ``<notebook>__1920x1080__top.png``.
If Chromium or Playwright is missing, every test here is SKIPPED with the reason, never passed.
"""
from __future__ import annotations

import json
import math
import os
import re
import time
from pathlib import Path

import pytest

from browser_helpers import (
    LAPTOP, MIN_TEXT_PX, PROJECTOR, LabPage, LabServer, browser_unavailable_reason, chinese_copy, launch,
    pixel_difference, png_array, serve_copy,
)

ROOT = Path(__file__).resolve().parent.parent
# CASEKIT_BROWSER_NOTEBOOKS=a.ipynb:b.ipynb tries other notebooks (for developing these tests).
NOTEBOOKS = ([Path(p).resolve() for p in os.environ["CASEKIT_BROWSER_NOTEBOOKS"].split(os.pathsep)]
             if os.environ.get("CASEKIT_BROWSER_NOTEBOOKS") else sorted((ROOT / "notebooks").glob("*.ipynb")))
SHOTS = ROOT / "artifacts" / "screenshots"
CJK = re.compile(r"[\u3400-\u9fff]")

pytestmark = [pytest.mark.browser, pytest.mark.timeout(900)]
REPORT: dict[str, dict] = {}


def _stem(path: Path) -> str:
    return path.stem


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    reason = browser_unavailable_reason()
    if reason:
        pytest.skip(f"BROWSER TESTS NOT RUN (a real browser is required to prove the widgets work): {reason}")
    return serve_copy(ROOT, tmp_path_factory.mktemp("lab-root"), NOTEBOOKS)


@pytest.fixture(scope="module")
def lab(served, tmp_path_factory):
    """One JupyterLab server (127.0.0.1, random port, token; stopped by PID) and one Chromium."""
    from playwright.sync_api import sync_playwright

    # this module's screenshots from an earlier run go; the other modules' (phone/, live/, the
    # classroom's, which may be being written by the other test worker right now) stay
    SHOTS.mkdir(parents=True, exist_ok=True)
    for stem in [p.stem for p in NOTEBOOKS]:
        for old in [*SHOTS.glob(f"{stem}__*.png"), *SHOTS.glob(f"en_{stem}__*.png"), *SHOTS.glob(f"zh_{stem}__*.png")]:
            old.unlink(missing_ok=True)
    server = LabServer(served, tmp_path_factory.mktemp("lab-state")).start()
    pw = sync_playwright().start()
    context = None
    try:
        context = launch(pw, tmp_path_factory.mktemp("chromium-profile"))
        page = LabPage(context.new_page(), server)
        page.start()
        yield page
    finally:
        if context is not None:
            context.close()
        pw.stop()
        server.stop()
        (SHOTS / "browser_report.json").write_text(json.dumps(REPORT, indent=1, ensure_ascii=False))


class Ran:
    """A notebook after Run All in the browser: what each cell and widget showed."""

    def __init__(self, name, seconds, cells, views):
        self.name, self.seconds, self.cells, self.views = name, seconds, cells, views


def _run(lab: LabPage, rel_path: str, shot: Path) -> Ran:
    lab.open(rel_path)
    seconds = lab.run_all()
    cells, views = lab.cell_report(), lab.widget_views()
    lab.page.screenshot(path=str(shot), animations="disabled")
    return Ran(rel_path, seconds, cells, views)


# The English view the Chinese check compares with, kept from the English run of its notebook (a
# second English run of the same notebook would only repeat it).
EN_VIEW: dict[str, tuple[dict, int, bytes]] = {}


def _english_view(lab: LabPage, target: Path, cells: list[dict]) -> tuple[dict, int, bytes]:
    """The view to compare: the first explorer, else the cell showing most text."""
    by_index = {c["index"]: c for c in cells}
    controls = lab.controls()
    view_cell = controls[0]["cell"] if controls else max(by_index, key=lambda i: len(by_index[i]["shown"]))
    return by_index, view_cell, lab.screenshot_cell(view_cell, SHOTS / f"en_{target.stem}__view.png")


@pytest.fixture(scope="module", params=NOTEBOOKS, ids=_stem)
def ran(request, lab):
    path: Path = request.param
    result = _run(lab, f"notebooks/{path.name}", SHOTS / f"{path.stem}__1280x800__run_all.png")
    REPORT[path.stem] = {"run_all_seconds": round(result.seconds, 1), "code_cells": len(result.cells),
                         "widget_views": len(result.views), "explorers": []}
    if path == _chinese_target():
        EN_VIEW[path.stem] = _english_view(lab, path, result.cells)
    yield result
    lab.close()


# --------------------------------------------------------------------------------------------
def test_every_code_cell_ran_and_none_shows_an_error(ran):
    errors = [(c["index"], c["source"], c["errors"]) for c in ran.cells
              if c["errors"] and "raises-exception" not in c["tags"]]
    assert not errors, f"{ran.name}: cells show errors: {errors}"
    not_run = [(c["index"], c["prompt"], c["source"]) for c in ran.cells if not re.fullmatch(r"\[\d+\]:", c["prompt"])]
    assert not not_run, (f"{ran.name}: Run All did not reach these cells (a cell before them failed, or "
                         f"they hung): {not_run}")
    tracebacks = [(c["index"], c["source"], c["shown"][:200]) for c in ran.cells if c["traceback"]]
    assert not tracebacks, f"{ran.name}: a reader sees a raw traceback in cells {tracebacks}"


def test_every_widget_renders(ran):
    broken = [v for v in ran.views if not (v["hasView"] and v["width"] > 0 and v["height"] > 0)]
    assert not broken, (f"{ran.name}: these widget outputs did not render in JupyterLab (cell, output, "
                        f"what shows instead): {[(v['cell'], v['output'], v['text'][:80]) for v in broken]}")


def _size(viewport: dict) -> str:
    return f"{viewport['width']}x{viewport['height']}"


def layout_problems(found: dict) -> list[str]:
    """Every layout failure in a JS_LAYOUT report, one line each."""
    lines = []
    for key, why in (("overflow", "wider than the output area"), ("cut", "table text cut"),
                     ("narrow", "Chinese squeezed into a narrow column"), ("twice", "figure shown twice"),
                     ("tiny", f"diagram text under {MIN_TEXT_PX} px")):
        lines += [f"cell {p['cell']}: {why}: {p}" for p in found[key]]
    return lines


def test_layout_fits_a_laptop_with_the_file_browser_open_and_a_projector(ran, lab):
    stem = Path(ran.name).stem
    problems = []
    try:
        for viewport in (LAPTOP, PROJECTOR):
            size = _size(viewport)
            lab.resize(viewport)
            assert not lab.page.evaluate("() => window.jupyterapp.shell.leftCollapsed"), "the file browser is not open"
            found = lab.layout()
            REPORT[stem][f"layout_{size}"] = {"output_area_px": found["areaWidth"], "svgs_measured": found["svgs"],
                                              "problems": len(layout_problems(found))}
            problems += [f"[{size}] {line}" for line in layout_problems(found)]
            lab.page.screenshot(path=str(SHOTS / f"{stem}__{size}__top.png"), animations="disabled")
            if viewport is LAPTOP:   # every diagram, figure and table as a laptop shows it
                for cell in lab.figure_cells():
                    lab.screenshot_cell(cell, SHOTS / f"{stem}__{size}__cell{cell:02d}.png")
            if viewport is LAPTOP:
                assert 700 < found["areaWidth"] < 900, f"unexpected output area at {size}: {found['areaWidth']} px"
    finally:
        lab.resize(LAPTOP)
    assert not problems, f"{ran.name}: {len(problems)} layout problem(s):\n" + "\n".join(problems[:40])


def test_moving_a_control_changes_what_each_explorer_shows(ran, lab):
    controls = lab.controls()
    if not controls:
        pytest.skip(f"{ran.name} shows no control (slider, dropdown, buttons): no explorer to move")
    cells = sorted({c["cell"] for c in controls})
    stem = Path(ran.name).stem
    failures = []
    for n, cell in enumerate(cells, start=1):
        candidates = [c for c in lab.controls() if c["cell"] == cell][:3]
        lab.screenshot_cell(cell, SHOTS / f"{stem}__explorer{n}_before.png")
        tried = []
        for ctl in candidates:
            before = lab.snapshot()
            action = lab.move(ctl)
            after, latency = lab.wait_for_change(before)
            tried.append(action)
            if not math.isnan(latency):
                lab.screenshot_cell(cell, SHOTS / f"{stem}__explorer{n}_after.png")
                REPORT[stem]["explorers"].append({"cell": cell, "moved": action,
                                                  "browser_response_ms": round(latency * 1000)})
                break
        else:
            lab.screenshot_cell(cell, SHOTS / f"{stem}__explorer{n}_after.png")
            failures.append((cell, tried))
    assert not failures, (f"{ran.name}: moving these controls changed nothing the explorer shows "
                          f"(no readout, text, diagram or plot changed within 15 s): {failures}")


# --------------------------------------------------------------------------------------------
def _chinese_target() -> Path | None:
    """The first notebook that builds an explorer (else the first notebook): shown once in Chinese."""
    for path in NOTEBOOKS:
        code = " ".join("".join(c["source"]) for c in json.loads(path.read_text(encoding="utf-8"))["cells"]
                        if c["cell_type"] == "code")
        if re.search(r"explor|advisor|_widgets\b|ipywidgets|\.widget\(", code):
            return path
    return NOTEBOOKS[0] if NOTEBOOKS else None


def _cjk_count(text: str) -> int:
    return len(CJK.findall(text))


def test_chinese_renders_as_glyphs_not_boxes(lab, served):
    target = _chinese_target()
    if target is None:
        pytest.skip("no notebook under notebooks/")

    # English first (from the English run above when that ran first, else run here).
    if target.stem not in EN_VIEW:
        en = _run(lab, f"notebooks/{target.name}", SHOTS / f"en_{target.stem}__1280x800__run_all.png")
        EN_VIEW[target.stem] = _english_view(lab, target, en.cells)
        lab.close()
    en_cells, view_cell, en_png = EN_VIEW[target.stem]

    # The same notebook as a student runs it after choosing Chinese.
    zh_rel = f"zh/{target.name}"
    chinese_copy(target, served / zh_rel)
    zh = _run(lab, zh_rel, SHOTS / f"zh_{target.stem}__1280x800__run_all.png")
    zh_layout = layout_problems(lab.layout())
    for cell in lab.figure_cells():
        lab.screenshot_cell(cell, SHOTS / f"zh_{target.stem}__1280x800__cell{cell:02d}.png")
    zh_cells = {c["index"] - 1: c for c in zh.cells}  # the copy has one extra first cell
    assert not [c for c in zh.cells if c["errors"] and "raises-exception" not in c["tags"]], \
        f"{zh_rel}: errors in Chinese: {[(c['index'], c['errors']) for c in zh.cells if c['errors']]}"
    assert all(v["hasView"] for v in zh.views), f"{zh_rel}: widgets did not render in Chinese"
    zh_png = lab.screenshot_cell(view_cell + 1, SHOTS / f"zh_{target.stem}__view.png")

    # Glyphs, not tofu: different characters give different pictures, none is the missing-glyph
    # box, and each has ink. Checked on the view's output, then the notebook's own text if needed.
    lab.page.evaluate("() => { document.querySelector(\"[data-ck-shot='1'] .jp-Cell-outputArea\")"
                      ".scrollIntoView({block: 'start'}); }")
    lab.page.wait_for_timeout(300)
    glyphs = lab.glyphs("[data-ck-shot='1'] .jp-Cell-outputArea", 60)
    where = "outputs"
    if len({g["ch"] for g in glyphs}) < 6:
        lab.page.evaluate("() => { window.jupyterapp.shell.currentWidget.content.widgets[0].node.scrollIntoView(); }")
        lab.page.wait_for_timeout(300)
        glyphs = lab.glyphs(".lm-Widget.jp-NotebookPanel:not(.lm-mod-hidden) .jp-RenderedMarkdown", 60)
        where = "markdown"
    distinct = {}
    for g in glyphs:
        distinct.setdefault(g["ch"], g)
    assert len(distinct) >= 6, f"too few Chinese characters on screen to check ({len(distinct)}) in {where}"
    pictures = {ch: png_array(g["png"]) for ch, g in distinct.items()}
    blank = [ch for ch, a in pictures.items() if a.std() < 8]
    assert not blank, f"these Chinese characters render blank: {blank}"
    by_size: dict[tuple, list] = {}
    for ch, a in pictures.items():
        by_size.setdefault(a.shape, []).append((ch, a))
    same = []
    for group in by_size.values():
        for i, (c1, a1) in enumerate(group):
            for c2, a2 in group[i + 1:]:
                if abs(a1 - a2).mean() < 1.0:
                    same.append(c1 + c2)
    assert len(same) <= len(distinct) // 10, f"different characters look identical (tofu?): {same[:10]}"
    tofu = png_array(lab.missing_glyph(next(iter(distinct.values()))))
    like_tofu = [ch for ch, a in pictures.items() if a.shape == tofu.shape and abs(a - tofu).mean() < 1.0]
    assert not like_tofu, f"these characters look like the missing-glyph box: {like_tofu}"
    _montage([g["png"] for g in distinct.values()], SHOTS / f"zh_{target.stem}__glyphs.png")
    lab.close()

    # The Chinese view really replaced the English one: more Chinese text, and it looks different.
    zh_text, en_text = zh_cells[view_cell]["shown"], en_cells[view_cell]["shown"]
    diff = pixel_difference(zh_png, en_png)
    REPORT["chinese"] = {"notebook": target.stem, "cell": view_cell, "cjk_chars_zh": _cjk_count(zh_text),
                         "cjk_chars_en": _cjk_count(en_text), "changed_pixel_share": round(diff, 4),
                         "glyphs_checked": len(distinct), "glyphs_from": where}
    assert _cjk_count(zh_text) > _cjk_count(en_text), (
        f"cell {view_cell} of {target.name} shows no more Chinese in zh than in en: {zh_text[:200]!r}")
    assert diff > 0.002, f"the zh and en screenshots of cell {view_cell} barely differ ({diff:.2%} of pixels)"
    assert not zh_layout, f"{zh_rel}: layout problems in Chinese at 1280x800:\n" + "\n".join(zh_layout[:40])


def _montage(pngs: list[bytes], path: Path) -> None:
    """The checked glyphs side by side, for a reviewer."""
    import io

    from PIL import Image

    images = [Image.open(io.BytesIO(p)).convert("RGB") for p in pngs]
    width, height = sum(i.width for i in images) + 4 * len(images), max(i.height for i in images)
    sheet = Image.new("RGB", (width, height), "white")
    x = 0
    for im in images:
        sheet.paste(im, (x, 0))
        x += im.width + 4
    sheet.resize((sheet.width * 3, sheet.height * 3), Image.NEAREST).save(path)


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if p != _chinese_target()], ids=_stem)
def test_layout_in_chinese_fits_a_laptop(path, lab, served):
    """The same notebook as a student runs it in Chinese: Chinese tables keep several characters
    a line, and nothing is wider than the output area. (The notebook the glyph check runs in
    Chinese is checked there, with the same layout rule and screenshots.)"""
    rel = f"zh/{path.name}"
    chinese_copy(path, served / rel)
    _run(lab, rel, SHOTS / f"zh_{path.stem}__1280x800__run_all.png")
    try:
        found = lab.layout()
        for cell in lab.figure_cells():
            lab.screenshot_cell(cell, SHOTS / f"zh_{path.stem}__1280x800__cell{cell:02d}.png")
    finally:
        lab.close()
    problems = layout_problems(found)
    assert not problems, f"{rel}: {len(problems)} layout problem(s) in Chinese:\n" + "\n".join(problems[:40])
