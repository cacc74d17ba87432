"""Issue 26: the cross-field rules of a firm's case file (collaboration.load_case), as properties.

Hypothesis builds valid cases (1 to 5 stages in time order, some sharing a boundary year as
Zhongtu's stages 1 and 2 share 2016 in source 000; catalogue activities and the case's own; with or
without ``order`` numbers and a founding date). Every valid case loads. Breaking one rule (stages
shuffled, a real overlap, a stage id or an activity id used twice, an own activity taking a catalogue
id, a founding date after the first stage or with no such month, order numbers out of step, a key
given twice in the YAML text) is refused with a CasekitError that names the field. The real cases load.
"""
from __future__ import annotations

import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import pytest

from casekit import CasekitError
from casekit import collaboration as co

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
STAGE_IDS = ["seed", "launch", "expansion", "focus", "leadership", "renewal", "consolidation"]
NAMES = [("起步", "start-up"), ("成长", "growth"), ("拓展", "expansion"), ("聚焦", "focus"), ("引领", "leadership")]


def _catalogue_ids(kind: str) -> list[str]:
    return sorted(o.id for o in co.catalog().of_kind(kind))


@st.composite
def stage_years(draw, n: int) -> list[tuple[int, int]]:
    """``n`` (start, end) pairs in time order: each stage ends in or after its start; the next starts
    the year after, or shares the boundary year (only after a stage of more than one year, so no two
    stages have the same years)."""
    year = draw(st.integers(1950, 2000))
    out = []
    for _ in range(n):
        length = draw(st.integers(0, 8))
        end = year + length
        out.append((year, end))
        shared = length > 0 and draw(st.booleans())
        year = end if shared else end + 1
    return out


@st.composite
def valid_cases(draw) -> dict:
    n = draw(st.integers(1, 5))
    years = draw(stage_years(n))
    ids = draw(st.lists(st.sampled_from(STAGE_IDS), min_size=n, max_size=n, unique=True))
    own = draw(st.lists(st.sampled_from(["own_lab", "own_fair", "own_pilot"]), max_size=2, unique=True))
    activities = [{"id": a, "side": "rd" if a != "own_fair" else "marketing", "level": 1,
                   "name_zh": "自有活动", "name_en": f"own activity {a}"} for a in own]
    rd = _catalogue_ids("rd") + [a["id"] for a in activities if a["side"] == "rd"]
    mk = _catalogue_ids("marketing") + [a["id"] for a in activities if a["side"] == "marketing"]
    numbered = draw(st.booleans())
    stages = []
    for k, ((start, end), sid) in enumerate(zip(years, ids), 1):
        zh, en = NAMES[(k - 1) % len(NAMES)]
        stage = {"stage": sid, "name_zh": zh, "name_en": en, "start_year": start, "end_year": end,
                 "rd_activity": draw(st.sampled_from(rd)), "marketing_activity": draw(st.sampled_from(mk)),
                 "interaction": draw(st.sampled_from(_catalogue_ids("interaction")))}
        if numbered:
            stage["order"] = k
        stages.append(stage)
    case = {"firm": "ridgeway", "name_zh": "岭道传感", "name_en": "Ridgeway Sensors (illustrative)",
            "business_model": "customer_relationship", "collaboration_mode": "market_oriented",
            "founder_background": "sales", "stages": stages}
    if activities:
        case["activities"] = activities
    founded = draw(st.one_of(st.none(), st.integers(1900, years[0][0])))
    if founded is not None:
        month = draw(st.one_of(st.none(), st.integers(1, 12)))
        case["founded"] = f"{founded}" if month is None else f"{founded}-{month:02d}"
    return case


def _refused(case, *fields: str) -> str:
    with pytest.raises(CasekitError) as info:
        co.load_case(case)
    msg = str(info.value)
    for f in fields:
        assert f in msg, f"the message does not name {f}: {msg}"
    return msg


@SETTINGS
@given(valid_cases())
def test_every_valid_case_loads(case):
    loaded = co.load_case(case)
    assert [s.stage for s in loaded.stages] == [s["stage"] for s in case["stages"]]
    assert co.load_case(yaml.safe_dump(case, allow_unicode=True, sort_keys=False)) == loaded


@SETTINGS
@given(valid_cases(), st.randoms(use_true_random=False))
def test_shuffled_stages_are_refused(case, rnd):
    n = len(case["stages"])
    assume(n >= 2)
    order = list(range(n))
    while order == list(range(n)):
        rnd.shuffle(order)
    case["stages"] = [case["stages"][i] for i in order]
    _refused(case, "stages.", "start_year")


@SETTINGS
@given(valid_cases(), st.data())
def test_a_real_overlap_is_refused_and_a_shared_boundary_year_is_not(case, data):
    stages = case["stages"]
    assume(len(stages) >= 2)
    i = data.draw(st.integers(1, len(stages) - 1))
    prev, cur = stages[i - 1], stages[i]
    assume(prev["end_year"] > prev["start_year"])
    shared = dict(case, stages=[dict(s) for s in stages])
    shared["stages"][i]["start_year"] = prev["end_year"]
    assert len(co.load_case(shared).stages) == len(stages)       # a boundary year, as Zhongtu's 2016
    start = data.draw(st.integers(prev["start_year"], prev["end_year"] - 1))
    cur["start_year"] = start
    _refused(case, f"stages.{i}.start_year", "overlap")


@SETTINGS
@given(valid_cases(), st.data())
def test_a_stage_id_used_twice_is_refused(case, data):
    stages = case["stages"]
    assume(len(stages) >= 2)
    i, j = data.draw(st.lists(st.integers(0, len(stages) - 1), min_size=2, max_size=2, unique=True))
    stages[max(i, j)]["stage"] = stages[min(i, j)]["stage"]
    _refused(case, f"stages.{max(i, j)}.stage")


@SETTINGS
@given(valid_cases(), st.integers(1, 60), st.integers(1, 12))
def test_founded_after_the_first_stage_is_refused(case, later, month):
    case["founded"] = f"{case['stages'][0]['start_year'] + later}-{month:02d}"
    assume(case["stages"][0]["start_year"] + later <= 2100)
    _refused(case, "founded", "first stage")


@SETTINGS
@given(valid_cases(), st.integers(13, 99) | st.just(0))
def test_a_month_that_does_not_exist_is_refused(case, month):
    case["founded"] = f"{case['stages'][0]['start_year']}-{month:02d}"
    _refused(case, "founded", "month")


@SETTINGS
@given(valid_cases(), st.sampled_from(["rd", "marketing", "interaction", "capability"]), st.data())
def test_own_activities_take_new_ids_once_each(case, kind, data):
    cat_id = data.draw(st.sampled_from(_catalogue_ids(kind)))
    own = {"id": "own_probe", "side": "rd", "level": 1, "name_zh": "自有活动", "name_en": "own probe"}
    twice = dict(case, activities=case.get("activities", []) + [own, dict(own)])
    _refused(twice, "activities.", "declared twice")
    clash = dict(case, activities=case.get("activities", []) + [dict(own, id=cat_id)])
    _refused(clash, "activities.", f"'{cat_id}'", "catalogue")


@SETTINGS
@given(valid_cases(), st.data())
def test_order_numbers_out_of_step_are_refused(case, data):
    stages = case["stages"]
    i = data.draw(st.integers(0, len(stages) - 1))
    wrong = data.draw(st.integers(1, 20).filter(lambda o: o != i + 1))
    for k, s in enumerate(stages, 1):
        s["order"] = k
    stages[i]["order"] = wrong
    _refused(case, "order")


@SETTINGS
@given(valid_cases(), st.sampled_from(["firm", "name_en", "business_model", "stages"]))
def test_a_key_given_twice_in_the_text_is_refused_with_its_lines(case, key):
    text = yaml.safe_dump(case, allow_unicode=True, sort_keys=False)
    again = yaml.safe_dump({key: case[key]}, allow_unicode=True, sort_keys=False)
    msg = _refused(text + again, f"'{key}'", "twice", "lines")
    first = text.splitlines().index(next(x for x in text.splitlines() if x.startswith(f"{key}:"))) + 1
    assert f"lines {first} and {len(text.splitlines()) + 1}" in msg


@pytest.mark.parametrize("firm", ["keda", "zhongtu"])
def test_the_real_cases_load(firm):
    path = co.CASES_DIR / f"{firm}.yaml"
    case = co.load_case(path)
    assert case == co.actual_case(firm) and len(case.stages) == 3
    assert co.load_case(yaml.safe_load(path.read_text(encoding="utf-8"))) == case


def test_zhongtus_shared_year_is_the_one_the_source_prints():
    """Source 000 §4.2: stage 1 runs 1996–2016 and stage 2 2016–2018; the file keeps the shared year."""
    z = co.actual_case("zhongtu")
    assert (z.stages[0].end_year, z.stages[1].start_year) == (2016, 2016)
