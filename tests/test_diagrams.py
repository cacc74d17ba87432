"""Diagrams render with and without the `dot` program; Chinese survives every path."""
import shutil

import pytest

import casekit
from casekit import diagrams


def _graph():
    g = diagrams.digraph("t")
    g.node("rd", "研发 R&D")
    g.node("mk", "营销 Marketing")
    g.edge("rd", "mk", "协同")
    return g


needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot not installed")


@needs_dot
def test_svg_when_dot_present():
    out = diagrams.show(_graph())
    svg = out.data if hasattr(out, "data") else out._repr_svg_()
    assert "<svg" in svg and "研发" in svg and "WenQuanYi" in svg


@needs_dot
def test_wide_diagram_fits_the_output_area_and_is_saved_full_size(tmp_path):
    """JupyterLab draws an image/svg+xml output as an image at its natural size (wider than a
    laptop's output area for a wide diagram); the notebook gets the SVG inline with max-width 100%
    and its viewBox, so it scales down to the area and no further."""
    import re

    wide = diagrams.digraph("wide", rankdir="LR")
    for i in range(40):
        wide.node(f"n{i}", f"研发营销协同 {i}")
        if i:
            wide.edge(f"n{i - 1}", f"n{i}")
    shown = diagrams.show(wide)
    bundle = shown._repr_mimebundle_()
    html = bundle["text/html"]
    assert re.search(r'<svg [^>]*style="max-width:100%;height:auto[^"]*"[^>]*viewBox="[\d. ]+"', html)
    assert "<?xml" not in html and "<!DOCTYPE" not in html
    saved = diagrams.save(wide, tmp_path / "wide.svg").read_text(encoding="utf-8")
    width = lambda svg: re.search(r'<svg[^>]*width="([\d.]+)pt"', svg).group(1)  # noqa: E731
    assert width(bundle["image/svg+xml"]) == width(saved), "no scaling baked in: the browser fits it"


def test_wrap_keeps_labels_narrow_in_both_scripts():
    assert max(len(line) for line in diagrams.wrap("a " * 40, 20).splitlines()) <= 20
    zh = diagrams.wrap("企业内部的知识整合依第三节重建虚线为本套件补充", 12)
    assert all(len(line) <= 6 for line in zh.splitlines()) and zh.replace("\n", "") == "企业内部的知识整合依第三节重建虚线为本套件补充"
    assert diagrams.wrap("line one\nline two", 40) == "line one\nline two"


# Every diagram a notebook shows (and the in-browser renderer draws the same SVG): its smallest text
# at a laptop's output-area width must be 10 px or more.
OUTPUT_AREA_PX = 820     # 1280×800 with the file browser open: 848 px, less the padding the SVG sits in


def _kit_diagrams():
    from casekit import collaboration as co, collaboration_diagrams as cd, cost_curves_plots as ccp
    from casekit import landscape_diagrams as ld, six_paths_diagrams as sd

    keda, zhongtu = co.actual_case("keda"), co.actual_case("zhongtu")
    return {
        "provenance_map": diagrams.provenance_map, "ladder": ld.ladder_diagram,
        "co_innovation": ld.co_innovation_diagram,
        "co_innovation_highlight": lambda: ld.co_innovation_diagram(highlight="risk_sharing"),
        "dilemma": ld.dilemma_diagram, "course_map": ld.course_map_diagram, "framework": cd.framework,
        "process_keda": lambda: cd.process_model("keda"), "process_zhongtu": lambda: cd.process_model("zhongtu"),
        "data_structure": lambda: cd.data_structure("keda"), "theory_model": cd.theory_model,
        "compare_keda": lambda: cd.compare(co.evaluate(keda.change(3, marketing_activity="divergent_marketing"))),
        "compare_zhongtu": lambda: cd.compare(co.evaluate(zhongtu.change(2, interaction="one_way_opinion_collection"))),
        "cluster_network": sd.cluster_network, "path_taxonomy": sd.path_taxonomy, "trap_loop": sd.trap_loop,
        "knowledge_integration": ccp.knowledge_integration_diagram,
    }


def smallest_text_px(svg: str, area_px: float = OUTPUT_AREA_PX) -> float:
    """The smallest font of a dot SVG as drawn at ``area_px`` wide (or its natural size if smaller)."""
    import re

    view_w = float(re.search(r'viewBox="[\d.-]+ [\d.-]+ ([\d.]+)', svg).group(1))   # points
    smallest = min(float(x) for x in re.findall(r'font-size="([\d.]+)"', svg))
    return smallest * min(4 / 3, area_px / view_w)


@needs_dot
@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("name", sorted(_kit_diagrams()))
def test_every_diagram_is_legible_at_a_laptops_notebook_width(name, lang):
    casekit.set_language(lang)
    svg = diagrams.show(_kit_diagrams()[name]()).data
    px = smallest_text_px(svg)
    assert px >= 10, f"{name} ({lang}): its smallest text would be drawn at {px:.1f} px in an {OUTPUT_AREA_PX}-px output area"


# A phone's output area is about 350 px (390 px wide, less the page's margins): a diagram whose
# laptop form would put text under 11 px there carries a narrow form that does not, or, where no
# layout gets that narrow, a form drawn at the width that keeps 11 px, panned in its own box. The
# diagrams still panned on a phone (say so when one gets its own narrow layout: this list is strict).
PANNED = {"provenance_map", "cluster_network", "knowledge_integration"}


@needs_dot
@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("name", sorted(_kit_diagrams()))
def test_every_diagram_reads_on_a_phone(name, lang):
    casekit.set_language(lang)
    shown = diagrams.show(_kit_diagrams()[name]())
    wide = diagrams.phone_text_px(shown.data)
    if shown.narrow is None:
        assert wide >= 11, f"{name} ({lang}): {wide:.1f}-px text on a phone and no narrow form"
        return
    assert wide < 11, f"{name} ({lang}): a narrow form drawn for a diagram that already reads on a phone"
    html = shown._repr_html_()
    assert html.count("<svg") == 2 and "@media (max-width:600px)" in html, "both forms, the screen picks one"
    w, _h, font = diagrams._svg_size(shown.narrow)
    if shown.narrow_width_px is None:
        px = diagrams.phone_text_px(shown.narrow)
        assert px >= 11, f"{name} ({lang}): the narrow form's text is {px:.1f} px on a phone"
        assert name not in PANNED, f"{name} now reads on a phone without panning: take it off PANNED"
    else:
        assert name in PANNED, f"{name} ({lang}): only {sorted(PANNED)} may be panned on a phone"
        assert font * shown.narrow_width_px / w >= 11 and "ck-scroll" in html


@needs_dot
def test_a_builders_narrow_form_is_the_same_call_in_the_same_language():
    from casekit import collaboration_diagrams as cd

    casekit.set_language("zh")
    g = cd.framework()
    casekit.set_language("en")
    narrow = g.casekit_narrow()
    assert "研发" in narrow.source and "rankdir=TB" in narrow.source and "rankdir=LR" in g.source
    assert casekit.get_language() == "en", "drawing the narrow form leaves the language as it was"
    assert not diagrams.is_narrow()


@needs_dot
def test_a_diagram_of_ones_own_is_turned_when_that_reads_better():
    chain = diagrams.digraph("chain", rankdir="LR")
    for i in range(8):
        chain.node(f"n{i}", f"step {i}")
        if i:
            chain.edge(f"n{i - 1}", f"n{i}")
    shown = diagrams.show(chain)
    assert shown.narrow is not None and shown.narrow_width_px is None
    assert diagrams.phone_text_px(shown.narrow) >= 11


def test_inline_svgs_never_share_an_id():
    from casekit.plotting import inline_svg_markup

    svg = '<?xml version="1.0"?>\n<svg width="10pt" viewBox="0 0 10 10"><defs><path id="m1"/></defs><use xlink:href="#m1"/>' \
          '<g clip-path="url(#p2)"/><style type="text/css">*{stroke-linejoin: round}</style></svg>'
    a, b = inline_svg_markup(svg), inline_svg_markup(svg)
    ids = lambda s: set(__import__("re").findall(r'id="([^"]+)"', s))  # noqa: E731
    assert ids(a) and not ids(a) & ids(b)
    assert 'href="#' + next(iter(ids(a))) in a and "url(#" in a and "<?xml" not in a
    import re

    assert re.search(r'<style type="text/css">\.ck-svg\d+ \*\{', a), "matplotlib's catch-all style stays inside its SVG"


def test_wasm_widget_without_dot(monkeypatch):
    monkeypatch.setattr(diagrams, "has_dot", lambda: False)
    out = diagrams.show(_graph())
    import ipywidgets

    assert isinstance(out, ipywidgets.Widget)
    # the WebAssembly widget carries the DOT source, Chinese included
    states = [w.get_state() for w in [out, *getattr(out, "children", [])]]
    flat = repr(states)
    for child in getattr(out, "children", []):
        flat += repr([c.get_state() for c in getattr(child, "children", [])])
    assert "研发" in flat


def test_source_with_hint_when_nothing_can_draw():
    diagrams._forced["mode"] = "source"
    out = diagrams.show(_graph())
    md = out._repr_markdown_()
    assert "apt-get install graphviz" in md and "研发" in md and "```dot" in md


def test_show_rejects_non_graphs():
    with pytest.raises(casekit.CasekitError, match="graphviz diagram"):
        diagrams.show("digraph {a -> b}")


@needs_dot
@pytest.mark.parametrize("ext", ["svg", "png"])
def test_save_for_slides(tmp_path, ext):
    path = casekit.save(_graph(), tmp_path / f"d.{ext}")
    data = path.read_bytes()
    assert (b"<svg" in data) if ext == "svg" else data[:4] == b"\x89PNG"


@needs_dot
def test_png_draws_chinese_glyphs_not_boxes(tmp_path):
    """Two different Chinese words must give different pixels; missing glyphs draw identical boxes."""
    import numpy as np
    from matplotlib import image

    def ink(name, label):
        g = diagrams.digraph("x")
        g.node("a", label, shape="plaintext", style="")
        p = casekit.save(g, tmp_path / f"{name}.png")
        return image.imread(p)[..., :3].mean(axis=2) < 0.5

    a, b = ink("a", "研发营销"), ink("b", "能力进阶")
    assert a.sum() > 50
    assert a.shape != b.shape or not np.array_equal(a, b)


def test_save_dot_works_without_dot(tmp_path, monkeypatch):
    monkeypatch.setattr(diagrams, "has_dot", lambda: False)
    p = casekit.save(_graph(), tmp_path / "d.dot")
    assert "研发" in p.read_text(encoding="utf-8")
    with pytest.raises(casekit.CasekitError, match="save it as .dot"):
        casekit.save(_graph(), tmp_path / "d.svg")


def test_provenance_map_is_drawn_from_the_records():
    g = diagrams.provenance_map()
    for name in casekit.dataset_names():
        assert f"ds_{name}" in g.source
    assert 'doc_002 [label="source 002\\nvendor blog"' in g.source
    casekit.set_language("zh")
    assert "厂商博客" in diagrams.provenance_map().source
