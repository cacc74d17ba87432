"""The stage-transition explorer, driven headlessly: set control values, read Python state."""
from __future__ import annotations

import casekit
from casekit import collaboration as co
from casekit.collaboration_widgets import StageExplorer, alternative_from_settings


def ex(firm="keda"):
    return StageExplorer(firm, draw=False)


def test_opens_on_the_actual_case_with_no_findings():
    e = ex()
    assert e.result.verdict == "consistent" and e.result.findings == ()
    assert list(e.result.capabilities_formed) == ["technology_entrepreneurship", "trend_judgment", "rule_building"]
    assert e.graph is not None and "compare" in e.graph.source


def test_skip_reorder_and_reset():
    e = ex()
    e.stage_controls[2]["include"].value = False
    assert e.result.capabilities_not_formed == ["trend_judgment", "rule_building"]
    assert len(e.case.stages) == 2
    e.reset()
    assert e.stage_controls[2]["include"].value is True and e.result.verdict == "consistent"
    e.order.value = (2, 1, 3)
    assert [s.stage for s in e.case.stages] == ["market_expansion", "rd_driven_marketing", "market_leading"]
    assert "interaction_deepens" in {f.rule for f in e.result.contradicts}


def test_activity_depth_lead_and_boundary_controls():
    e = ex("zhongtu")
    e.stage_controls[2]["depth"].value = 1
    assert e.case.stages[1].interaction == "one_way_opinion_collection"
    assert e.result.capabilities_not_formed == ["technology_market_matching", "new_product_development"]
    e.reset()
    e.stage_controls[1]["lead"].value = "rd"
    assert e.result.contradicts[0].rule == "mode_sets_starting_side"
    e.reset()
    e.boundaries[2].value = 2020
    assert (e.case.stages[1].end_year, e.case.stages[2].start_year) == (2019, 2020)
    e.reset()
    e.stage_controls[3]["marketing_activity"].value = "divergent_marketing"
    assert e.result.verdict in ("contradicts", "debatable")


def test_keda_never_contracts_and_business_model_switch():
    e = ex()
    e.stage_controls[3]["marketing_activity"].value = "divergent_marketing"
    assert "rule_building" in e.result.capabilities_not_formed
    e.reset()
    e.business_model.value = "customer_relationship"
    assert {f.rule for f in e.result.findings} == {"business_model_decides_mode"}


def test_borrow_a_stage_from_the_other_firm_and_switch_firm():
    e = ex()
    e.stage_controls[2]["borrow"].value = "zhongtu:2"
    assert e.case.stages[1].interaction == "marketing_led_interaction"
    assert e.result.verdict == "contradicts"
    e.firm.value = "zhongtu"
    assert e.result.verdict == "consistent" and e.case.firm == "zhongtu"


def test_third_case_and_language_switch():
    from test_collaboration import THIRD

    third = co.load_case(THIRD)
    e = StageExplorer(third, draw=False)
    assert e.firm.value == "lumen" and len(e.stage_controls) == 2
    e.stage_controls[1]["include"].value = False
    assert e.result.capabilities_not_formed == ["technology_entrepreneurship", "trend_judgment"]
    casekit.set_language("zh")
    try:
        assert "形成的能力" in e.summary.value
        assert e.business_model.description == "业务模式"
    finally:
        casekit.set_language("en")


def test_all_stages_unticked_is_a_message():
    e = ex()
    for c in e.stage_controls.values():
        c["include"].value = False
    assert e.result.verdict == "invalid" and "no stages" in e.findings_html.value


def test_settings_function_is_pure():
    keda = co.actual_case("keda")
    alt = alternative_from_settings(keda, stages=[{}, {"include": False}, {}], business_model="customer_relationship")
    assert len(alt.stages) == 2 and alt.business_model == "customer_relationship"
    assert keda.business_model == "product_innovation" and len(keda.stages) == 3


def test_evidence_browser_by_construct():
    from casekit.collaboration_widgets import EvidenceBrowser

    b = EvidenceBrowser("keda")
    b.construct.value = "deep R&D participation"
    assert len(b.rows) == 4 and "R&D goes on site" in b.view.value
    b.firm.value = "zhongtu"
    assert set(b.rows.firm) == {"zhongtu"}
