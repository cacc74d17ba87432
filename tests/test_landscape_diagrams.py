"""Unit 1 diagrams (SRDI landscape): content from the data, both languages, render with dot, clear errors."""
import re

import matplotlib
import pytest

matplotlib.use("Agg")

import casekit
from casekit import diagrams, landscape_diagrams as LD
from casekit.errors import CasekitError


@pytest.fixture(params=["en", "zh"])
def lang(request):
    casekit.set_language(request.param)
    yield request.param
    casekit.set_language("en")


def _edges(g):
    return len(re.findall(r"->", g.source))


def test_co_innovation_structure(lang):
    g = LD.co_innovation_diagram()
    # root->4 logics, 4 logics->8 mechanisms, 8 mechanisms->4 dimensions
    assert _edges(g) == 4 + 8 + 8
    if lang == "zh":
        for word in ["融通创新", "主体协同创新", "风险共担体系", "专业化", "新颖化", "小米", "中国商飞"]:
            assert word in g.source
    else:
        for word in ["Co-innovation", "Risk-sharing system", "Specialized", "Innovative", "Xiaomi", "COMAC"]:
            assert word in g.source
        assert "小米" not in g.source


def test_highlight(lang):
    plain = LD.co_innovation_diagram().source
    g = LD.co_innovation_diagram(highlight="risk_sharing").source
    assert plain.count(LD.HIGHLIGHT) == 0 and g.count(LD.HIGHLIGHT) == 1
    assert LD.co_innovation_diagram(highlight="chain_fusion").source.count(LD.HIGHLIGHT) == 3  # logic + 2 mechanisms
    with pytest.raises(CasekitError, match="mechanism or logic id"):
        LD.co_innovation_diagram(highlight="nonsense")


def test_dilemma_diagram(lang):
    g = LD.dilemma_diagram()
    assert _edges(g) == 3
    assert ("资源整合效率不高" if lang == "zh" else "integrated inefficiently") in " ".join(g.source.split())


def test_ladder_diagram_counts(lang):
    g = LD.ladder_diagram()
    for n in ["98,000+", "12,668", "1,187", "10,000+", "2023-10", "2023-12"]:
        assert n in g.source
    assert "10,000+" not in LD.ladder_diagram(all_sources=False).source


def test_course_map(lang):
    g = LD.course_map_diagram()
    assert _edges(g) == len(casekit.load_dataset("course_map"))
    assert ("第 4 单元 · 企业内集群成本" if lang == "zh" else "Unit 4 · In-firm cluster costs") in g.source
    assert ("从第 1 单元到第 2–4 单元" if lang == "zh" else "from unit 1 to units 2–4") in g.source
    one = LD.course_map_diagram(to_unit="qingdao_six_paths")
    assert "cluster_keda_zhongtu" not in one.source and "cluster_qingdao_six_paths" in one.source


@pytest.mark.skipif(not diagrams.has_dot(), reason="Graphviz dot not installed")
def test_all_render_to_svg(lang, tmp_path):
    for f in (LD.co_innovation_diagram, LD.dilemma_diagram, LD.ladder_diagram, LD.course_map_diagram):
        out = casekit.save(f(), tmp_path / f"{f.__name__}.svg")
        assert out.stat().st_size > 1000


def test_source_quality_chart(lang, tmp_path):
    fig = LD.source_quality_chart()
    ax = fig.axes[0]
    # one bar per source type per traceability level, widths summing to the claim counts
    widths = [p.get_width() for p in ax.patches]
    assert sum(widths) == len(casekit.load_dataset("srdi_statistics"))
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == (["同行评审期刊", "开放获取期刊", "厂商博客"] if lang == "zh"
                      else ["peer-reviewed journal", "open-access journal", "vendor blog"])
    casekit.save(fig, tmp_path / "chart.png")
    import matplotlib.pyplot as plt
    plt.close(fig)
