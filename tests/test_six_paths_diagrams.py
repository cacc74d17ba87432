"""Unit 3 diagrams: content from the data, both languages, exportable."""
import re

import matplotlib
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot  # noqa: E402  (the test closes a figure with it; not loaded by casekit for a non-pyplot figure)

import casekit
from casekit import six_paths as sp
from casekit import six_paths_diagrams as d


@pytest.fixture(autouse=True)
def english():
    casekit.set_language("en")
    yield
    casekit.set_language("en")


def _line(g, node):
    # a node statement may span lines (multi-line labels); it ends with "]" at a line end
    return re.search(rf"^\t{node} \[(.*?)\]$", g.source, flags=re.M | re.S).group(1)


def _nodes(g):
    return set(re.findall(r"^\s*(\w+) \[", g.source, flags=re.M))


def test_taxonomy_has_six_paths_coloured_by_adoption():
    g = d.path_taxonomy(highlight="cross_border_ma")
    assert set(sp.PATHS) <= _nodes(g)
    for path in ["original", "absorption", "transnational_alliance"]:
        assert d.USED_COLOR in _line(g, path) and "dashed" not in _line(g, path)
    for path in ["gov_industry_university_research", "large_firm_cooperation", "cross_border_ma"]:
        assert "dashed" in _line(g, path) and d.MISSING_COLOR in _line(g, path)
    assert "penwidth=3" in _line(g, "cross_border_ma") and "penwidth=3" not in _line(g, "original")
    casekit.set_language("zh")
    zh = d.path_taxonomy().source
    assert "跨国并购" in zh and "缺乏" in zh and "Cross-border" not in zh


def test_cluster_network_from_data():
    g = d.cluster_network()
    actors = set(sp.cluster_actors()["firm"])
    assert actors <= _nodes(g)
    assert g.source.count("-> haier") >= 5        # suppliers, predecessor, 3 named + 9 other partners
    assert "Toshiba" in g.source and "(Japan)" in g.source
    assert len(re.findall(r"supplier_smes -> \w+", g.source)) == 3
    casekit.set_language("zh")
    assert "澳柯玛" in d.cluster_network().source


def test_trap_loop_closes_and_has_a_way_out():
    src = d.trap_loop().source
    for a, b in [("introduce", "lag"), ("lag", "reintroduce"), ("reintroduce", "lag_again"), ("lag_again", "introduce")]:
        assert re.search(rf"\b{a} -> {b}\b", src), (a, b)
    assert "lag_again -> alliance" in src and "alliance -> own_core" in src
    casekit.set_language("zh")
    zh = d.trap_loop().source
    assert "再落后" in zh and "以市场换技术" in zh


def test_adoption_chart_shows_years_and_gaps():
    fig = d.adoption_chart()
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert len(texts) == 18
    assert "2001, 2005" in texts and "~1989" in texts and texts.count("–") == 18 - 4
    matplotlib.pyplot.close(fig)


def test_exportable_for_slides(tmp_path):
    for g in [d.path_taxonomy(), d.cluster_network(), d.trap_loop()]:
        out = casekit.save(g, tmp_path / f"{g.name}.svg")
        assert out.stat().st_size > 1000
    fig = d.adoption_chart()
    assert casekit.save(fig, tmp_path / "adoption.png").stat().st_size > 1000
