"""Chinese in matplotlib: rendered as glyphs, proven by pixels."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import re  # noqa: E402

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import casekit  # noqa: E402
from casekit import plotting  # noqa: E402


def _pixels(text):
    fig = plt.figure(figsize=(2, 0.6), dpi=100)
    fig.text(0.05, 0.3, text, fontsize=16)
    fig.canvas.draw()
    arr = np.asarray(fig.canvas.buffer_rgba())[..., :3].mean(axis=2) < 128
    plt.close(fig)
    return arr


def test_cjk_font_is_configured_and_draws_distinct_glyphs():
    font = plotting.use_cjk_fonts()
    assert font is not None, "no CJK font: run `make install` (installs fonts-wqy-microhei)"
    a, b = _pixels("研发"), _pixels("营销")
    assert a.sum() > 20 and b.sum() > 20
    assert not np.array_equal(a, b), "two different Chinese words drew identical pixels (boxes)"


def test_no_missing_glyph_warning():
    import warnings

    plotting.use_cjk_fonts()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _pixels("自主创新能力")


@pytest.mark.parametrize("ext", ["svg", "png"])
def test_save_figure(tmp_path, ext):
    plotting.use_cjk_fonts()
    fig, ax = plt.subplots()
    ax.set_title("成本 cost")
    p = casekit.save(fig, tmp_path / f"f.{ext}")
    plt.close(fig)
    assert p.stat().st_size > 100
    if ext == "svg":
        assert "成本" in p.read_text(encoding="utf-8")


def test_save_figure_bad_extension(tmp_path):
    fig, _ = plt.subplots()
    with pytest.raises(casekit.CasekitError, match=".svg, .png or .pdf"):
        casekit.save(fig, tmp_path / "f.jpg")
    plt.close(fig)


@pytest.mark.timeout(120)
def test_notebook_shows_casekit_plots_as_svg_with_chinese_text_and_can_go_back_to_png():
    import nbformat
    from notebook_runner import execute

    cells = ["import casekit\nfrom casekit import collaboration_diagrams as cd\ncasekit.set_language('zh')",
             "cd.timeline()",
             "casekit.plotting.inline_svg(False)\ncd.timeline()"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    execute(nb, "timeline probe", ".")
    svg = [o["data"] for o in nb.cells[1].outputs if "data" in o]
    assert svg and "image/svg+xml" in svg[0] and "image/png" not in svg[0]
    assert "科达" in svg[0]["image/svg+xml"], "Chinese should stay text in the SVG, drawn by the browser"
    png = [o["data"] for o in nb.cells[2].outputs if "data" in o]
    assert png and "image/png" in png[0] and "image/svg+xml" not in png[0]


@pytest.mark.timeout(120)
def test_a_kit_figure_in_a_notebook_is_drawn_once_per_form_and_never_as_an_unseen_raster():
    """In a notebook showing SVG, a kit figure (one with constrained layout included) is drawn only
    to make the two SVG forms the cell shows: pyplot's after-cell Agg drawing, and the layout pass
    that used to precede it, are skipped. Without the kit's hook, pyplot paints it once more."""
    import nbformat
    from notebook_runner import execute

    count = ("import matplotlib.figure as _f, matplotlib.backends.backend_agg as _a\n_n = {'agg': 0, 'layout': 0}\n"
             "_d, _l = _a.FigureCanvasAgg.draw, _f.Figure.draw_without_rendering\n"
             "def _agg(self, *a, **k): _n['agg'] += 1; return _d(self, *a, **k)\n"
             "def _lay(self, *a, **k): _n['layout'] += 1; return _l(self, *a, **k)\n"
             "_a.FigureCanvasAgg.draw, _f.Figure.draw_without_rendering = _agg, _lay")
    cells = [count, "import casekit\nfrom casekit import cost_curves_plots as ccp", "figure_1 = ccp.plot_cost_curves()",
             "print(_n['agg'], _n['layout'])",
             "import matplotlib.pyplot as plt\nfig, ax = plt.subplots(layout='constrained')\nax.plot([1, 2])",
             "print(_n['agg'], _n['layout'])"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    execute(nb, "drawing probe", ".")
    html = [o["data"] for o in nb.cells[2].outputs if "data" in o]
    assert html and "ck-forms" in html[0]["text/html"] and html[0]["text/html"].count("<svg") == 2
    assert nb.cells[3].outputs[0]["text"].split() == ["0", "0"], "a kit figure was drawn beyond its two SVG forms"
    assert nb.cells[5].outputs[0]["text"].split() != ["0", "0"], "a plain pyplot figure is drawn as before"


# ----------------------------------------------------------------------------- narrow screens
def _kit_figures():
    from casekit import collaboration_diagrams as cd, cost_curves_plots as ccp
    from casekit import landscape_diagrams as ld, six_paths_diagrams as sd
    from casekit.cost_curves import CostScenario

    return {"timeline": cd.timeline, "adoption_chart": sd.adoption_chart, "source_quality_chart": ld.source_quality_chart,
            "cost_curves": lambda: ccp.plot_cost_curves().figure,
            "learning_curve": lambda: ccp.plot_learning_curve(CostScenario().with_learning(400)).figure}


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("name", sorted(_kit_figures()))
def test_every_kit_figure_has_a_narrow_form_a_phone_can_read(name, lang):
    """Drawn for a laptop (up to 8.6 in), a figure shrinks to a phone's 356 px with its text at about
    5 px. Its narrow form is drawn at 3.6 in (346 px) with no text under 9 pt (12 px), and no text
    runs past its edge (the tight box the notebook shows stays under 3.75 in, 360 px)."""
    import matplotlib.text
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    casekit.set_language(lang)
    fig = _kit_figures()[name]()
    assert callable(getattr(fig, "narrow", None)), f"{name} has no narrow form"
    before = plt.get_fignums()
    small = fig.narrow()
    assert plt.get_fignums() == before, "the narrow form is never left to pyplot (a notebook would show it again)"
    renderer = FigureCanvasAgg(small).get_renderer()
    box = small.get_tightbbox(renderer)
    assert small.get_figwidth() == pytest.approx(plotting.NARROW_IN) and box.width <= 3.75, (name, box.width)
    texts = [t for t in small.findobj(matplotlib.text.Text) if t.get_text().strip() and t.get_visible()]
    tiny = [(t.get_text()[:30], t.get_fontsize()) for t in texts if t.get_fontsize() < plotting.NARROW_PT]
    assert not tiny, f"{name} ({lang}): narrow-form text under {plotting.NARROW_PT} pt: {tiny[:4]}"
    import re

    if lang == "zh":   # drawn in the language the laptop form was drawn in
        assert re.search(r"[\u4e00-\u9fff]", " ".join(t.get_text() for t in texts)), name
    plt.close("all")


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("name", sorted(_kit_figures()))
def test_a_figure_shown_uncropped_has_nothing_outside_its_canvas(name, lang):
    """A figure marked ``fits_canvas`` (laid out by hand) is shown at its own size, not cropped to
    its tight box: so all it draws must lie inside the canvas, in both forms and both languages
    (a note running past the edge would be cut off)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    casekit.set_language(lang)
    fig = _kit_figures()[name]()
    for form, f in (("wide", fig), ("narrow", fig.narrow())):
        if not getattr(f, "fits_canvas", False):
            continue
        assert f.get_layout_engine() is None, (name, form, "a layout engine moves things at save time")
        renderer = FigureCanvasAgg(f).get_renderer()
        f.draw(renderer)
        x0, y0, x1, y1 = f.get_tightbbox(renderer).extents
        w, h = f.get_size_inches()
        assert x0 >= 0 and y0 >= 0 and x1 <= w and y1 <= h, (name, lang, form, (x0, y0, x1, y1), (w, h))
        svg = plotting._figure_svg(f)
        assert f'width="{w * 72:g}pt"' in svg, "shown at its own size"
    plt.close("all")


def test_the_timeline_is_laid_out_by_hand_and_shown_uncropped():
    from casekit import collaboration_diagrams as cd

    fig = cd.timeline()
    assert fig.fits_canvas and fig.narrow().fits_canvas
    plt.close("all")


def test_a_kit_figure_in_a_notebook_carries_both_forms_and_the_screen_picks_one():
    from IPython.core.interactiveshell import InteractiveShell

    from casekit import collaboration_diagrams as cd

    shell = InteractiveShell.instance()
    try:
        plotting._install_formatters(shell)
        fig = cd.timeline()
        data, _meta = shell.display_formatter.format(fig)
        html, svg = data["text/html"], data["image/svg+xml"]
        assert html.count("<svg") == 2 and "@media (max-width:600px)" in html
        assert 'class="ck-w"' in html and 'class="ck-n"' in html
        import re

        width = lambda s: float(re.search(r'<svg[^>]*width="([\d.]+)pt"', s).group(1))  # noqa: E731
        forms = re.findall(r'<svg[^>]*width="([\d.]+)pt"', html)
        assert float(forms[0]) == pytest.approx(width(svg)), "the SVG output is the laptop form, drawn once"
        assert float(forms[1]) * 4 / 3 <= 360 < float(forms[0]) * 4 / 3, forms
    finally:
        InteractiveShell.clear_instance()


def test_narrow_forms_cost_about_one_more_drawing():
    """Issue 26 needs units fast: the narrow form is one more drawing of about the laptop form's cost."""
    import time

    from casekit import collaboration_diagrams as cd

    fig = cd.timeline()
    t0 = time.perf_counter()
    plotting._figure_svg(fig)
    wide = time.perf_counter() - t0
    t0 = time.perf_counter()
    plotting._figure_svg(fig.narrow())
    narrow = time.perf_counter() - t0
    assert narrow < 3 * wide + 0.2, (wide, narrow)


# ----------------------------------------------------------------------------- tables on a phone
# (casekit.tables: the tables a notebook shows, next to the figures they sit among)
def test_a_wide_table_reads_as_cards_on_a_phone_and_a_small_one_stays_a_table():
    import re

    from casekit import tables

    casekit.set_language("zh")
    firms = casekit.table("firms")
    html = tables.frame_html(firms)
    cells = re.findall(r"<td[^>]*>", html)
    assert cells and all('data-label="' in c for c in cells), "every cell names its column on a card"
    assert 'data-label="成立年月："' in html and "@media (max-width:600px)" in html
    assert re.search(r"\.ck-t\d+>thead\{display:none", html) and "content:attr(data-label)" in html
    assert re.search(r"\.ck-t\d+>tbody>tr>th\{display:none", html), "row numbers say nothing on a card"
    small = tables.frame_html(pd.DataFrame({"n": [1, 2]}, index=["a", "b"]))
    assert "@media" not in small and "data-label" not in small, "a table a phone can show stays a table"


def test_a_chinese_header_never_names_another_column_by_its_id():
    casekit.set_language("zh")
    heads = list(casekit.table("firms").columns)
    assert "表1中的知识产权数量的口径" in heads
    assert not [h for h in heads if re.search(r"[a-z]+_[a-z]+", str(h))], heads


def test_a_datasets_quirks_show_as_a_note_in_both_languages():
    from casekit import tables

    casekit.set_language("zh")
    notes = tables.quirks("interviews")
    html = notes._repr_html_()
    assert len(notes) == 2 and "关于原文的说明" in html and "Notes on the source" in html
    assert html.index("19.8万字") < html.index("19.8 (10k"), "the current language first"
    assert not repr(notes).startswith("["), "never a Python list"
    one = tables.quirks("cluster_countermeasures", "no_countermeasure_for_spillovers")
    assert len(one) == 1
    with pytest.raises(casekit.CasekitError, match="说明编号"):
        tables.quirks("interviews", "nope")
    casekit.set_language("en")
    with pytest.raises(casekit.CasekitError, match="ids must name"):
        tables.quirks("interviews", "nope")
    with pytest.raises(casekit.CasekitError, match="dataset name"):
        tables.quirks(3)
