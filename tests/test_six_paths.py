"""The six-paths model and the path-fit advisor: hand-worked scores, source facts, properties."""
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import casekit
from casekit import six_paths as sp
from casekit.errors import CasekitError


@pytest.fixture(autouse=True)
def english():
    casekit.set_language("en")
    yield
    casekit.set_language("en")


# ---------------------------------------------------------------- hand-worked scores
def test_haier_refrigerator_absorption_by_hand():
    # foreign tech 9/10*3 + capability 2/10*1 + (1 - 1/10)*1 + (not a key field)*1 = 4.8 of 6
    fit = sp.advise(sp.preset("haier_refrigerator")).fit_of("absorption")
    assert fit.fit == pytest.approx(80.0)
    assert not fit.capped


def test_hisense_chip_original_by_hand():
    # rd 8/10*3 + barrier 8/10*2 + (1-2/10)*2 + (1-8/10)*1 + capability 6/10*1 = 6.4 of 9
    fit = sp.advise(sp.preset("hisense_chip")).fit_of("original")
    assert fit.fit == pytest.approx(6.4 / 9 * 100)


def test_gate_caps_a_path_and_names_the_missing_prerequisite():
    advice = sp.advise(sp.preset("haier_refrigerator"))
    orig = advice.fit_of("original")                       # R&D resources 1 of 10: s = 0.1 < 0.3
    assert orig.capped and orig.fit <= sp.GATE_CAP
    assert [r.factor for r in orig.missing_prerequisites] == ["rd_resources"]
    assert orig.reasons_against[0].factor == "rd_resources"  # the missing prerequisite comes first


def test_two_partner_firms_are_enough():
    # 004 §3.4: "two or more" large firms; saturation 2 means a third adds nothing
    p = sp.preset("aucma")
    fits = []
    for n in (0, 1, 2, 3, 20):
        p["cluster_partner_firms"] = n
        fits.append(sp.advise(p).fit_of("large_firm_cooperation").fit)
    assert fits[0] <= sp.GATE_CAP
    assert fits[1] < fits[2] == fits[3] == fits[4]


def test_coordination_platform_lifts_large_firm_cooperation():
    # 004 §5.1: the countermeasure for the missing path is a coordination mechanism
    p = sp.preset("haier_tv")
    before = sp.advise(p).fit_of("large_firm_cooperation").fit
    p["coordination_platform"] = True
    after = sp.advise(p)
    assert after.fit_of("large_firm_cooperation").fit == pytest.approx(before + 2 / 6 * 100)


# ---------------------------------------------------------------- presets against the source
@pytest.mark.parametrize("name", ["haier_refrigerator", "haier_tv", "hisense_inverter", "hisense_chip"])
def test_qingdao_presets_reproduce_the_path_taken(name):
    info = sp.preset_info(name)
    assert sp.advise(sp.preset(name)).top.path in info["paths_taken"]


def test_source_facts_through_the_model():
    m = sp.adoption_matrix()
    assert m.loc["hisense", "original"] == "2001, 2005"
    assert m.loc["hisense", "absorption"] == "1996, 1997, ≤2009"
    assert m.loc["haier", "absorption"] == "~1989"
    assert m.loc["haier", "transnational_alliance"] == "≤2009"
    assert (m.loc["aucma"] == "").all()
    assert list(m.columns) == list(sp.PATHS)
    counts = sp.adoption_matrix("count")
    used = set(counts.columns[counts.sum() > 0])
    assert used == {"original", "absorption", "transnational_alliance"}
    assert counts.values.sum() == len(sp.events())


def test_describe_path_card():
    card = sp.describe_path("gov_industry_university_research")
    text = repr(card)
    assert "§3.3" in text and "none in the source" in text
    assert len(card.measures) == 6
    assert len(sp.describe_path("original").measures) == 0
    casekit.set_language("zh")
    assert "原文没有" in repr(card)


def test_little_giant_ties_to_keda_zhongtu():
    names = {f["firm"] for f in sp.little_giant_firms()}
    assert {"keda", "zhongtu"} <= names
    assert "000" in sp.preset_info("little_giant")["cite"]


def test_language_switch():
    advice = sp.advise(sp.preset("haier_tv"))
    assert advice.top.name == "Innovation based on a transnational technology alliance"
    casekit.set_language("zh")
    assert advice.top.name == "基于跨国技术联盟的自主创新"
    assert "适配" in repr(advice)
    assert "路径" in advice.table().columns


# ---------------------------------------------------------------- friendly errors
@pytest.mark.parametrize("change, words", [
    ({"rd_resources": 11}, ["rd_resources", "out of range", "0 to 10"]),
    ({"rd_resources": -1}, ["out of range"]),
    ({"capital": "high"}, ["capital", "not a number"]),
    ({"capital": float("nan")}, ["NaN"]),
    ({"capital": True}, ["not a number"]),
    ({"key_national_field": "yes"}, ["True or False"]),
    ({"cluster_partner_firms": 21}, ["0 to 20"]),
    ({"rd_resource": 3}, ["Unknown", "did you mean 'rd_resources'"]),
])
def test_bad_profiles_get_messages(change, words):
    p = sp.default_profile()
    p.update(change)
    with pytest.raises(CasekitError) as err:
        sp.advise(p)
    for w in words:
        assert w in str(err.value)


def test_incomplete_profile():
    with pytest.raises(CasekitError, match="incomplete: 14 field"):
        sp.advise({"capital": 3})
    advice = sp.advise({"capital": 3}, fill_defaults=True)
    assert advice.profile["capital"] == 3 and "capital" not in advice.filled and len(advice.filled) == 14
    with pytest.raises(CasekitError, match="dict"):
        sp.advise([1, 2, 3])


def test_unknown_names():
    with pytest.raises(CasekitError, match="haier_tv"):
        sp.preset("haier_t")
    with pytest.raises(CasekitError, match="six paths"):
        sp.describe_path("orignal")
    with pytest.raises(CasekitError, match="kind='count'"):
        sp.adoption_matrix("bars")


def test_preset_is_a_copy():
    p = sp.preset("aucma")
    p["capital"] = 10
    assert sp.preset("aucma")["capital"] != 10


# ---------------------------------------------------------------- properties over random profiles
def _profiles():
    fields = {}
    for f in sp.factors().itertuples():
        if f.kind == "bool":
            fields[f.factor] = st.booleans()
        else:
            # whole numbers (as int or as an integral float); a fraction such as 2.5 is refused (issue 16)
            fields[f.factor] = st.one_of(st.integers(int(f.min), int(f.max)),
                                         st.integers(int(f.min), int(f.max)).map(float))
    return st.fixed_dictionaries(fields)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_profiles())
def test_always_a_full_ranking(profile):
    advice = sp.advise(profile)
    assert sorted(f.path for f in advice.ranking) == sorted(sp.PATHS)
    assert [f.rank for f in advice.ranking] == [1, 2, 3, 4, 5, 6]
    fits = [f.fit for f in advice.ranking]
    assert fits == sorted(fits, reverse=True)
    for f in advice.ranking:
        assert 0 <= f.fit <= 100 and not math.isnan(f.fit)
        if f.missing_prerequisites:
            assert f.fit <= sp.GATE_CAP
        assert all(r.satisfaction >= sp.FOR_THRESHOLD for r in f.reasons_for)
        assert all(r.satisfaction <= sp.AGAINST_THRESHOLD for r in f.reasons_against)


@settings(max_examples=200, deadline=None)
@given(_profiles(), st.sampled_from(sp.PATHS), st.data())
def test_more_of_a_favourable_condition_never_hurts(profile, path, data):
    weights = casekit.load_dataset("advisor_weights")
    rows = weights[weights["path"] == path]
    row = rows.iloc[data.draw(st.integers(0, len(rows) - 1))]
    f = sp.factors().set_index("factor").loc[row["factor"]]
    before = sp.advise(profile).fit_of(path).fit
    changed = dict(profile)
    if f["kind"] == "bool":
        changed[row["factor"]] = row["direction"] == "high"
    else:
        changed[row["factor"]] = int(f["max"]) if row["direction"] == "high" else int(f["min"])
    assert sp.advise(changed).fit_of(path).fit >= before - 1e-9


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(sp.factor_names() + ["bogus"]),
                       st.one_of(st.integers(-50, 50), st.floats(allow_nan=True), st.text(max_size=3),
                                 st.none(), st.booleans())))
def test_any_input_gives_advice_or_a_message(profile):
    try:
        advice = sp.advise(profile, fill_defaults=True)
    except CasekitError:
        return
    assert len(advice.ranking) == 6
