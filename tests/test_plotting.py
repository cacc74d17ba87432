"""Chinese in matplotlib: rendered as glyphs, proven by pixels."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
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
