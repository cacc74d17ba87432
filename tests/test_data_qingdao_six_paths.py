"""Unit 3 data against source 004 (Qingdao six paths), facts checked by hand against the text."""
import pandas as pd
import pytest

import casekit
from casekit.schemas import validate_dataset

QINGDAO_SIX_PATHS = ["innovation_paths", "path_conditions", "qingdao_events", "qingdao_firms", "path_countermeasures",
                     "six_paths_figures", "advisor_factors", "advisor_weights", "advisor_profiles"]
PATHS = ["original", "absorption", "gov_industry_university_research", "large_firm_cooperation",
         "transnational_alliance", "cross_border_ma"]
USED = {"original", "absorption", "transnational_alliance"}          # 004 §4
MISSING = {"large_firm_cooperation", "cross_border_ma", "gov_industry_university_research"}  # 004 §5


@pytest.fixture(scope="module", params=QINGDAO_SIX_PATHS)
def name(request):
    return request.param


def test_valid_and_documented(name):
    assert validate_dataset(name) == []


def test_every_label_is_bilingual(name):
    df = casekit.load_dataset(name)
    for col in df.columns:
        if col.endswith("_zh"):
            twin = col[:-3] + "_en"
            assert twin in df.columns, f"{name}.{col} has no English twin"
            # a Chinese text is empty exactly where its English twin is
            assert ((df[col] == "") == (df[twin] == "")).all(), f"{name}.{col}/{twin}"


def test_cites_name_the_source_or_say_kit(name):
    df = casekit.load_dataset(name)
    ok = df["cite"].str.startswith("004") | df["cite"].str.contains("kit judgement")
    assert ok.all(), df.loc[~ok, "cite"].tolist()


def test_illustrative_datasets_say_so():
    for n in ["advisor_weights", "advisor_profiles", "advisor_factors"]:
        assert casekit.load_dataset(n).attrs["source"]["illustrative"] is True
    for n in ["innovation_paths", "qingdao_events", "qingdao_firms", "path_countermeasures", "path_conditions"]:
        assert casekit.load_dataset(n).attrs["source"]["illustrative"] is False
    w = casekit.load_dataset("advisor_weights")
    assert w["cite"].str.startswith("kit judgement (illustrative)").all()


# ---------------------------------------------------------------- the six paths (004 §3)
def test_six_paths_in_source_order():
    p = casekit.load_dataset("innovation_paths").sort_values("order")
    assert list(p["path"].astype(str)) == PATHS
    assert list(p["order"]) == [1, 2, 3, 4, 5, 6]
    assert list(p["section"]) == ["3.1", "3.2", "3.3", "3.4", "3.5", "3.6"]
    assert p["basis"].nunique() == 6


def test_source_terms_carried_over():
    p = casekit.load_dataset("innovation_paths").set_index("path")
    assert p.loc["original", "name_zh"] == "原始的自主创新"
    assert p.loc["absorption", "heading_zh"] == "引进技术的消化吸收"
    assert p.loc["large_firm_cooperation", "heading_zh"] == "大企业合作攻关"
    assert p.loc["transnational_alliance", "heading_zh"] == "建立跨国技术联盟"
    assert "官产学研" in p.loc["gov_industry_university_research", "name_zh"]


def test_qingdao_used_three_and_lacked_three():
    p = casekit.load_dataset("innovation_paths").set_index("path")
    assert set(p.index[p["used_in_qingdao"]]) == USED
    assert set(p.index[~p["used_in_qingdao"]]) == MISSING
    sections = p["countermeasure_section"].to_dict()
    assert sections["large_firm_cooperation"] == "5.1"
    assert sections["cross_border_ma"] == "5.2"
    assert sections["gov_industry_university_research"] == "5.3"
    assert all(sections[x] == "" for x in USED)


def test_original_path_conditions_are_the_sources_three():
    c = casekit.load_dataset("path_conditions")
    orig = c[(c["path"] == "original") & (c["kind"] == "condition")]
    assert {"rd_resources", "imitation_barrier", "potential_competitors"} <= set(orig["factor"])
    assert (orig["cite"] == "004 §3.1").sum() >= 3


def test_each_path_has_conditions_advantages_risks():
    c = casekit.load_dataset("path_conditions")
    for path in PATHS:
        kinds = set(c.loc[c["path"] == path, "kind"].astype(str))
        assert kinds == {"condition", "advantage", "risk"}, path
    # the introduction trap is a stated risk of absorption (004 §3.5)
    trap = c[(c["path"] == "absorption") & (c["item"] == "introduction_trap")]
    assert trap["cite"].tolist() == ["004 §3.5"] and trap["source_states"].tolist() == ["source"]
    assert set(c["factor"][c["factor"] != ""]) <= set(casekit.load_dataset("advisor_factors")["factor"])


# ---------------------------------------------------------------- the Qingdao cluster (004 §4)
def test_events_years_as_printed():
    e = casekit.load_dataset("qingdao_events").set_index("event")
    assert e.loc["hisense_asic_centre", "year"] == 2001
    assert (e.loc["hisense_xinxin_chip", "year"], e.loc["hisense_xinxin_chip", "month"]) == (2005, 6)
    assert e.loc["hisense_inverter_import", "year"] == 1996
    assert e.loc["hisense_first_inverter_ac", "year"] == 1997
    assert "KFRP-35GW" in e.loc["hisense_first_inverter_ac", "event_en"]
    assert "Liebherr" in e.loc["haier_liebherr_line", "event_en"]
    assert e.loc["haier_liebherr_line", "year_basis"] == "relative_to_writing"
    assert e.loc["haier_tv_alliance", "year_basis"] == "reported_by"
    for who in ["Philips", "Metz", "Toshiba", "12"]:
        assert who in e.loc["haier_tv_alliance", "event_en"]


def test_events_by_firm_and_path():
    e = casekit.load_dataset("qingdao_events")
    pairs = set(zip(e["firm"].astype(str), e["path"].astype(str)))
    assert pairs == {("hisense", "original"), ("hisense", "absorption"), ("haier", "absorption"),
                     ("haier", "transnational_alliance")}
    assert "aucma" not in set(e["firm"].astype(str))  # the source gives Aucma no example
    q = {x["id"] for x in e.attrs["quirks"]}
    assert {"liebherr_year_relative", "alliance_undated", "aucma_no_example"} <= q


def test_cluster_actors():
    f = casekit.load_dataset("qingdao_firms").set_index("firm")
    assert set(f.index[f["kind"] == "core_group"]) == {"haier", "hisense", "aucma"}
    assert f.loc["supplier_smes", "count"] == 1000 and f.loc["supplier_smes", "count_bound"] == "at_least"
    partners = f[f["relation"] == "alliance_partner"]
    assert partners["count"].fillna(1).sum() == 12            # 004 §4.3: 12 international firms
    assert f.loc["philips", "country_en"] == "Netherlands"
    assert f.loc["metz", "country_en"] == "Germany" and f.loc["liebherr", "country_en"] == "Germany"
    assert f.loc["toshiba", "country_en"] == "Japan"
    ids = set(f.index)
    for links in f["linked_to"]:
        assert all(x in ids for x in links.split(";") if x), links


def test_countermeasures_cover_exactly_the_missing_paths():
    m = casekit.load_dataset("path_countermeasures")
    assert set(m["path"].astype(str)) == MISSING
    ma = m[m["path"] == "cross_border_ma"]
    assert (ma["actor"] == "firm").sum() == 2                  # Wolf's two conditions
    assert (ma["actor"] == "government").sum() == 4            # 3 policies + fiscal/forex/diplomacy
    assert (m[m["path"] == "large_firm_cooperation"]["actor"] == "industry_association").all()
    assert m[m["path"] == "gov_industry_university_research"]["measure_en"].str.contains("government-led").any()
    for path, sec in [("large_firm_cooperation", "§5.1"), ("cross_border_ma", "§5.2"),
                      ("gov_industry_university_research", "§5.3")]:
        assert m.loc[m["path"] == path, "cite"].str.endswith(sec).all()


def test_figures_as_printed():
    g = casekit.load_dataset("six_paths_figures").set_index("fact")
    assert g.loc["us_treasury_holdings", "value"] == 8015 and g.loc["us_treasury_holdings", "as_of"] == "2009-05"
    assert g.loc["tv_sets_no_chinese_chip", "value"] == 7000 and g.loc["tv_sets_no_chinese_chip", "as_of"] == "2004-12"
    assert g.loc["hisense_inverter_results", "value"] == 300 and g.loc["hisense_inverter_results", "bound"] == "at_least"
    assert g.loc["hisense_inverter_patents", "value"] == 100
    assert g.loc["haier_alliance_partners", "value"] == 12
    p = casekit.load_dataset("innovation_paths")
    assert g.loc["paths", "value"] == len(p)
    assert g.loc["qingdao_paths", "value"] == p["used_in_qingdao"].sum()
    assert g.loc["missing_paths", "value"] == (~p["used_in_qingdao"]).sum()
    assert g.loc["core_groups", "value"] == 3


# ---------------------------------------------------------------- advisor data (kit judgement)
def test_weights_reference_known_paths_and_factors():
    w = casekit.load_dataset("advisor_weights")
    f = casekit.load_dataset("advisor_factors")
    assert set(w["path"].astype(str)) == set(PATHS)
    assert set(w["factor"]) <= set(f["factor"])
    assert (w["weight"] > 0).all() and (w["saturation"] > 0).all()
    assert w.groupby("path", observed=True)["gate"].any().all()    # every path has a prerequisite


def test_profiles_in_range_and_paths_match_events():
    prof = casekit.load_dataset("advisor_profiles").set_index("preset")
    f = casekit.load_dataset("advisor_factors").set_index("factor")
    for factor, row in f.iterrows():
        vals = prof[factor].astype(int)
        assert vals.between(row["min"], row["max"]).all(), factor
    assert {"haier", "hisense", "aucma", "little_giant"} == set(prof["firm"].astype(str))
    e = casekit.load_dataset("qingdao_events")
    for firm in ["haier", "hisense"]:
        taken = set(";".join(prof.loc[prof["firm"] == firm, "paths_taken"]).split(";"))
        assert taken == set(e.loc[e["firm"] == firm, "path"].astype(str)), firm
    assert prof.loc["aucma", "paths_taken"] == ""
