"""The unit 2 model: actual cases, hand-worked alternatives, strict case files, random alternatives."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import casekit
from casekit import collaboration as co
from casekit.errors import CasekitError

KEDA_CAPS = ["technology_entrepreneurship", "trend_judgment", "rule_building"]
ZHONGTU_CAPS = ["customer_demand_perception", "technology_market_matching", "new_product_development"]


def rules_hit(result, severity=None):
    return {f.rule for f in result.findings if severity is None or f.severity == severity}


@pytest.mark.parametrize("firm,caps", [("keda", KEDA_CAPS), ("zhongtu", ZHONGTU_CAPS)])
def test_actual_cases_produce_no_findings_and_their_three_capabilities(firm, caps):
    r = co.evaluate(co.actual_case(firm))
    assert r.verdict == "consistent"
    assert r.findings == ()
    assert list(r.capabilities_formed) == caps
    assert r.capabilities_not_formed == [] and r.new_capabilities == []
    assert r.changes == ()


def test_case_files_agree_with_stages_dataset():
    st = casekit.load_dataset("stages")
    for firm in ("keda", "zhongtu"):
        case = co.actual_case(firm)
        rows = st[st.firm == firm].sort_values("order")
        assert [s.interaction for s in case.stages] == list(rows.interaction.astype(str))
        assert [s.depth for s in case.stages] == list(rows.interaction_depth)
        assert [s.lead for s in case.stages] == list(rows.lead.astype(str))
        assert [(s.start_year, s.end_year) for s in case.stages] == list(zip(rows.start_year, rows.end_year))
        outcomes = co.evaluate(case).outcomes
        assert [o.capability for o in outcomes] == list(rows.capability.astype(str))


def test_skipping_keda_market_expansion_leaves_rule_building_without_foundation():
    r = co.evaluate(co.actual_case("keda").skip(2))
    assert r.verdict == "contradicts"
    assert r.capabilities_formed == ("technology_entrepreneurship",)
    assert r.capabilities_not_formed == ["trend_judgment", "rule_building"]
    found = [f for f in r.contradicts if f.rule == "capabilities_build_on_earlier"]
    assert len(found) == 1 and found[0].stage == 2 and found[0].blocks
    assert found[0].evidence and found[0].cite.startswith("000")
    # skip gives stage 2's years to stage 1: no gap appears
    assert r.case.stages[0].end_year == 2017


def test_keda_never_contracts_in_2018():
    keda = co.actual_case("keda")
    # (a) the market-leading stage keeps divergent marketing
    r = co.evaluate(keda.change(3, marketing_activity="divergent_marketing"))
    assert "rule_building" in r.capabilities_not_formed
    assert "focus_under_resource_constraint" in rules_hit(r, "contradicts")
    # (b) the market expansion stage simply goes on to 2022
    r2 = co.evaluate(keda.skip(3))
    assert r2.capabilities_not_formed == ["rule_building"]
    assert "focus_under_resource_constraint" in rules_hit(r2, "contradicts")
    assert r2.case.stages[-1].end_year == 2022
    # with weak resource constraints the same move is only debatable
    r3 = co.evaluate(keda.with_resources("weak").change(3, marketing_activity="divergent_marketing"))
    assert "focus_under_resource_constraint" in rules_hit(r3, "debatable")
    assert "focus_under_resource_constraint" not in rules_hit(r3, "contradicts")


def test_zhongtu_keeps_one_way_opinion_collection():
    r = co.evaluate(co.actual_case("zhongtu").change(2, interaction="one_way_opinion_collection"))
    assert r.capabilities_formed == ("customer_demand_perception",)
    assert r.capabilities_not_formed == ["technology_market_matching", "new_product_development"]
    assert "interaction_deepens" in rules_hit(r, "debatable")  # the plateau is debatable ...
    assert "capabilities_build_on_earlier" in rules_hit(r, "contradicts")  # ... the missing foundation is not
    assert r.outcomes[1].status == "no_new"


def test_keda_starts_market_oriented():
    r = co.evaluate(co.actual_case("keda").change(1, lead="marketing"))
    assert r.case.stages[0].interaction == "one_way_opinion_collection"
    first = [f for f in r.findings if f.rule == "mode_sets_starting_side"]
    assert [(f.stage, f.severity) for f in first] == [(1, "contradicts")]
    assert r.capabilities_formed == ("customer_demand_perception",)
    assert r.new_capabilities == ["customer_demand_perception"]


def test_later_stage_led_by_other_side_is_debatable_not_contradiction():
    r = co.evaluate(co.actual_case("zhongtu").change(2, lead="rd"))
    f = [x for x in r.findings if x.rule == "mode_sets_starting_side"]
    assert [(x.stage, x.severity) for x in f] == [(2, "debatable")]


def test_switching_business_model_or_mode():
    keda = co.actual_case("keda")
    r = co.evaluate(keda.with_business_model("customer_relationship"))
    assert rules_hit(r) == {"business_model_decides_mode"}
    r2 = co.evaluate(keda.with_mode("market_oriented").with_business_model("customer_relationship"))
    assert "founders_shape_mode" in rules_hit(r2, "debatable")
    assert {(f.stage, f.severity) for f in r2.findings if f.rule == "mode_sets_starting_side"} == {
        (1, "contradicts"), (2, "debatable"), (3, "debatable")}


def test_reorder_repeat_boundary_and_borrow():
    keda = co.actual_case("keda")
    r = co.evaluate(keda.reorder([2, 1, 3]))
    assert [s.start_year for s in r.case.stages] == [2000, 2008, 2018]  # years stay with the slots
    assert "interaction_deepens" in rules_hit(r, "contradicts")
    rep = keda.repeat(1)
    assert len(rep.stages) == 4 and (rep.stages[0].start_year, rep.stages[1].end_year) == (2000, 2007)
    assert co.evaluate(rep).outcomes[1].status == "no_new"
    moved = keda.move_boundary(2, 2020)
    assert (moved.stages[1].end_year, moved.stages[2].start_year) == (2019, 2020)
    # divergent marketing now lasts 12 years, longer than Keda's 10: debatable, not wrong
    rm = co.evaluate(moved)
    assert rm.verdict == "debatable" and rules_hit(rm) == {"focus_under_resource_constraint"}
    assert co.evaluate(keda.move_boundary(2, 2016)).verdict == "consistent"
    z = co.actual_case("zhongtu").move_boundary(1, 2014)  # shared boundary year kept shared
    assert (z.stages[0].end_year, z.stages[1].start_year) == (2014, 2014)
    b = co.evaluate(keda.borrow(2, "zhongtu", 2))
    assert "mode_sets_starting_side" in rules_hit(b)
    assert "capabilities_build_on_earlier" in rules_hit(b, "contradicts")  # matching needs demand perception


def test_intermediary_contradicts_the_niche_winner_character():
    r = co.evaluate(co.actual_case("zhongtu").change(3, intermediary=True))
    assert rules_hit(r) >= {"no_intermediary"}
    assert r.outcomes[2].status == "at_risk"


def test_malformed_alternatives_get_a_message_not_an_exception():
    keda = co.actual_case("keda")
    empty = keda.skip(1).skip(1).skip(1)
    r = co.evaluate(empty)
    assert r.verdict == "invalid" and "no stages" in r.message
    backwards = keda.move_boundary(1, 1990)
    r2 = co.evaluate(backwards)
    assert r2.verdict == "invalid" and "before it starts" in r2.message
    bad = keda.with_stages([keda.stages[0].__class__(**{**keda.stages[0].__dict__, "rd_activity": "magic"})])
    r3 = co.evaluate(bad)
    assert not r3.valid and "magic" in r3.message and "lab_research" in r3.message
    assert co.evaluate("keda").verdict == "invalid"
    for call in (lambda: keda.skip(4), lambda: keda.change(1, rd_activity="trial_sales"),
                 lambda: keda.change(1, depth=5), lambda: keda.reorder([1, 1, 2]), lambda: keda.move_boundary(3, 2020),
                 lambda: keda.with_mode("platform"), lambda: co.actual_case("huawei")):
        with pytest.raises(CasekitError):
            call()


THIRD = """
firm: lumen
name_zh: 流明光电
name_en: Lumen Optics (illustrative)
business_model: product_innovation
collaboration_mode: technology_oriented
founder_background: technical
activities:
  - {id: prototype_lab, side: rd, level: 1, name_zh: 样机实验, name_en: prototype lab}
stages:
  - {stage: start, name_zh: 起步, name_en: start-up, start_year: 2010, end_year: 2014,
     rd_activity: prototype_lab, marketing_activity: trial_sales, interaction: one_way_feedback}
  - {stage: grow, name_zh: 成长, name_en: growth, start_year: 2015, end_year: 2020,
     rd_activity: focus_core_technology, marketing_activity: focused_marketing, interaction: rd_led_interaction}
"""


def test_third_firm_loads_and_evaluates():
    case = co.load_case(THIRD)
    assert case.firm == "lumen" and len(case.stages) == 2
    r = co.evaluate(case)
    assert r.capabilities_formed == ("technology_entrepreneurship", "trend_judgment")
    assert "activities_fit_interaction" in rules_hit(r)  # focused marketing belongs with depth 3


def test_case_file_reports_every_problem_at_once(tmp_path):
    bad = THIRD.replace("business_model: product_innovation", "business_model: platform") \
               .replace("end_year: 2014", "end_year: 2009").replace("trial_sales", "tv_ads") + "colour: red\n"
    path = tmp_path / "bad.yaml"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(CasekitError) as e:
        co.load_case(path)
    msg = str(e.value)
    assert "4 problem" in msg
    for needle in ("business_model", "'platform'", "product_innovation", "colour", "end_year", "2009",
                   "tv_ads", "divergent_marketing"):
        assert needle in msg, needle
    with pytest.raises(CasekitError, match="No case file"):
        co.load_case(tmp_path / "missing.yaml")


def test_bilingual_output():
    r = co.evaluate(co.actual_case("keda").skip(2))
    casekit.set_language("zh")
    try:
        text = repr(r)
        assert "能力" in text and "与框架相悖" in text
        assert "证据" in r.findings_frame().columns
    finally:
        casekit.set_language("en")


@st.composite
def alternatives(draw):
    case = co.actual_case(draw(st.sampled_from(["keda", "zhongtu"])))
    cat = co.catalog()
    for _ in range(draw(st.integers(0, 6))):
        n = len(case.stages)
        if n == 0:
            break
        k = draw(st.integers(1, n))
        op = draw(st.sampled_from(["reorder", "skip", "repeat", "rd", "mkt", "inter", "depth", "lead", "boundary",
                                   "model", "mode", "borrow", "intermediary", "resources"]))
        if op == "reorder":
            case = case.reorder(draw(st.permutations(list(range(1, n + 1)))))
        elif op == "skip":
            case = case.skip(k)
        elif op == "repeat" and n < 6:
            case = case.repeat(k)
        elif op == "rd":
            case = case.change(k, rd_activity=draw(st.sampled_from([o.id for o in cat.of_kind("rd")])))
        elif op == "mkt":
            case = case.change(k, marketing_activity=draw(st.sampled_from([o.id for o in cat.of_kind("marketing")])))
        elif op == "inter":
            case = case.change(k, interaction=draw(st.sampled_from([o.id for o in cat.of_kind("interaction")])))
        elif op == "depth":
            case = case.change(k, depth=draw(st.integers(1, 3)))
        elif op == "lead":
            case = case.change(k, lead=draw(st.sampled_from(["rd", "marketing"])))
        elif op == "boundary" and k < n:
            case = case.move_boundary(k, draw(st.integers(1990, 2030)))
        elif op == "model":
            case = case.with_business_model(draw(st.sampled_from(co.BUSINESS_MODELS)))
        elif op == "mode":
            case = case.with_mode(draw(st.sampled_from(co.MODES)))
        elif op == "borrow":
            case = case.borrow(k, draw(st.sampled_from(["keda", "zhongtu"])), draw(st.integers(1, 3)))
        elif op == "intermediary":
            case = case.change(k, intermediary=draw(st.booleans()))
        elif op == "resources":
            case = case.with_resources(draw(st.sampled_from(["strong", "weak"])))
    return case


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(alternatives(), st.sampled_from(["en", "zh"]))
def test_any_alternative_gets_a_result_never_an_exception(case, lang):
    casekit.set_language(lang)
    r = co.evaluate(case)
    assert r.verdict in {"invalid", "contradicts", "debatable", "consistent"}
    assert r.message and r.question and repr(r)
    if r.valid:
        # formed capabilities are real capabilities, each at most once, and each rests on its predecessor
        cat = co.catalog()
        assert len(set(r.capabilities_formed)) == len(r.capabilities_formed)
        for cap in r.capabilities_formed:
            ladder = cat.ladders[cat.options[cap].mode]
            lvl = ladder.index(cap)
            if lvl:
                assert ladder[lvl - 1] in r.capabilities_formed[: r.capabilities_formed.index(cap)]
        assert all(f.severity in co.SEVERITIES and f.reason and f.cite for f in r.findings)
        assert (r.verdict == "consistent") == (not r.findings)
        r.findings_frame()
    else:
        assert r.problems
    casekit.set_language("en")
