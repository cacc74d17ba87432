"""The cost-curve explorer, headless: set a control's .value, read Python state (never Output)."""
import matplotlib

matplotlib.use("Agg")
import pytest

import casekit
from casekit import CasekitError
from casekit.cost_curves import CostScenario
from casekit.cost_curves_widgets import CostCurveExplorer, describe_change


@pytest.fixture
def ex():
    return CostCurveExplorer()


def test_default_state(ex):
    kp = ex.key_points
    assert (kp.Q0, kp.C0, kp.Q1, kp.C1, kp.crossover) == pytest.approx((50, 24, 100, 20, 37.5))
    assert ex.image.value[:2] == b"\xff\xd8"   # a JPEG frame
    assert "illustrative" in ex.readout.value and ex.flags == []


def test_fixed_cost_slider_moves_curves_and_points_without_rebuilding(ex):
    fig, ax, line = ex.figure, ex.cost_plot.ax, ex.cost_plot.lines["A1C"]
    frame = ex.image.value
    ex.controls["innovation_fixed_cost"].value = 500          # F1 = 600: Q1 = sqrt(600/0.04)
    assert ex.scenario.innovation_fixed_cost == 500
    assert ex.key_points.Q1 == pytest.approx(600 ** 0.5 / 0.2)
    assert ex.key_points.crossover == pytest.approx(500 / 8)
    x, _ = ex.cost_plot.points["C1"].get_data()
    assert x[0] == pytest.approx(ex.key_points.Q1)
    assert ex.figure is fig and ex.cost_plot.ax is ax and ex.cost_plot.lines["A1C"] is line
    assert ex.image.value != frame
    assert "A1FC rises" in ex.readout_text and "Q1" in ex.readout_text


def test_saving_slider_and_never_pays_flag(ex):
    ex.controls["variable_cost_saving"].value = 0.0
    assert ex.key_points.payoff == "never"
    assert "never_pays" in [f.id for f in ex.flags]
    assert "never pays off" in ex.readout.value


def test_learning_rate_bites_once_output_accumulates(ex):
    ex.controls["learning_rate"].value = 0.3
    assert ex.scenario.base_variable_cost_after == pytest.approx(12)     # no learning at N = N0
    ex.controls["cumulative_output"].value = 200                       # one doubling
    assert ex.scenario.base_variable_cost_after == pytest.approx(12 * 0.7)
    x, y = ex.learning_plot.marker.get_data()
    assert (x[0], y[0]) == pytest.approx((200, 8.4))
    assert "A1VC shifts" in ex.readout_text


def test_output_range_and_reset(ex):
    ex.controls["output_range"].value = (10, 150)
    assert (ex.scenario.output_min, ex.scenario.output_max) == (10, 150)
    assert ex.cost_plot.ax.get_xlim() == pytest.approx((10, 150))
    ex.set(innovation_fixed_cost=100, variable_cost_saving=0.1)
    assert ex.scenario.innovation_fixed_cost == 100 and ex.scenario.variable_cost_saving == pytest.approx(0.1)
    ex.reset_button.click()
    assert ex.scenario == CostScenario()
    assert ex.controls["variable_cost_saving"].value == pytest.approx(0.4)
    assert ex.key_points.crossover == pytest.approx(37.5)


def test_language_switch_relabels_controls_and_readout(ex):
    casekit.set_language("zh")
    assert "变动成本节约率" in ex.controls["variable_cost_saving"].description
    assert "示意性数字" in ex.readout.value
    assert ex.reset_button.description == "恢复默认情景"


def test_bad_input_messages(ex):
    with pytest.raises(CasekitError, match="No slider called"):
        ex.set(fixed_cost=3)
    with pytest.raises(CasekitError, match="CostScenario"):
        CostCurveExplorer({"x": 1})


def test_describe_change_names_what_moved():
    text = describe_change(CostScenario(), CostScenario(variable_cost_saving=0.3))
    assert "0.4 → 0.3" in text and "37.5" in text and "50" in text
