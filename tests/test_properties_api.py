"""Issue 16: property tests over the arguments of every public function (each module's ``__all__``).

Whatever hypothesis passes (None, booleans, huge and non-finite numbers, control characters, bytes,
nested lists and dicts, DataFrames, casekit objects, valid values mixed in), a call either returns a
result with no inf/NaN in it or raises casekit.CasekitError with a short message; never another
exception, never a hang.
"""
from __future__ import annotations

import atexit
import functools
import importlib
import inspect
import math
import os
import shutil
import signal
import tempfile

import matplotlib

matplotlib.use("Agg")
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import casekit
from casekit import CasekitError

from test_malformed_inputs import BAD_NUMBER, _finite

pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")

MODULES = ["casekit", "casekit.datasets", "casekit.units", "casekit.collaboration", "casekit.collaboration_diagrams",
           "casekit.collaboration_widgets", "casekit.cost_curves", "casekit.cost_curves_plots",
           "casekit.cost_curves_widgets", "casekit.diagrams", "casekit.landscape", "casekit.landscape_diagrams",
           "casekit.landscape_widgets", "casekit.plotting", "casekit.six_paths", "casekit.six_paths_diagrams",
           "casekit.six_paths_widgets", "casekit.schemas", "casekit.i18n"]
# Not argument-taking API, or not about bad input: module setup and the language callback registry.
SKIP = {"casekit.i18n.on_language_change", "casekit.i18n.t", "casekit.schemas.validate_all",
        "casekit.schemas.check_cross_references", "casekit.plotting.inline_svg", "casekit.plotting.use_cjk_fonts"}
SLOW = {"timeline", "adoption_chart", "source_quality_chart", "explore", "path_fit_advisor", "source_quality_lens",
        "cost_curve_explorer", "knowledge_integration_diagram", "plot_cost_curves", "plot_learning_curve"}


def _functions():
    out = []
    for m in MODULES:
        mod = importlib.import_module(m)
        for n in mod.__all__:
            obj = getattr(mod, n)
            if inspect.isfunction(obj) and f"{m}.{n}" not in SKIP:
                out.append(pytest.param(obj, id=f"{m.removeprefix('casekit.')}.{n}"))
    return out


@functools.lru_cache(maxsize=1)
def _objects():
    from matplotlib.figure import Figure

    from casekit import collaboration as co, cost_curves as cc, diagrams

    keda = co.actual_case("keda")
    return [pd.DataFrame(), pd.DataFrame({0: [1.0], "x": [math.nan]}), casekit.load_dataset("stages"),
            cc.CostScenario(), keda, keda.skip(2), co.evaluate(keda.skip(2)), co.evaluate(None),
            diagrams.digraph("p"), Figure(), object(), float("nan"), float("inf"), 10 ** 400]


VALID = ["keda", "zhongtu", "stages", "firms", "value", "peer_reviewed", "vendor_blog", "original", "haier_tv",
         "en", "zh", "rd", "marketing", "years", "chain_fusion", "refined", "xcmg", "000", "capital",
         "little_giant_count_2023_000", "lab_research", "fig.svg", "fig.png", "g.dot", "\x00", "\u202e", "\ufeff",
         "x" * 2000]
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10 ** 12, 10 ** 12), st.sampled_from([0, 1, 2, 3, 5, 400, 2018, 10 ** 10]),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12), st.sampled_from(VALID),
    st.binary(max_size=8))
junk = st.one_of(
    st.recursive(scalars, lambda c: st.one_of(st.lists(c, max_size=4), st.tuples(c, c),
                                              st.dictionaries(st.text(max_size=6) | st.sampled_from(VALID), c,
                                                              max_size=3)),
                 max_leaves=6),
    st.sampled_from(range(14)).map(lambda i: _objects()[i]))


class _Timeout(Exception):
    pass


def _alarm(_s, _f):
    raise _Timeout()


def _call(fn, args, kwargs):
    cwd = os.getcwd()
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(10)
    try:
        os.chdir(_TMP)                      # save() with a generated relative path writes here
        return fn(*args, **kwargs), None
    except CasekitError as exc:
        return None, exc
    except _Timeout:
        pytest.fail(f"{fn.__name__}{args!r:.200} {kwargs!r:.200}: no answer within 10 s")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
        os.chdir(cwd)
        casekit.set_language("en")
        import matplotlib.pyplot as plt

        plt.close("all")


_TMP = tempfile.mkdtemp(prefix="casekit-props-")
atexit.register(shutil.rmtree, _TMP, ignore_errors=True)


@pytest.mark.timeout(300, method="thread")
@pytest.mark.parametrize("fn", _functions())
def test_any_arguments_give_a_result_or_a_casekit_error(fn):
    params = [p for p in inspect.signature(fn).parameters.values()
              if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    names = [p.name for p in params]
    n = 4 if fn.__name__ in SLOW else 15

    @settings(max_examples=n, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(st.lists(junk, max_size=len(params) + 1), st.dictionaries(st.sampled_from(names or ["bogus"]), junk,
                                                                       max_size=2))
    def check(args, kwargs):
        kwargs = {k: v for k, v in kwargs.items() if k not in names[:len(args)]}
        result, error = _call(fn, args, kwargs)
        if error is not None:
            msg = str(error)
            # a case-file report lists each problem (at most 12, each on its own short line)
            limit = 2500 if fn.__name__ == "load_case" else 500
            assert 0 < len(msg) <= limit, f"{fn.__name__}: message of {len(msg)} characters"
            assert all(len(line) <= 500 for line in msg.splitlines()), f"{fn.__name__}: a line over 500 characters"
        else:
            _finite(result, fn.__name__)

    check()


CONSTRUCTORS = ["casekit.cost_curves.CostScenario", "casekit.six_paths_widgets.PathFitAdvisor",
                "casekit.landscape_widgets.SourceQualityLens", "casekit.collaboration_widgets.EvidenceBrowser",
                "casekit.cost_curves_widgets.CostCurveExplorer"]
CASE_METHODS = ["reorder", "skip", "repeat", "change", "move_boundary", "borrow", "with_business_model", "with_mode",
                "with_founders", "with_resources", "with_stages", "options"]
SCENARIO_METHODS = ["replace", "with_learning", "outputs", "curves", "cost_difference"]


def _resolve(path):
    mod, name = path.rsplit(".", 1)
    return getattr(importlib.import_module(mod), name)


@pytest.mark.timeout(300, method="thread")
@pytest.mark.parametrize("path", CONSTRUCTORS)
@settings(max_examples=6, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
@given(args=st.lists(junk, max_size=1))
def test_constructors(path, args):
    result, error = _call(_resolve(path), args, {})
    if error is not None:
        assert len(str(error)) <= 500


@pytest.mark.timeout(300, method="thread")
@pytest.mark.parametrize("method", CASE_METHODS)
@settings(max_examples=15, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
@given(args=st.lists(junk, max_size=3))
def test_case_methods(method, args):
    from casekit import collaboration as co

    result, error = _call(getattr(co.actual_case("keda"), method), args, {})
    if error is not None:
        assert len(str(error)) <= 500
    elif isinstance(result, co.Case):
        ev = co.evaluate(result)          # whatever a method returns can be evaluated and shown
        repr(ev), ev.message


@pytest.mark.timeout(300, method="thread")
@pytest.mark.parametrize("method", SCENARIO_METHODS)
@settings(max_examples=15, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
@given(args=st.lists(junk, max_size=2), kwargs=st.dictionaries(
    st.sampled_from(["learning_rate", "cumulative_output", "fixed_cost_before", "output_max", "bogus"]), junk,
    max_size=2))
def test_scenario_methods(method, args, kwargs):
    from casekit.cost_curves import CostScenario

    fn = getattr(CostScenario(), method)
    result, error = _call(fn, args, kwargs if method == "replace" else {})
    if error is not None:
        assert len(str(error)) <= 500
    else:
        _finite(result, method)
        if isinstance(result, CostScenario):
            _finite(result.key_points(), "key_points")
            assert not BAD_NUMBER.search(repr(result)), repr(result)
