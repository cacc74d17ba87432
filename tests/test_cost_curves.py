"""The unit-4 cost model: hand-worked values, the source's relations (003 §3.1.1), properties."""
import math

import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st

import casekit
from casekit import CasekitError
from casekit.cost_curves import (
    CostScenario, average_cost, average_fixed_cost, average_variable_cost, crossover_outputs,
    learning_curve, learning_exponent, learning_factor, minimum_average_cost,
)


# ------------------------------------------------------------------ hand-worked values
def test_default_key_points_by_hand():
    # F0 = 100, dF = 300, v = 20, s = 0.4, c = 0.04:
    # Q0 = sqrt(100/0.04) = 50, C0 = 20 + 2*sqrt(4) = 24; Q1 = sqrt(400/0.04) = 100,
    # C1 = 12 + 2*sqrt(16) = 20; crossover: 300/q = 20*0.4 = 8  ->  q = 37.5
    kp = CostScenario().key_points()
    assert kp.Q0 == pytest.approx(50) and kp.C0 == pytest.approx(24)
    assert kp.Q1 == pytest.approx(100) and kp.C1 == pytest.approx(20)
    assert kp.crossovers == pytest.approx((37.5,)) and kp.crossover == pytest.approx(37.5)
    assert kp.payoff == "beyond_crossover"
    assert "analytic" in kp.method


def test_curve_values_by_hand():
    df = CostScenario().curves([50, 100])
    # q = 50: A0C = 2 + 20 + 2 = 24, A1C = 8 + 12 + 2 = 22;  q = 100: A0C = 1 + 24 = 25, A1C = 4 + 16 = 20
    assert df["A0C"].tolist() == pytest.approx([24, 25])
    assert df["A1C"].tolist() == pytest.approx([22, 20])
    assert df["A1FC"].tolist() == pytest.approx([8, 4])
    assert float(average_cost(37.5, 400, 12, 0.04)) == pytest.approx(float(average_cost(37.5, 100, 20, 0.04)))


def test_quadratic_crossover_by_hand():
    # dc q^2 - dv q + dF = 0 with dF = 300, dv = 8, dc = 0.04: roots 50 and 150 (sum 200, product 7500)
    assert crossover_outputs(300, 8, 0.04) == pytest.approx((50, 150))
    sc = CostScenario(congestion_after=0.08)
    assert sc.key_points().crossovers == pytest.approx((50, 150)) and sc.key_points().payoff == "band"
    # faster-falling congestion after innovating: one positive root, cheaper beyond it
    sc = CostScenario(congestion_after=0.02)
    (q,) = sc.key_points().crossovers
    assert sc.key_points().payoff == "beyond_crossover"
    assert float(sc.cost_difference(q)) == pytest.approx(0, abs=1e-9)


def test_learning_by_hand():
    assert learning_exponent(0.2) == pytest.approx(math.log2(1 / 0.8))
    assert learning_factor([100, 200, 400, 800], 0.2, 100) == pytest.approx([1, 0.8, 0.64, 0.512])
    assert learning_factor(300, 0.0, 100) == pytest.approx(1.0)  # no learning: flat
    sc = CostScenario().with_learning(400)
    assert sc.base_variable_cost_after == pytest.approx(12 * 0.64)
    kp = sc.key_points()
    assert kp.Q1 == pytest.approx(100)                      # learning moves C1, not Q1
    assert kp.C1 == pytest.approx(7.68 + 8)
    assert kp.crossover == pytest.approx(300 / (20 - 7.68))  # crossover moves left
    lc = learning_curve(CostScenario(), doublings=3, n=4)
    assert lc["unit_variable_cost"].tolist() == pytest.approx([12, 9.6, 7.68, 6.144])


# ------------------------------------------------------------------ the source's relations
def test_default_reproduces_every_relation_of_003():
    sc = CostScenario()
    rel = {r.id: r.holds for r in sc.relations()}
    assert rel == {"fixed_cost_higher": True, "variable_cost_lower": True, "afc_converge": True,
                   "c1_below_c0": True, "q1_beyond_q0": True, "crossover": True}
    assert sc.flags() == []
    df = sc.curves()
    assert (df["A1FC"] > df["A0FC"]).all() and (df["A1VC"] < df["A0VC"]).all()
    gap = (df["A1FC"] - df["A0FC"]).to_numpy()
    assert (np.diff(gap) < 0).all() and gap[-1] < 0.02 * gap[0]          # AFC curves converge
    cheaper = (df["A1C"] < df["A0C"]).to_numpy()
    q = df["q"].to_numpy()
    assert not cheaper[q < 37.5].any() and cheaper[q > 37.5].all()      # dearer below, cheaper beyond


def test_defaults_come_from_the_dataset():
    sc = casekit.load_dataset("cost_scenario").set_index("parameter")["value"]
    default = CostScenario()
    for name, value in sc.items():
        assert getattr(default, name) == pytest.approx(float(value))


def test_no_saving_never_pays_and_says_why():
    sc = CostScenario(variable_cost_saving=0)
    assert sc.key_points().payoff == "never" and sc.key_points().crossover is None
    ids = [f.id for f in sc.flags()]
    assert "never_pays" in ids and "c1_not_below_c0" in ids
    assert "why" in next(f for f in sc.flags() if f.id == "never_pays").message
    casekit.set_language("zh")
    assert "为什么" in next(f for f in sc.flags() if f.id == "never_pays").message


def test_free_innovation_is_flagged():
    sc = CostScenario(innovation_fixed_cost=0)
    assert sc.key_points().payoff in ("always", "beyond_crossover")  # crossover at q ~ 1e-67
    ids = [f.id for f in sc.flags()]
    assert "no_extra_fixed_cost" in ids and "q1_not_beyond_q0" in ids


def test_crossover_outside_range_flagged():
    sc = CostScenario(innovation_fixed_cost=2000, variable_cost_saving=0.05)   # 2000 / 1 = 2000
    assert sc.key_points().crossover == pytest.approx(2000)
    assert "crossover_beyond_range" in [f.id for f in sc.flags()]


def test_repr_is_readable_and_labelled_illustrative():
    text = repr(CostScenario())
    assert "illustrative" in text and "Q0 = 50" in text and "C1 = 20" in text and "37.5" in text
    casekit.set_language("zh")
    assert "示意" in repr(CostScenario())


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("field,value,words", [
    ("fixed_cost_before", 0, "positive fixed cost"),
    ("fixed_cost_before", -5, "positive fixed cost"),
    ("innovation_fixed_cost", -1, "zero or a positive"),
    ("variable_cost_saving", 1.0, "share from 0"),
    ("variable_cost_saving", -0.1, "share from 0"),
    ("learning_rate", 1.5, "learning curve"),
    ("congestion_before", 0, "no minimum"),
    ("output_min", float("nan"), "positive output"),
    ("variable_cost_before", "20", "must be a number"),
    ("learning_rate", True, "must be a number"),
])
def test_invalid_parameters_rejected_with_message(field, value, words):
    with pytest.raises(CasekitError) as err:
        CostScenario(**{field: value})
    assert field in str(err.value) and words in str(err.value)


def test_other_bad_input():
    with pytest.raises(CasekitError, match="output_min .* must be below output_max"):
        CostScenario(output_min=300, output_max=200)
    with pytest.raises(CasekitError, match="Unknown parameter"):
        CostScenario().replace(fixed_cost=5)
    with pytest.raises(CasekitError, match="positive"):
        average_fixed_cost([0, 1], 100)
    with pytest.raises(CasekitError, match="Cumulative output"):
        learning_factor(-3, 0.2, 100)
    with pytest.raises(CasekitError, match="doublings"):
        learning_curve(doublings=0)


# ------------------------------------------------------------------ properties
pos = st.floats(0.5, 2000, allow_nan=False)
scenarios = st.builds(
    CostScenario,
    # zero, or an economically visible extra cost (a 1e-300 cost puts a root at q ~ 1e-300)
    fixed_cost_before=pos, innovation_fixed_cost=st.one_of(st.just(0.0), st.floats(1e-6, 2000)),
    variable_cost_before=st.floats(0.5, 200), variable_cost_saving=st.floats(0, 0.95),
    congestion_before=st.floats(0.001, 1), congestion_after=st.floats(0.001, 1),
    learning_rate=st.floats(0, 0.6), cumulative_output=st.floats(1, 10000),
)


@settings(max_examples=150, deadline=None)
@given(scenarios)
def test_ac_above_avc_and_afc_strictly_falling(sc):
    df = sc.curves()
    assert (df["A0C"] >= df["A0VC"]).all() and (df["A1C"] >= df["A1VC"]).all()
    assert (np.diff(df["A0FC"]) < 0).all() and (np.diff(df["A1FC"]) < 0).all()
    assert np.allclose(df["A1C"], df["A1FC"] + df["A1VC"])


@settings(max_examples=150, deadline=None)
@given(scenarios)
def test_key_points_consistent_with_the_curves(sc):
    kp = sc.key_points()
    for Q, C, F, v, c in [(kp.Q0, kp.C0, sc.fixed_cost_before, sc.variable_cost_before, sc.congestion_before),
                          (kp.Q1, kp.C1, sc.fixed_cost_after, sc.base_variable_cost_after, sc.congestion_after)]:
        assert float(average_cost(Q, F, v, c)) == pytest.approx(C, rel=1e-9)
        # the minimum: no output nearby or on a wide grid does better
        grid = np.geomspace(Q / 50, Q * 50, 2001)
        assert (average_cost(grid, F, v, c) >= C - 1e-9 * max(1, C)).all()
    for q in kp.crossovers:
        a1 = float(average_cost(q, sc.fixed_cost_after, sc.base_variable_cost_after, sc.congestion_after))
        assert float(sc.cost_difference(q)) == pytest.approx(0, abs=1e-7 * a1)


@settings(max_examples=150, deadline=None)
@given(scenarios)
def test_payoff_label_matches_sign_of_cost_difference(sc):
    kp = sc.key_points()
    edges = [0.0, *kp.crossovers, math.inf]
    signs = []
    for lo, hi in zip(edges, edges[1:]):
        if lo == 0:
            mid = 1.0 if hi == math.inf else hi / 2
        else:
            mid = lo * 2 if hi == math.inf else math.sqrt(lo * hi)
        d = float(sc.cost_difference(mid))
        assume(abs(d) > 1e-9)
        signs.append(d < 0)          # True: innovating firm cheaper in that interval
    expected = {
        (False, True): "beyond_crossover", (True, False): "below_crossover",
        (False, True, False): "band", (True,): "always", (False,): "never",
    }
    if kp.payoff != "identical":
        assert expected[tuple(signs)] == kp.payoff
    # the source's crossover relation and the payoff label agree
    assert ({r.id: r.holds for r in sc.relations()}["crossover"]) == (kp.payoff == "beyond_crossover")


@settings(max_examples=100, deadline=None)
@given(st.floats(0.01, 0.6), st.floats(1, 1000), st.floats(1.01, 1e5))
def test_learning_is_monotone_and_one_doubling_removes_the_rate(rate, n0, ratio):
    f = learning_factor([n0, n0 * ratio, 2 * n0], rate, n0)
    assert f[0] == pytest.approx(1) and f[1] < 1
    assert f[2] == pytest.approx(1 - rate)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["fixed_cost_before", "variable_cost_before", "congestion_before",
                        "reference_cumulative_output", "output_min"]),
       st.one_of(st.floats(max_value=0), st.just(float("inf")), st.just(float("nan"))))
def test_nonpositive_or_nonfinite_always_rejected(field, value):
    with pytest.raises(CasekitError, match=field):
        CostScenario(**{field: value})


def test_payoff_with_a_vanishing_fixed_cost_rise():
    """Found by hypothesis: a fixed-cost rise of 1e-133 and a gentler congestion is 'always' cheaper."""
    from casekit.cost_curves import CostScenario

    sc = CostScenario(fixed_cost_before=1.0, innovation_fixed_cost=4.2417910776663105e-133,
                      variable_cost_before=1.0, variable_cost_saving=0.0, congestion_before=1.0,
                      congestion_after=0.5, learning_rate=0.0, cumulative_output=1.0)
    assert sc.key_points().payoff in ("always", "beyond_crossover")  # crossover at q ~ 1e-67
    assert float(sc.cost_difference(1.0)) < 0
