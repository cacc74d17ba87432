"""What a laptop screen needs, checked without a browser (tests/test_browser.py checks the page).

A laptop at 1280×800 with JupyterLab's file browser open leaves an output area of about 848 px.
JupyterLab shows an SVG figure as an image at its own size, so a figure must be drawn at most that
wide (8.6 in at 96 px per inch) to be neither cut nor shrunk; its text must stay at least 8 pt
(10.7 px). A figure a function returns must not also be left to pyplot, or the notebook shows it twice.
"""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import casekit  # noqa: E402
from casekit import collaboration_diagrams as cd  # noqa: E402
from casekit import landscape_diagrams as ld  # noqa: E402
from casekit import six_paths_diagrams as sd  # noqa: E402
from casekit import tables  # noqa: E402

AREA_IN = 848 / 96
FIGURES = {"timeline": cd.timeline, "adoption_chart": sd.adoption_chart, "source_quality_chart": ld.source_quality_chart}


@pytest.mark.parametrize("name", sorted(FIGURES))
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_figures_fit_the_output_area_with_readable_text(name, lang):
    casekit.set_language(lang)
    fig = FIGURES[name]()
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(fig).get_renderer()   # a figure closed in pyplot keeps no drawing canvas
    box = fig.get_tightbbox(renderer)             # what the notebook's inline backend shows
    assert box.width <= AREA_IN, f"{name} is {box.width:.1f} in wide; the output area has {AREA_IN:.1f} in"
    texts = [t for t in fig.findobj(matplotlib.text.Text) if t.get_text().strip() and t.get_visible()]
    small = [(t.get_text()[:30], t.get_fontsize()) for t in texts if t.get_fontsize() < 8]
    assert not small, f"{name}: text under 8 pt (under 10.7 px on screen): {small[:5]}"
    page = fig.bbox
    ticks = {id(t) for ax in fig.axes for t in ax.get_xticklabels() + ax.get_yticklabels()}  # drawn only in range
    cut = [t.get_text()[:40] for t in texts if id(t) not in ticks
           and (e := t.get_window_extent(renderer)).x1 > page.x1 + 1 or e.x0 < page.x0 - 1]
    assert not cut, f"{name}: text runs past the figure's edge and is cut off: {cut[:3]}"


@pytest.mark.parametrize("name", ["timeline", "adoption_chart"])
def test_a_returned_figure_is_shown_once(name):
    """The inline backend shows every figure pyplot still holds at the end of a cell; the cell's
    value (the returned figure) is shown as well. So a returned figure must not stay in pyplot."""
    plt.close("all")
    fig = FIGURES[name]()
    assert isinstance(fig, matplotlib.figure.Figure)
    assert plt.get_fignums() == [], f"{name}() left its figure to pyplot too: a notebook would show it twice"


def test_the_timeline_shows_every_year_and_note():
    fig = cd.timeline()
    texts = " ".join(t.get_text() for t in fig.findobj(matplotlib.text.Text))
    assert "2019–2022" in texts and "2018–2022" in texts and "K6" in texts and "Z6" in texts


def test_tables_wrap_long_text_instead_of_cutting_it():
    import re

    df = pd.DataFrame({"how": ["because " * 20], "n": [3], "zh": ["研发与营销的协同互动贯穿企业成长的各个阶段" * 2]})
    html = tables.frame_html(df)
    assert "because " * 19 in html and "..." not in html and "…" not in html
    assert "white-space:normal" in html
    widths = {int(k): float(v) for k, v in re.findall(r"nth-child\((\d)\)\{min-width:([\d.]+)em", html)}
    # the index is child 1: long text columns get a wide minimum (they wrap), the number a narrow one
    assert widths[2] >= 10 and widths[4] >= 10 and widths[3] < 2
    assert "tbody th{white-space:nowrap" in html, "a short index (row numbers, ids) is never broken"


def test_a_wide_chinese_table_keeps_three_characters_a_line_and_fits():
    import re

    df = pd.DataFrame({f"列{i}": ["研发与营销的协同互动贯穿企业成长"] for i in range(14)})
    widths = [float(w) for w in re.findall(r"min-width:([\d.]+)em", tables.frame_html(df))]
    assert len(widths) == 14 and min(widths) >= 3.0
    assert sum(widths) + 14 <= 60 + 1e-6, "the minimum widths alone must not be wider than the output area"


def test_casekit_shows_dataframes_through_its_table_view_in_a_notebook():
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        assert tables.install()
        html = shell.display_formatter.format(pd.DataFrame({"note": ["n" * 90]}))[0]["text/html"]
        assert "n" * 90 in html and "ck-table" in html
    finally:
        tables.uninstall()
        InteractiveShell.clear_instance()


def test_chinese_tables_show_labels_not_codes():
    casekit.set_language("zh")
    niche = casekit.table("niche_vs_leaders", columns=["aspect", "niche_winner"])
    assert list(niche.columns).count(niche.columns[0]) == 1, "the id and its label were both shown"
    assert "资源约束" in set(niche.iloc[:, 0]) and "resource_constraint" not in set(niche.iloc[:, 0].astype(str))
    firms = casekit.table("firms")
    shown = set(firms.astype(str).to_numpy().ravel())
    assert {"产品创新型", "技术导向协同"} <= shown
    assert not {"product_innovation", "technology_oriented"} & shown
    stages = casekit.table("stages")
    assert stages.columns.is_unique


def test_english_tables_show_labels_too():
    firms = casekit.table("firms", columns=["firm", "business_model", "collaboration_mode"])
    assert list(firms["business_model"]) == ["product innovation", "customer relationship"]
    assert list(firms["firm"]) == ["keda", "zhongtu"], "a table's own key keeps its ids"
