"""Issue 16, "Widgets": each problem found in JupyterLab, reproduced headlessly (set a control's
.value, read the widget's Python state). Each test fails on the behaviour the issue reports."""
import matplotlib

matplotlib.use("Agg")
import pytest

import casekit
from casekit.cost_curves import CostScenario


@pytest.fixture(autouse=True)
def english():
    casekit.set_language("en")
    yield
    casekit.set_language("en")


def browser_snap(slider, value):
    """What the browser does to a slider value: the nearest point min + k * step, within bounds."""
    k = round((value - slider.min) / slider.step)
    return min(max(slider.min + k * slider.step, slider.min), slider.max)


# ----------------------------------------------------------------------------- 04 cost curves
@pytest.fixture
def cost():
    from casekit.cost_curves_widgets import CostCurveExplorer

    return CostCurveExplorer()


def test_04_default_values_survive_the_browser_snap(cost):
    # old: cumulative output min 1, step 10 -> the browser showed 101 (C1 19.96, crossover 37.32)
    for name in ("innovation_fixed_cost", "variable_cost_saving", "learning_rate", "cumulative_output"):
        c = cost.controls[name]
        assert browser_snap(c, c.value) == pytest.approx(c.value, abs=1e-9), name
    r = cost.controls["output_range"]
    assert [browser_snap(r, v) for v in r.value] == pytest.approx(list(r.value))
    kp = cost.key_points
    assert (kp.C1, kp.crossover) == pytest.approx((20, 37.5))


def test_04_what_if_4_reaches_n_400(cost):
    c = cost.controls["cumulative_output"]
    assert browser_snap(c, 400) == 400           # old grid 1, 11, ..., 391, 401
    cost.controls["learning_rate"].value = 0.3
    c.value = 400
    assert cost.scenario.cumulative_output == 400
    assert cost.scenario.base_variable_cost_after == pytest.approx(12 * 0.7 ** 2)


def test_04_reset_puts_slider_and_model_back_together(cost):
    c = cost.controls["cumulative_output"]
    c.value = browser_snap(c, 730)
    cost.reset()
    assert c.value == cost.scenario.cumulative_output == 100
    assert browser_snap(c, c.value) == c.value


def test_04_values_are_shown_whole_beside_the_sliders(cost):
    for name, c in cost.controls.items():
        assert c.readout is False, name            # the cut-off readout box is gone
    # a number box beside each slider shows its value whole (and takes a typed one: a phone's
    # swipe is coarse); the output range keeps its label
    assert cost.number_boxes["innovation_fixed_cost"].value == 300
    assert cost.number_boxes["variable_cost_saving"].value == pytest.approx(0.4)
    cost.controls["variable_cost_saving"].value = 0.45
    assert cost.number_boxes["variable_cost_saving"].value == pytest.approx(0.45)
    assert cost.value_labels["output_range"].value == "<b>1–200</b>"
    assert all(box.layout.width == "80px" for box in [*cost.number_boxes.values(), *cost.value_labels.values()])
    for c in cost.controls.values():                 # names whole too ("Extra fixed cost of innovating ΔF")
        assert c.style.description_width == "initial"
        assert int(c.layout.width.removesuffix("px")) + 80 <= 848 - 30


def test_04_a_typed_value_moves_the_slider_onto_its_grid(cost):
    box = cost.number_boxes["innovation_fixed_cost"]
    box.value = 450
    assert cost.controls["innovation_fixed_cost"].value == 450 == cost.scenario.innovation_fixed_cost
    box.value = 456                                    # the slider's step is 10: 460, and the box says so
    assert cost.scenario.innovation_fixed_cost == 460 and box.value == 460
    cost.number_boxes["cumulative_output"].value = 400
    assert cost.scenario.cumulative_output == 400


def test_04_only_the_form_on_screen_is_redrawn(cost):
    """A browser says whether the page shows the phone's picture; a move redraws only that one."""
    wide, narrow = cost.image.value, cost.image_narrow.value
    assert narrow == wide, "until a browser reports, the laptop frame stands in for the phone's"
    cost.watch.narrow = True
    phone = cost.image_narrow.value
    assert phone != wide and cost.image.value == wide
    from PIL import Image
    import io

    assert Image.open(io.BytesIO(phone)).size[0] < 360 < Image.open(io.BytesIO(wide)).size[0]
    cost.controls["innovation_fixed_cost"].value = 500
    assert cost.image_narrow.value != phone and cost.image.value == wide
    cost.watch.narrow = False                         # the window grew: the laptop frame catches up
    assert cost.image.value != wide


def test_04_reset_does_not_report_a_change_of_float_dust(cost):
    cost.controls["variable_cost_saving"].value = 0.39999999999999997   # what 0.35 + 0.05 gives
    cost.controls["variable_cost_saving"].value = 0.3
    cost.reset()
    assert "→ 0.4" in cost.readout_text
    assert "0.4 → 0.4" not in cost.readout_text
    from casekit.cost_curves_widgets import describe_change

    a, b = CostScenario(), CostScenario(variable_cost_saving=0.39999999999999997)
    assert "0.4 → 0.4" not in describe_change(a, b)
    assert describe_change(a, b).startswith("Default scenario")


def test_04_readout_says_default_only_for_the_default(cost):
    cost.controls["learning_rate"].value = 0.3
    casekit.set_language("zh")                    # a redraw with old == new
    assert "默认情景" not in cost.readout_text
    assert "当前情景" in cost.readout_text
    cost.reset()
    cost._on_language("zh")
    assert "默认情景" in cost.readout_text


def test_04_bad_slider_values_get_one_line_and_keep_a_valid_value(cost):
    c = cost.controls["cumulative_output"]
    c.value = "abc"                               # old: traitlets TraitError
    assert c.value == 100 and "not a number" in cost.last_problem
    assert "not a number" in cost.readout.value
    cost.controls["output_range"].value = (150, 10)   # old: TraitError "setting lower > upper"
    assert cost.controls["output_range"].value == (1, 200) and "upside down" in cost.last_problem
    c.value = 10 ** 9                               # old: clamped without a word
    assert c.value == 10000 and cost.scenario.cumulative_output == 10000
    assert "outside" in cost.last_problem and "outside" in cost.readout.value
    cost.set(learning_rate=float("nan"))
    assert cost.scenario.learning_rate == 0.2 and "not a number" in cost.last_problem
    assert len(cost.last_problem) < 200


# ----------------------------------------------------------------------------- 02 stage explorer
def _tree(w):
    """Every widget in the displayed tree, by model id (a re-created widget has a new id)."""
    out = [w.model_id]
    for c in getattr(w, "children", ()):
        out += _tree(c)
    return out


@pytest.fixture
def stages():
    from casekit.collaboration_widgets import StageExplorer

    return StageExplorer("keda", draw=False)


def test_02_controls_are_kept_not_rebuilt_so_focus_stays(stages):
    before = _tree(stages.widget)
    for value in (2009, 2010, 2011):                 # three arrow-key steps on a year slider
        stages.boundaries[1].value = value
        assert _tree(stages.widget) == before
    stages.stage_controls[2]["depth"].value = 1
    stages.business_model.value = "customer_relationship"
    assert _tree(stages.widget) == before


def test_02_year_sliders_constrain_each_other(stages):
    b1, b2 = stages.boundaries[1], stages.boundaries[2]
    assert b1.min == 2001                            # stage 2 cannot take all of stage 1's years
    b1.value = 2000                                  # old: "cannot be evaluated"
    assert b1.value == 2001 and stages.result.valid and "2001" in stages.last_problem
    assert b2.min == b1.value + 1                    # stage 3 cannot start before stage 2 has begun
    b2.value = 2008                                  # old: stage 3 could start in 2008
    assert b2.value > b1.value and stages.result.valid
    b1.value = 2015                                  # past stage 3's start: clamped, and said
    assert b1.max == b2.value - 1 == b1.value == 2007 and "2007" in stages.last_problem
    b2.value = 2020
    assert b1.max == 2019 and b2.min == 2008
    b1.value = 2015
    assert b2.min == 2016 and stages.result.verdict != "invalid"
    assert (stages.case.stages[1].start_year, stages.case.stages[2].start_year) == (2015, 2020)


def test_02_labels_show_whole(stages):
    for w in (stages.business_model, stages.mode, stages.resources, stages.order, *stages.boundaries.values()):
        assert w.style.description_width == "initial", w.description   # old: 90 px, "business m…"


def test_02_interaction_pattern_control_in_step_with_depth_and_lead(stages):
    ctl = stages.stage_controls[2]
    assert ctl["interaction"].value == "rd_led_interaction"
    ctl["interaction"].value = "marketing_deep_participation"
    assert (ctl["depth"].value, ctl["lead"].value) == (3, "marketing")
    assert stages.case.stages[1].interaction == "marketing_deep_participation"
    ctl["depth"].value = 1
    assert ctl["interaction"].value == "one_way_opinion_collection"
    assert stages.case.stages[1].interaction == "one_way_opinion_collection"


def test_02_plural_agreement():
    from casekit import collaboration as co

    keda = co.actual_case("keda")
    one = co.evaluate(keda.skip(3).skip(2), keda)
    assert len(one.capabilities_formed) == 1
    assert "Forms 1 capability;" in one.message and "capabilities;" not in one.message
    assert "2 of the actual case's do not form" in one.message
    three = co.evaluate(keda, keda)
    assert "Forms 3 capabilities;" in three.message and "0 contradictions" in three.message
    casekit.set_language("zh")
    assert "形成1项能力" in one.message


def test_02_bad_control_values_and_bad_firms():
    from casekit import CasekitError
    from casekit.collaboration_widgets import EvidenceBrowser, StageExplorer

    e = StageExplorer("zhongtu", draw=False)
    e.business_model.value = "nope"                   # old: TraitError
    assert e.business_model.value == "customer_relationship" and "nope" in e.last_problem
    e.boundaries[1].value = "abc"
    assert "not a number" in e.last_problem
    with pytest.raises(CasekitError, match="keda"):
        EvidenceBrowser("nope")                      # old: TraitError
    with pytest.raises(CasekitError):
        StageExplorer(["keda"], draw=False)


# ----------------------------------------------------------------------------- 03 path-fit advisor
def test_03_reset_returns_to_the_opening_preset():
    from casekit import six_paths as sp
    from casekit.six_paths_widgets import PathFitAdvisor

    a = PathFitAdvisor(preset="hisense_chip")
    a.controls["rd_resources"].value = 1
    a.reset()                                        # old: "(your own profile)", every slider at 5
    assert a.preset_picker.value == "hisense_chip" and a.profile == sp.preset("hisense_chip")


def test_03_editing_a_preset_switches_to_own_profile():
    from casekit.six_paths_widgets import PathFitAdvisor

    a = PathFitAdvisor(preset="haier_tv")
    a.controls["capital"].value = 0                  # old: the picker still said "Haier (TV alliance)"
    assert a.preset_picker.value == "__custom__"
    assert "your own profile" in a.preset_note.value   # and says where it started from
    assert "Haier" in a.preset_note.value


def test_03_advisor_fits_a_laptop_output_area():
    from casekit.plotting import PHONE_CSS
    from casekit.six_paths_widgets import _LABEL_W, PathFitAdvisor

    a = PathFitAdvisor(preset="haier_tv")
    main = a.box.children[-1]
    # the ranking beside the sliders (the short ranking between them shows on a phone only)
    assert list(main.children) == [a.controls_box, a.top_html, a.ranking_box]
    assert "ck-phone-only" in a.top_html._dom_classes
    px = lambda v: int(str(v).removesuffix("px"))  # noqa: E731
    assert px(a.controls_box.layout.width) + px(a.ranking_box.layout.width) <= 848 - 30
    ranking_h = px(a.ranking_box.layout.max_height)
    assert ranking_h <= 500 and a.ranking_box.layout.overflow == "auto"
    # estimated height (matches Chromium at 1280x800 to a few px): each row is a 32 px control or
    # its label's lines at 14 px (12 px text, about 6.5 px a character), plus about 190 px of
    # header, picker and preset note; it was about 1,400 px (and 1,200 px with 28-px label lines)
    import math

    from casekit import six_paths as sp

    label_w = _LABEL_W
    assert a.controls["capital"].style.description_width == f"{label_w}px"
    for lang in ("label_en", "label_zh"):
        rows = [max(32, 14 * math.ceil(len(lab) * (6.5 if lang == "label_en" else 12) / label_w) + 4)
                for lab in sp.factors()[lang]]
        assert max(sum(rows), ranking_h) + 190 < 720, (lang, sum(rows))
    assert "ck-factor" in a.controls["capital"]._dom_classes
    assert ".ck-factor>.widget-label{white-space:normal;line-height:14px" in PHONE_CSS   # not 28-px lines


def test_03_bad_values_are_one_line():
    from casekit import CasekitError, six_paths as sp
    from casekit.six_paths_widgets import PathFitAdvisor

    with pytest.raises(CasekitError, match="Presets"):
        PathFitAdvisor("nope")                       # old: traitlets TraitError
    a = PathFitAdvisor()
    a.controls["capital"].value = "abc"
    assert a.profile["capital"] == 5 and "not a number" in a.last_problem
    a.controls["capital"].value = 2.5                # old: silently 2
    assert a.profile["capital"] == 5 and "whole number" in a.last_problem
    with pytest.raises(CasekitError, match="whole number"):
        sp.advise({**sp.default_profile(), "capital": 2.5})


# ----------------------------------------------------------------------------- 01 source-quality lens
def test_01_headings_follow_the_language():
    from casekit.landscape_widgets import SourceQualityLens

    lens = SourceQualityLens()
    lens.widget()
    casekit.set_language("zh")                     # old: "Source types / Show / Sort by" stayed English
    # each control's own label (shown above it), not a heading beside it
    texts = [w.description for w in (lens.source_types, lens.traceable, lens.sort_by)]
    assert texts == ["来源类型", "显示", "排序"]
    casekit.set_language("en")
    assert [w.description for w in (lens.source_types, lens.traceable, lens.sort_by)] == ["Source types", "Show", "Sort by"]


def test_01_side_by_side_names_topics_in_one_header_row():
    from casekit.landscape_widgets import SourceQualityLens

    lens = SourceQualityLens(view="side_by_side")
    html = lens.table.value
    assert "little_giant_count" not in html and "innovation_output_share" not in html   # old: raw ids
    assert "number of &#x27;little giant&#x27; firms" in html or "number of 'little giant' firms" in html
    assert html.count("<tr") == 1 + len(lens.pairs)                     # old: a second, empty header row
    casekit.set_language("zh")
    assert "“小巨人”企业数量" in lens.table.value and "主题" in lens.table.value


def test_01_sort_by_value_keeps_units_apart():
    from casekit.landscape_widgets import SourceQualityLens

    lens = SourceQualityLens(sort_by="value")
    units = lens.result["unit"].tolist()
    # old: one ranking over firms, % and years (2.1 % next to 2 times next to 3rd rank)
    assert all(units[i] == units[i + 1] or units[i + 1] not in units[:i + 1] for i in range(len(units) - 1))
    for _u, part in lens.result.groupby("unit"):
        assert part["value"].is_monotonic_increasing
    assert "within each unit" in lens.table.value and "within each unit" in dict(
        (v, k) for k, v in lens.sort_by.options)["value"]


def test_01_multi_select_has_a_bilingual_hint():
    from casekit.landscape_widgets import SourceQualityLens

    lens = SourceQualityLens()
    box = lens.widget()
    assert "Ctrl-click" in lens.hint.value and "⌘" in lens.hint.value
    head = next(c for c in box.children if hasattr(c, "children") and c.children)
    assert lens.hint in head.children[0].children
    casekit.set_language("zh")
    assert "Ctrl" in lens.hint.value and "多选" in lens.hint.value


def test_01_bad_values_are_one_line():
    from casekit import CasekitError, landscape
    from casekit.landscape_widgets import SourceQualityLens

    lens = SourceQualityLens()
    lens.sort_by.value = "nope"                      # old: TraitError
    assert lens.sort_by.value == "source_type" and "nope" in lens.last_problem
    lens.source_types.value = ("blog",)
    assert "blog" in lens.last_problem
    with pytest.raises(CasekitError):
        landscape.claims(source_types=5)             # old: TypeError
    with pytest.raises(CasekitError, match="srdi_statistics"):
        landscape.source_quality_summary(casekit.load_dataset("stages"))   # old: KeyError
