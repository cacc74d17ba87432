"""Unit 4 plots and the Figure 2 diagram: drawn from the model/data, both languages, updatable."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest

import casekit
from casekit import CasekitError
from casekit.cost_curves import CostScenario
from casekit.cost_curves_plots import knowledge_integration_diagram, plot_cost_curves, plot_learning_curve


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_figure1_curves_and_key_points_come_from_the_model():
    p = plot_cost_curves()
    x, y = p.points["C0"].get_data()
    assert (x[0], y[0]) == pytest.approx((50, 24))
    x, y = p.points["C1"].get_data()
    assert (x[0], y[0]) == pytest.approx((100, 20))
    assert p.crossover_lines[0].get_xdata()[0] == pytest.approx(37.5)
    assert np.isnan(p.crossover_lines[1].get_xdata()[0])           # only one crossover
    q, a1c = p.lines["A1C"].get_data()
    assert a1c == pytest.approx(CostScenario().curves(q)["A1C"].to_numpy())
    assert "illustrative" in p.note.get_text()


def test_update_moves_artists_without_new_figure_or_axes():
    p = plot_cost_curves()
    fig, ax, line = p.figure, p.ax, p.lines["A1C"]
    n_lines = len(ax.lines)
    p.update(CostScenario(congestion_after=0.08))
    assert p.figure is fig and p.ax is ax and p.lines["A1C"] is line and len(ax.lines) == n_lines
    assert [ln.get_xdata()[0] for ln in p.crossover_lines] == pytest.approx([50, 150])
    assert plt.get_fignums() == [fig.number]


def test_both_languages_and_no_missing_glyphs(recwarn):
    casekit.set_language("zh")
    p = plot_cost_curves()
    assert "创新" in p.ax.get_title() and "示意" in p.note.get_text()
    p.figure.canvas.draw()
    assert not [w for w in recwarn if "missing from font" in str(w.message)]
    casekit.set_language("en")
    p.relabel()
    assert "before" in p.ax.get_title()


def test_export_for_slides(tmp_path):
    for name, obj in (("fig1.svg", plot_cost_curves()), ("learning.png", plot_learning_curve())):
        out = casekit.save(obj, tmp_path / name)
        assert out.exists() and out.stat().st_size > 1000


def test_learning_plot_marks_current_cumulative_output():
    lp = plot_learning_curve(CostScenario(cumulative_output=400))
    x, y = lp.marker.get_data()
    assert (x[0], y[0]) == pytest.approx((400, 7.68))


def test_wrong_scenario_type_gets_message():
    with pytest.raises(CasekitError, match="Expected a CostScenario"):
        plot_cost_curves({"fixed_cost_before": 100})


def test_knowledge_integration_diagram_from_data_in_both_languages():
    g = knowledge_integration_diagram()
    assert "Tacit" in g.source and "style=dashed" in g.source
    casekit.set_language("zh")
    g = knowledge_integration_diagram()
    flat = g.source.replace("\n", "")   # labels are wrapped onto lines
    assert "隐含经验类知识" in flat and "人际接触" in flat
    edges = casekit.load_dataset("knowledge_integration_edges")
    assert g.source.count("->") == len(edges)
