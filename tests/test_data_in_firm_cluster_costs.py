"""Unit 4 datasets (in-firm cluster costs) against source 003 (hand-checked: counts, terms, sections,
which links the source itself makes) and against the facts borrowed from 000 and 004 for the mode examples."""
import pandas as pd
import pytest

import casekit

IN_FIRM_CLUSTER_COSTS = ["cluster_types", "cluster_modes", "cluster_mode_examples", "cluster_advantages",
                         "cluster_disadvantages", "cluster_countermeasures", "knowledge_integration_nodes",
                         "knowledge_integration_edges", "cost_scenario"]


@pytest.mark.parametrize("name", IN_FIRM_CLUSTER_COSTS)
def test_in_firm_cluster_costs_dataset_loads_with_citations(name):
    df = casekit.load_dataset(name)
    assert len(df) > 0
    assert df.attrs["source"]["documents"][0] == "003"
    assert (df["cite"].astype(str).str.strip() != "").all()


def test_rosenberg_types():
    df = casekit.load_dataset("cluster_types").set_index("type")
    assert list(df.index) == ["m_type", "t_type", "t_in_firm", "t_inter_firm"]
    assert df.loc["m_type", "dimension"] == "time" and df.loc["t_type", "dimension"] == "space"
    # the source splits the T-type, not the M-type, into in-firm and inter-firm clusters (003 §2)
    assert df.loc["t_in_firm", "parent"] == "t_type" and df.loc["t_inter_firm", "parent"] == "t_type"
    assert df.loc["m_type", "name_zh"].startswith("M型") and df.loc["t_type", "name_zh"].startswith("T型")


def test_three_modes_in_source_order_with_source_terms():
    df = casekit.load_dataset("cluster_modes")
    assert list(df["mode"]) == ["trajectory_following", "platform_derivative", "penetrative"]
    assert list(df["source_term"]) == ["顺轨性", "衍生性", "渗透性"]
    assert list(df["basis_zh"]) == ["某一技术轨道", "某一技术平台", "某一技术关联领域的发展"]
    assert any(q["id"] == "modes_without_examples" for q in df.attrs["quirks"])


def test_mode_examples_are_labelled_kit_mapping_and_cover_every_mode():
    ex = casekit.load_dataset("cluster_mode_examples")
    assert (ex["mapping"] == "kit_mapping").all()
    modes = set(casekit.load_dataset("cluster_modes")["mode"])
    assert modes <= set(ex["mode"])                       # every mode has an example
    assert set(ex["mode"]) - modes == {"not_in_firm"}     # plus the inter-firm counter-example
    assert set(ex["kit_unit"].astype(str)) == {"keda_zhongtu", "qingdao_six_paths"}
    row = ex.set_index("example")
    assert row.loc["keda_automation_trajectory", "mode"] == "trajectory_following"
    assert row.loc["haier_tv_alliance", "mode"] == "not_in_firm"


def test_mode_example_facts_match_000_and_004():
    ex = casekit.load_dataset("cluster_mode_examples").set_index("example")
    assert "146" in ex.loc["zhongtu_146_variants", "description_en"]                 # 000 §4.2.3
    chip = ex.loc["hisense_chip", "description_en"]
    assert "2001" in chip and "2005" in chip                                          # 004 §4.1
    inverter = ex.loc["hisense_inverter_trajectory", "description_en"]
    assert "1996" in inverter and "1997" in inverter and "300" in inverter and "100" in inverter  # 004 §4.2
    assert "12" in ex.loc["haier_tv_alliance", "description_en"]                      # 004 §4.3
    assert "004" in ex.loc["hisense_chip", "cite"] and "000" in ex.loc["keda_cross_industry", "cite"]


def test_advantages_and_disadvantages_match_section_3():
    adv = casekit.load_dataset("cluster_advantages")
    assert list(adv["advantage"]) == ["production_cost", "knowledge_transfer", "technology_lead"]
    assert list(adv["section"]) == ["3.1.1", "3.1.2", "3.1.3"]
    assert dict(zip(adv["advantage"], adv["figure"])) == {
        "production_cost": "figure_1", "knowledge_transfer": "figure_2", "technology_lead": ""}
    quirk_ids = {q["id"] for q in adv.attrs["quirks"]}
    assert {"figure1_words_only", "garbled_comparison_signs", "extraction_starts_with_other_article"} <= quirk_ids
    dis = casekit.load_dataset("cluster_disadvantages")
    assert list(dis["disadvantage"]) == ["concentrated_risk", "narrow_product_range", "limited_spillovers"]
    assert (dis["cite"] == "003 §3.2").all()


def test_six_countermeasures_are_the_articles_own_not_zhongguancun():
    cm = casekit.load_dataset("cluster_countermeasures")
    assert list(cm["section"]) == ["4.1", "4.2", "4.3", "4.4", "4.5", "4.6"]
    assert list(cm["order"]) == [1, 2, 3, 4, 5, 6]
    # §4.1 heading of the article (the extraction's first "4." is a different article)
    assert cm.iloc[0]["name_zh"] == "建立良好的部门间沟通渠道"
    assert not cm["name_zh"].str.contains("中关村").any()
    # the source's own split in §4: 4.1-4.4 build on strengths, 4.5-4.6 avoid weaknesses
    assert list(cm["aim"]) == ["use_advantage"] * 4 + ["avoid_disadvantage"] * 2


def test_countermeasure_links_say_who_makes_them():
    cm = casekit.load_dataset("cluster_countermeasures").set_index("section")
    # links the source states itself (§4 intro, §4.5, §4.6)
    assert (cm.loc["4.5", "answers_disadvantage"], cm.loc["4.5", "answers_basis"]) == ("concentrated_risk", "source")
    assert (cm.loc["4.6", "answers_disadvantage"], cm.loc["4.6", "answers_basis"]) == ("narrow_product_range", "source")
    # every other link is the kit's, and empty links say "none"
    others = cm.drop(index=["4.5", "4.6"])
    assert set(others["answers_basis"]) <= {"kit_mapping", "none"}
    for target, basis in [("answers_disadvantage", "answers_basis"), ("supports_advantage", "supports_basis")]:
        empty = cm[target] == ""
        assert (cm.loc[empty, basis] == "none").all() and (cm.loc[~empty, basis] != "none").all()
    # every id used exists
    dis = set(casekit.load_dataset("cluster_disadvantages")["disadvantage"])
    adv = set(casekit.load_dataset("cluster_advantages")["advantage"])
    assert set(cm["answers_disadvantage"]) - {""} <= dis
    assert set(cm["supports_advantage"]) - {""} <= adv
    # the gap the source leaves is recorded
    assert any(q["id"] == "no_countermeasure_for_spillovers" for q in cm.attrs["quirks"])
    assert not (cm["answers_basis"].eq("source") & cm["answers_disadvantage"].eq("limited_spillovers")).any()


def test_knowledge_integration_graph_is_consistent():
    nodes = casekit.load_dataset("knowledge_integration_nodes")
    edges = casekit.load_dataset("knowledge_integration_edges")
    ids = set(nodes["node"])
    assert len(ids) == len(nodes)
    assert set(edges["source"]) | set(edges["target"]) <= ids
    # the four kinds of cluster knowledge named in §3.1.2
    knowledge = nodes[nodes["group"] == "knowledge"]
    assert list(knowledge["name_zh"]) == ["技术知识", "需求信息", "供给信息", "经营经验"]
    # every node is connected and everything leads to innovation inside the firm
    assert ids == set(edges["source"]) | set(edges["target"])
    reach = {"in_firm_innovation"}
    for _ in range(len(ids)):
        reach |= set(edges.loc[edges["target"].isin(reach), "source"])
    assert reach == ids
    assert set(edges["basis"]) <= {"text", "kit_layout"}


def test_cost_scenario_is_illustrative_and_in_range():
    sc = casekit.load_dataset("cost_scenario")
    assert sc.attrs["source"]["illustrative"] is True
    assert sc.attrs["source"]["source_type"] == "illustrative"
    assert (sc["cite"] == "illustrative").all()
    assert ((sc["min"] <= sc["value"]) & (sc["value"] <= sc["max"])).all()
    from casekit.cost_curves import CostScenario
    import dataclasses
    assert set(sc["parameter"]) == {f.name for f in dataclasses.fields(CostScenario)}
