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
    assert cost.value_labels["innovation_fixed_cost"].value == "<b>300</b>"
    assert cost.value_labels["variable_cost_saving"].value == "<b>0.4</b>"
    cost.controls["variable_cost_saving"].value = 0.45
    assert cost.value_labels["variable_cost_saving"].value == "<b>0.45</b>"
    assert cost.value_labels["output_range"].value == "<b>1–200</b>"
    assert all(lab.layout.width == "80px" for lab in cost.value_labels.values())


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
