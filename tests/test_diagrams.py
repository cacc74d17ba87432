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
def test_wide_diagram_is_scaled_to_the_notebook_width_and_saved_full_size(tmp_path):
    import re

    wide = diagrams.digraph("wide", rankdir="LR")
    for i in range(40):
        wide.node(f"n{i}", f"研发营销协同 {i}")
        if i:
            wide.edge(f"n{i - 1}", f"n{i}")
    def width_pt(svg):
        return float(re.search(r'<svg[^>]*width="([\d.]+)pt"', svg).group(1))
    shown = diagrams.show(wide)
    shown_svg = shown.data if hasattr(shown, "data") else shown._repr_svg_()
    assert width_pt(shown_svg) <= 11.5 * 72 + 1
    saved = diagrams.save(wide, tmp_path / "wide.svg").read_text(encoding="utf-8")
    assert width_pt(saved) > 3 * 11.5 * 72, "files for slides keep the diagram's full size"
    small = diagrams.show(_graph())
    small_svg = small.data if hasattr(small, "data") else small._repr_svg_()
    assert width_pt(small_svg) == width_pt(diagrams.save(_graph(), tmp_path / "s.svg").read_text(encoding="utf-8"))


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
