"""Unit 2 diagrams: drawn from the data, in both languages, savable for slides."""
from __future__ import annotations

import pytest

import casekit
from casekit import collaboration as co
from casekit import collaboration_diagrams as cd
from casekit import diagrams


@pytest.mark.parametrize("lang,words", [("en", ["technology entrepreneurship capability", "R&D"]),
                                        ("zh", ["技术创业能力", "研发深度参与式协同"])])
def test_process_model_labels_come_from_data_in_each_language(lang, words):
    src = cd.process_model("keda", lang=lang).source
    unwrapped = src.replace("\n", " " if lang == "en" else "")   # long labels are wrapped onto lines
    for w in words:
        assert w in unwrapped
    assert casekit.get_language() == "en"  # lang= does not leak


def test_figure2_has_every_concept():
    src = cd.data_structure(lang="zh").source
    ev = casekit.load_dataset("evidence")
    for c in ev.concept_zh:
        assert c in src
    # one arrow per link (a concept -> its theme, a theme -> its construct), however many items share it
    links = {(r.firm, r.concept, r.construct_en) for r in ev.itertuples()} | \
            {(r.firm, r.construct_en, r.aggregate_en) for r in ev.itertuples()}
    assert src.count("->") == len(links)


def test_theory_and_framework_figures():
    assert "决定" in cd.theory_model(lang="zh").source and "新产品开发能力" in cd.theory_model(lang="zh").source
    assert "product-innovation" in cd.framework().source


def test_compare_highlights_changes_and_lost_capabilities():
    e = co.evaluate(co.actual_case("zhongtu").change(2, interaction="one_way_opinion_collection"))
    src = cd.compare(e).source
    assert cd.COLORS["changed"] in src
    assert "not formed: new product development capability" in src.replace("\n", " ")
    same = cd.compare(co.evaluate(co.actual_case("keda"))).source
    assert "not formed:" not in same
    bad = cd.compare(co.evaluate(co.actual_case("keda").skip(1).skip(1).skip(1))).source
    assert "no stages" in bad


@pytest.mark.skipif(not diagrams.has_dot(), reason="needs Graphviz dot")
def test_every_diagram_and_the_timeline_save_for_slides(tmp_path):
    e = co.evaluate(co.actual_case("keda").skip(2))
    objs = {"fw": cd.framework(), "ds": cd.data_structure("keda"), "pm": cd.process_model("zhongtu"),
            "tm": cd.theory_model(), "cmp": cd.compare(e, lang="zh"), "tl": cd.timeline(lang="zh")}
    for name, obj in objs.items():
        for ext in ("svg", "png"):
            out = casekit.save(obj, tmp_path / f"{name}.{ext}")
            assert out.stat().st_size > 1000


def test_timeline_has_all_stage_bars():
    fig = cd.timeline()
    ax = fig.axes[0]
    assert len(ax.patches) == len(casekit.load_dataset("stages"))
    assert ax.get_xlim() == (1995, 2024)
