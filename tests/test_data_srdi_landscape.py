"""Unit 1 data (SRDI landscape) against the sources: counts, dates, names and source types checked
by hand.

Each expected value below was read off the seed documents (000 §1, §2.1, §3.3, Table 1; 001 §3-§5;
002's text and tables), not copied from the CSVs.
"""
import pandas as pd
import pytest

import casekit
from casekit import schemas, units

SRDI_LANDSCAPE = ["srdi_statistics", "srdi_ladder", "co_innovation_mechanisms", "co_innovation_dilemmas",
                  "srdi_bottlenecks", "srdi_strategies", "course_map"]


@pytest.fixture(scope="module")
def stats():
    return casekit.load_dataset("srdi_statistics").set_index("claim_id")


@pytest.mark.parametrize("name", SRDI_LANDSCAPE)
def test_dataset_valid_and_cited(name):
    assert name in casekit.dataset_names()
    assert schemas.validate_dataset(name) == []
    df = casekit.load_dataset(name)
    assert df.columns[-1] == "cite"
    assert (df["cite"].str.strip() != "").all()
    # every bilingual label comes in both languages, and neither side is empty when the other is set
    for col in df.columns:
        if col.endswith("_zh"):
            twin = col[:-3] + "_en"
            assert twin in df.columns, f"{name}.{col} has no English twin"
            assert ((df[col] == "") == (df[twin] == "")).all(), f"{name}: {col}/{twin} filled unevenly"


def test_statistics_contract_values(stats):
    assert set(stats["source_type"].astype(str)) == {"peer_reviewed", "open_access_journal", "vendor_blog"}
    expected = {"000": "peer_reviewed", "001": "open_access_journal", "002": "vendor_blog"}
    for src, st in expected.items():
        assert (stats.loc[stats["source"] == src, "source_type"].astype(str) == st).all()
    assert stats.index.is_unique


def test_statistics_counts_per_source(stats):
    counts = stats["source"].value_counts()
    # 002: every numeric claim, table cells included (30 distinct figures); 000: 22 (17 + the five
    # case figures of §4.2.3 and Tables 3-4: 146 paints, 8,000+ members, 80 %, 100,000 t, 160 °C); 001: 5
    assert counts["002"] == 30
    assert counts["000"] == 22
    assert counts["001"] == 5


@pytest.mark.parametrize("claim, value, as_of", [
    ("srdi_sme_count_2023", 98000, "2023-10"),          # 000 §1: 9.8万多家
    ("little_giant_count_2023_000", 12668, "2023-10"),  # 000 §1: 12 668家
    ("single_champion_count_2023", 1187, "2023-10"),    # 000 §1: 1 187家
    ("sme_innovation_share_2022", 70, "2022"),          # 000 §2.1: 70%以上
    ("keda_ip_count", 301, ""),                          # 000 Table 1
    ("zhongtu_patent_count", 47, ""),                    # 000 Table 1
    ("keda_interview_words", 18.8, ""),                  # 000 §3.3 method text
    ("zhongtu_interview_words", 15.3, ""),
    ("mao_dun_sample_142", 142, ""),                     # 001 §2
    ("little_giant_count_2023_002", 10000, "2023-12"),   # 002 opening
    ("little_giant_low_end_share", 67, ""),
    ("basic_research_department_share", 21, "2023"),
    ("senior_rd_talent_gap_share", 56, ""),
    ("patent_infringement_growth_2022", 18, "2022"),
    ("little_giant_industrialisation_rate", 45, "2023"),
    ("national_industrialisation_rate", 34, "2023"),
    ("gba_industrialisation_rate_2022", 62, "2022"),
    ("little_giant_rd_intensity_2023", 8.2, "2023"),
    ("manufacturing_rd_intensity_2023", 2.1, "2023"),
    ("jiangsu_case_forecast_accuracy", 85, ""),
    ("automation_case_output", 2, ""),                   # 2亿元 in units of 100m yuan
])
def test_statistic_values(stats, claim, value, as_of):
    assert stats.loc[claim, "value"] == pytest.approx(value)
    assert stats.loc[claim, "as_of"] == as_of


def test_qualifiers_follow_the_wording(stats):
    assert stats.loc["srdi_sme_count_2023", "qualifier"] == "more_than"          # 多家
    assert stats.loc["little_giant_count_2023_002", "qualifier"] == "more_than"  # 突破
    assert stats.loc["china_semiconductor_patent_top100", "qualifier"] == "less_than"  # 不足
    assert stats.loc["national_industrialisation_rate", "qualifier"] == "about"  # 约


def test_traceability(stats):
    assert (stats["names_source"] == ~stats["traceability"].isin(["unsourced", "anonymous_case"])).all()
    # the blog names a source for only seven of its 30 figures (MIIT x3, patent association, CAST x3)
    named_002 = stats[(stats["source"] == "002") & stats["names_source"]].index
    assert set(named_002) == {
        "basic_research_department_share", "patent_infringement_growth_2022",
        "little_giant_industrialisation_rate", "national_industrialisation_rate",
        "international_industrialisation_rate", "little_giant_rd_intensity_2023",
        "manufacturing_rd_intensity_2023"}
    # 000 gives its landscape counts without a citation: recorded as printed
    for c in ["srdi_sme_count_2023", "little_giant_count_2023_000", "single_champion_count_2023"]:
        assert stats.loc[c, "traceability"] == "unsourced"
    assert stats.loc["mao_dun_sample_142", "traceability"] == "reference_list"
    assert stats.loc["zhongtu_provincial_capitals", "traceability"] == "interview"
    # a source that names a source must say which
    named = stats[stats["names_source"]]
    assert (named["attributed_to_en"] != "").all() and (named["attributed_to_zh"] != "").all()


def test_promotional_claims_are_the_vendor_pitch(stats):
    promo = stats[stats["promotional"]]
    assert set(promo["source"]) == {"002"}
    assert "finebi_market_share_rank" in promo.index


def test_related_groups(stats):
    g = stats.groupby("related_group")
    sizes = g.size().drop("", errors="ignore")
    assert (sizes >= 2).all()
    lg = stats[stats["related_group"] == "little_giant_count"]
    assert set(lg["source"]) == {"000", "002"}
    ios = stats[stats["related_group"] == "innovation_output_share"]
    assert set(ios["source"]) == {"000", "002"}
    grouped = stats[stats["related_group"] != ""]
    assert (grouped["related_note_en"] != "").all()


def test_quirks_recorded():
    q = {x["id"] for x in casekit.load_dataset("srdi_statistics").attrs["quirks"]}
    assert {"table2_word_counts", "miit_report_titles", "landscape_counts_uncited"} <= q


def test_ladder(stats):
    lad = casekit.load_dataset("srdi_ladder")
    assert list(lad.sort_values("order")["level"].astype(str).unique()) == ["srdi_sme", "little_giant", "single_champion"]
    main = lad[lad["source"] == "000"].set_index("level")
    assert main.loc["srdi_sme", "count"] == 98000
    assert main.loc["little_giant", "count"] == 12668
    assert main.loc["single_champion", "count"] == 1187
    assert (main["as_of"] == "2023-10").all()
    # every ladder count agrees with its claim in srdi_statistics
    for _, row in lad.iterrows():
        assert stats.loc[row["claim_id"], "value"] == row["count"]
        assert stats.loc[row["claim_id"], "as_of"] == row["as_of"]
    # counts shrink up the ladder
    assert main["count"].is_monotonic_decreasing


def test_mechanisms_four_logics_by_two():
    m = casekit.load_dataset("co_innovation_mechanisms")
    assert len(m) == 8
    assert m.groupby("logic", observed=True).size().tolist() == [2, 2, 2, 2]
    dims = m.drop_duplicates("logic").sort_values("logic_order")
    assert dims["srdi_dimension"].astype(str).tolist() == ["specialized", "refined", "distinctive", "innovative"]
    assert dims["dimension_name_zh"].tolist() == ["专业化", "精细化", "特色化", "新颖化"]
    by = m.set_index("mechanism")
    assert by.loc["tech_knowledge_sharing", "example_firm_ids"] == "xiaomi;qianxin"
    assert "xcmg" in by.loc["collaborative_project_development", "example_firm_ids"]
    assert "xcmg" in by.loc["data_element_sharing", "example_firm_ids"]
    assert "siemens_healthineers" in by.loc["infrastructure_sharing", "example_firm_ids"]
    assert by.loc["industrial_chain_embedding", "example_firm_ids"] == "comac"
    assert by.loc["supply_chain_collaboration", "example_firm_ids"] == ""
    assert by.loc["collaborative_rd", "example_firm_ids"] == ""
    assert "visionox" in by.loc["risk_sharing", "example_firm_ids"]
    # the firm id list and both label lists have the same length
    for _, r in m.iterrows():
        n = len(r["example_firm_ids"].split(";")) if r["example_firm_ids"] else 0
        for col in ("example_firms_zh", "example_firms_en"):
            assert (len(r[col].split(";")) if r[col] else 0) == n
    assert by.loc["tech_knowledge_sharing", "cite"] == "001 §3.1.1"
    assert by.loc["risk_sharing", "cite"] == "001 §3.4.2"


def test_dilemmas_pair_with_paths():
    d = casekit.load_dataset("co_innovation_dilemmas").sort_values("order")
    assert len(d) == 3
    assert d["dilemma_name_zh"].tolist() == ["主体融通动力不足", "资源整合效率不高", "创新生态环境不优"]
    assert d["path_name_zh"].tolist() == ["深化主体融通引导", "优化资源配置体系", "完善创新生态环境"]
    assert d["cite"].tolist() == ["001 §4.1; §5.1", "001 §4.2; §5.2", "001 §4.3; §5.3"]
    logics = set(casekit.load_dataset("co_innovation_mechanisms")["logic"].astype(str))
    assert set(d["logic"].astype(str)) <= logics


def test_bottleneck_tables():
    b = casekit.load_dataset("srdi_bottlenecks")
    assert b.groupby("table", observed=True).size().to_dict() == {
        "structural": 3, "environment": 3, "transfer": 3, "faq_pain_points": 4}
    s = b[b["table"] == "structural"].set_index("bottleneck")
    assert s.loc["core_technology_gap", "difficulty_name_zh"] == "很高"
    assert s.loc["weak_original_rd", "difficulty_name_zh"] == "较高"
    assert s.loc["weak_chain_collaboration", "difficulty_name_zh"] == "中等"
    stats = casekit.load_dataset("srdi_statistics")
    linked = b.loc[b["claim_id"] != "", "claim_id"]
    assert set(linked) <= set(stats["claim_id"])
    assert len(linked) == 3   # the three figures of the environment table
    assert b.loc[b["table"] == "faq_pain_points", "promotional"].all()


def test_strategy_tables():
    s = casekit.load_dataset("srdi_strategies")
    assert s.groupby("table", observed=True).size().to_dict() == {
        "strategic_upgrade": 3, "chain_ecosystem": 3, "data_intelligence": 3,
        "faq_self_check": 4, "faq_long_term_barriers": 4}
    by = s.set_index("strategy")
    assert "FineBI" in by.loc["rd_data_analysis", "tools_en"]
    assert by.loc["vertical_integration", "example_zh"].startswith("比亚迪")
    assert s.loc[s["table"] == "data_intelligence", "promotional"].all()
    stats = casekit.load_dataset("srdi_statistics")
    assert set(s.loc[s["claim_id"] != "", "claim_id"]) <= set(stats["claim_id"])


def test_course_map_links_real_units_and_data():
    cm = casekit.load_dataset("course_map")
    assert set(cm["from_unit"].astype(str)) == {"srdi_landscape"}
    assert set(cm["to_unit"].astype(str)) == {"keda_zhongtu", "qingdao_six_paths", "in_firm_cluster_costs"}
    assert set(cm["from_dataset"]) <= set(SRDI_LANDSCAPE)
    contract = {"firms", "interviews", "stages", "evidence", "innovation_paths", "qingdao_events", "srdi_statistics"}
    assert set(cm["to_dataset"]) - {""} <= contract
    assert all(cm["to_notebook"] == cm["to_unit"].astype(str).map(lambda u: units.unit_notebook(u) + ".ipynb"))
    assert cm["order"].tolist() == list(range(1, len(cm) + 1))


@pytest.mark.parametrize("name", SRDI_LANDSCAPE)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_display_table_has_unique_headers(name, lang):
    # an id column and a label pair must not collapse to the same display header
    casekit.set_language(lang)
    try:
        assert casekit.table(name).columns.is_unique
    finally:
        casekit.set_language("en")
