"""Unit 1 model (SRDI landscape): claims by source type, untraceable claims, paired figures, comparisons."""
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

import casekit
from casekit import landscape as L
from casekit.errors import CasekitError

STATS = casekit.load_dataset("srdi_statistics")
IDS = STATS["claim_id"].tolist()
SUBSETS = st.lists(st.sampled_from(L.SOURCE_TYPES), min_size=1, max_size=3, unique=True)


def test_filter_by_source_type_counts():
    assert len(L.claims("peer_reviewed")) == 22
    assert len(L.claims("open_access_journal")) == 5
    assert len(L.claims("vendor_blog")) == 30
    assert len(L.claims(["peer_reviewed", "vendor_blog"])) == 52
    assert len(L.claims()) == len(STATS)


def test_sort_by_source_type_puts_strongest_first():
    df = L.claims()
    order = [L.SOURCE_TYPES.index(s) for s in df["source_type"].astype(str)]
    assert order == sorted(order)
    assert df["source_type"].iloc[0] == "peer_reviewed" and df["source_type"].iloc[-1] == "vendor_blog"


def test_sort_by_traceability():
    df = L.claims(sort_by="traceability")
    ranks = [L.TRACEABILITY.index(t) for t in df["traceability"].astype(str)]
    assert ranks == sorted(ranks)
    assert df["traceability"].iloc[0] == "reference_list"


def test_untraceable_claims_by_hand():
    un = L.untraceable_claims()
    # hand count: 000 three uncited landscape counts; 001 the TSF generation; 002 15 unsourced + 8 anonymous
    assert un["source"].value_counts().to_dict() == {"002": 23, "000": 3, "001": 1}
    assert not un["names_source"].any()
    assert "finebi_market_share_rank" in set(un["claim_id"])
    assert "little_giant_rd_intensity_2023" not in set(un["claim_id"])   # it names an MIIT report
    assert len(L.untraceable_claims("vendor_blog")) == 23


def test_promotional_filter():
    promo = L.claims(promotional=True)
    assert set(promo["source"]) == {"002"}
    assert len(promo) + len(L.claims(promotional=False)) == len(STATS)


def test_paired_figures():
    allp = L.paired_figures()
    assert (allp["related_group"] != "").all()
    assert allp.groupby("related_group").size().min() >= 2
    cross = L.paired_figures(across_sources=True)
    lg = cross[cross["related_group"] == "little_giant_count"]
    assert lg["value"].tolist() == [12668, 10000]          # peer-reviewed first
    assert lg["source"].astype(str).tolist() == ["000", "002"]
    for _, g in cross.groupby("related_group"):
        assert g["source"].nunique() >= 2


def test_summary_matches_hand_count():
    s = L.source_quality_summary()
    assert s.loc["peer_reviewed", "own_data"] == 13
    assert s.loc["peer_reviewed", "interview"] == 5
    assert s.loc["open_access_journal", "reference_list"] == 3
    assert s.loc["vendor_blog", "named_source"] == 7
    assert s.loc["vendor_blog", "anonymous_case"] == 8
    assert s.values.sum() == len(STATS)


def test_rd_intensity_ratio_by_hand():
    c = L.compare_claims("little_giant_rd_intensity_2023", "manufacturing_rd_intensity_2023")
    assert c.ratio == pytest.approx(8.2 / 2.1)          # 3.9048
    assert c.difference == pytest.approx(6.1)
    text = " ".join(c.caveats_en)
    assert "vendor blog" in text and "no link" in text
    assert "different documents" not in text             # both from 002
    assert "different dates" not in text                 # both 2023


def test_little_giant_count_caveats():
    c = L.compare_claims("little_giant_count_2023_000", "little_giant_count_2023_002")
    assert c.ratio == pytest.approx(1.2668)
    text = " ".join(c.caveats_en)
    assert "different documents" in text and "different dates" in text and "bound" in text
    casekit.set_language("zh")
    try:
        assert c.caveats == c.caveats_zh and "不同文献" in c.caveats[0]
        assert "注意" in repr(c)
    finally:
        casekit.set_language("en")


def test_bad_input_gets_clear_messages():
    with pytest.raises(CasekitError, match="Allowed values: peer_reviewed"):
        L.claims("blog")
    with pytest.raises(CasekitError, match="Choose one of"):
        L.claims(sort_by="date")
    with pytest.raises(CasekitError, match="Did you mean"):
        L.claim("little_giant_count_2023")
    with pytest.raises(CasekitError, match="different units|means nothing"):
        L.compare_claims("keda_ip_count", "little_giant_low_end_share")
    with pytest.raises(CasekitError, match="cites no firm"):
        L.mechanisms_of_firm("huawei")
    with pytest.raises(CasekitError, match="logic"):
        L.mechanisms(logic="platforms")
    with pytest.raises(CasekitError, match="to_unit"):
        L.course_links(5)
    with pytest.raises(CasekitError, match="Sources with counts"):
        L.ladder("001")


def test_ladder_mechanisms_dilemmas_links():
    assert L.ladder()["level"].astype(str).tolist() == ["srdi_sme", "little_giant", "single_champion"]
    assert len(L.ladder(None)) == 4
    assert L.mechanisms(logic="chain_fusion")["mechanism"].astype(str).tolist() == [
        "industrial_chain_embedding", "supply_chain_collaboration"]
    assert L.mechanisms_of_firm("comac")["srdi_dimension"].astype(str).tolist() == ["distinctive"]
    assert L.dilemma_paths()["path"].astype(str).tolist() == ["deepen_guidance", "optimise_allocation", "improve_ecosystem"]
    assert set(L.course_links("qingdao_six_paths")["to_unit"]) == {"qingdao_six_paths"}
    assert set(L.course_links(4)["to_unit"]) == {"in_firm_cluster_costs"}   # 4: no other meaning before


@pytest.mark.parametrize("number, name", [(2, "keda_zhongtu"), (3, "qingdao_six_paths")])
def test_course_links_by_a_number_whose_meaning_changed_say_which_unit(number, name):
    with pytest.warns(UserWarning, match=f"This is Unit {number} .*earlier casekit versions unit {number} was"):
        links = L.course_links(number)
    assert set(links["to_unit"]) == {name}


@pytest.mark.parametrize("bad", [0, 1, "srdi_landscape", 5, "2"])
def test_course_links_name_the_units_they_lead_into(bad):
    with pytest.raises(CasekitError, match="2 keda_zhongtu, 3 qingdao_six_paths, 4 in_firm_cluster_costs"):
        L.course_links(bad)


@settings(max_examples=40, deadline=None)
@given(SUBSETS, st.sampled_from([None, True, False]), st.sampled_from(L.SORT_KEYS))
def test_filters_are_subsets_and_exact(types, traceable, sort_by):
    df = L.claims(types, traceable=traceable, sort_by=sort_by)
    assert set(df["claim_id"]) <= set(IDS)
    assert set(df["source_type"].astype(str)) <= set(types)
    if traceable is not None:
        assert (df["names_source"] == traceable).all()
    # nothing lost: the filtered rows are exactly those that pass the conditions
    mask = STATS["source_type"].astype(str).isin(types)
    if traceable is not None:
        mask &= STATS["names_source"] == traceable
    assert len(df) == int(mask.sum())


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(IDS), st.sampled_from(IDS))
def test_comparison_is_symmetric(a, b):
    ra, rb = STATS.set_index("claim_id").loc[a], STATS.set_index("claim_id").loc[b]
    if ra["unit"] != rb["unit"]:
        with pytest.raises(CasekitError):
            L.compare_claims(a, b)
        return
    ab, ba = L.compare_claims(a, b), L.compare_claims(b, a)
    assert ab.ratio * ba.ratio == pytest.approx(1.0)
    assert ab.difference == pytest.approx(-ba.difference)
    assert len(ab.caveats_en) == len(ab.caveats_zh)
    assert len(ab.caveats_en) == len(ba.caveats_en)   # the same caveats, whichever claim comes first
    if STATS.set_index("claim_id").loc[[a, b], "source_type"].astype(str).eq("vendor_blog").any():
        assert any("vendor blog" in c for c in ab.caveats_en)
