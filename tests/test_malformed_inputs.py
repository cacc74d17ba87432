"""Issue 16, "Errors that teach": a corpus of malformed inputs to the public API.

Each case is (id, call, expected): ERR means the call must raise casekit.CasekitError, OK that it
must return a valid result, ANY that either is fine. For every case: no exception other than
CasekitError, a message of at most 500 characters that says what to do, an answer within a few
seconds (no hang), and no inf/NaN in a returned number or in what a returned object shows.
"""
from __future__ import annotations

import atexit
import json
import math
import os
import re
import shutil
import signal
import tempfile
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import numpy as np
import pandas as pd
import pytest

import casekit
from casekit import CasekitError
from casekit import collaboration as co
from casekit import collaboration_diagrams as cd
from casekit import cost_curves as cc
from casekit import cost_curves_plots as cp
from casekit import diagrams, i18n, landscape, landscape_diagrams, plotting, schemas
from casekit import six_paths as sp
from casekit import six_paths_diagrams as spd

ERR, OK, ANY = "error", "result", "either"
TMP = Path(tempfile.mkdtemp(prefix="casekit-malformed-"))
atexit.register(shutil.rmtree, TMP, ignore_errors=True)
(TMP / "binary.yaml").write_bytes(bytes(range(256)) * 4)
(TMP / "a_folder").mkdir()
(TMP / "a_file").write_text("x")
(TMP / "latin1.yaml").write_bytes("firm: caf\xe9\n".encode("latin-1"))

BIG = "x" * 5_000_000                     # a 5 MB name or key
ALIAS_BOMB = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},"
    f"*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)}]\n" for i in range(8))
KEDA_YAML = (co.CASES_DIR / "keda.yaml").read_text(encoding="utf-8")

# Issue 26: paths that are not what they seem (a folder named like a file, a file where a folder goes,
# links that lead nowhere or out of their folder, pipes, /dev/zero)
(TMP / "x.html").mkdir()
os.symlink(TMP / "nowhere" / "x.html", TMP / "dangling.html")
os.symlink(TMP / "no_such_folder", TMP / "dangling_dir")
(TMP / "outside.txt").write_text("not yours", encoding="utf-8")
(TMP / "sub").mkdir()
os.symlink(TMP / "outside.txt", TMP / "sub" / "out.html")
os.mkfifo(TMP / "pipe.html")
for _name, _make in (("settings_fifo", lambda d: os.mkfifo(d / "settings.json")),
                     ("settings_zero", lambda d: os.symlink("/dev/zero", d / "settings.json")),
                     ("settings_brackets", lambda d: (d / "settings.json").write_text("[" * 100_000)),
                     ("settings_deep", lambda d: (d / "settings.json").write_text("[" * 60_000)),
                     ("settings_folder", lambda d: (d / "settings.json").mkdir())):
    (TMP / _name).mkdir()
    _make(TMP / _name)


def _keda():
    return co.actual_case("keda")


def _case_with(**changes):
    import yaml

    raw = yaml.safe_load(KEDA_YAML)
    raw.update(changes)
    return raw


def _fig():
    from matplotlib.figure import Figure

    return Figure()


def _graph():
    return diagrams.digraph("t")


def _explorer():
    from casekit.cost_curves_widgets import CostCurveExplorer

    return CostCurveExplorer()


def _widget_value(make, control, value):
    """Set a widget control from Python; the widget must answer with one readout line, not raise."""
    w = make()
    ctl = w.controls[control] if hasattr(w, "controls") and control in w.controls else getattr(w, control)
    before = ctl.value
    ctl.value = value
    assert w.last_problem, "the widget said nothing about a bad value"
    assert ctl.value == before or ctl.value != value
    return w.last_problem


def _lens():
    from casekit.landscape_widgets import SourceQualityLens

    return SourceQualityLens()


def _advisor():
    from casekit.six_paths_widgets import PathFitAdvisor

    return PathFitAdvisor()


def _stages():
    from casekit.collaboration_widgets import StageExplorer

    return StageExplorer("keda", draw=False)


def _glossary():
    from casekit import glossary
    return glossary


CASES = [
    # ---------------------------------------------------------------- datasets and top level
    ("codebook(DataFrame without name)", lambda: casekit.codebook(pd.DataFrame({"a": [1]})), ERR),
    ("codebook(DataFrame from load_dataset)", lambda: casekit.codebook(casekit.load_dataset("stages")), OK),
    ("codebook(list)", lambda: casekit.codebook(["stages"]), ERR),
    ("codebook(None)", lambda: casekit.codebook(None), ERR),
    ("codebook(7)", lambda: casekit.codebook(7), ERR),
    ("codebook(5 MB name)", lambda: casekit.codebook(BIG), ERR),
    ("codebook(dict)", lambda: casekit.codebook({"a": 1}), ERR),
    ("load_dataset(None)", lambda: casekit.load_dataset(None), ERR),
    ("load_dataset(list)", lambda: casekit.load_dataset(["stages"]), ERR),
    ("load_dataset(path traversal)", lambda: casekit.load_dataset("../../etc/passwd"), ERR),
    ("load_dataset(NUL)", lambda: casekit.load_dataset("\x00"), ERR),
    ("load_dataset(RTL override)", lambda: casekit.load_dataset("stages\u202e"), ERR),
    ("load_dataset(bytes)", lambda: casekit.load_dataset(b"stages"), ERR),
    ("load_dataset(5 MB)", lambda: casekit.load_dataset(BIG), ERR),
    ("metadata(3.5)", lambda: casekit.metadata(3.5), ERR),
    ("metadata('')", lambda: casekit.metadata(""), ERR),
    ("metadata(DataFrame)", lambda: casekit.metadata(pd.DataFrame()), ERR),
    ("table(None)", lambda: casekit.table(None), ERR),
    ("table(7)", lambda: casekit.table(7), ERR),
    ("table(list)", lambda: casekit.table([1, 2, 3]), ERR),
    ("table(int column names)", lambda: casekit.table(pd.DataFrame({0: [1], 1: ["a"]})), OK),
    ("table(mixed column names)", lambda: casekit.table(pd.DataFrame({0: [1], "name_en": ["a"], "name_zh": ["甲"]})), OK),
    ("table(columns='firm')", lambda: casekit.table("stages", columns="firm"), OK),
    ("table(columns=['nope'])", lambda: casekit.table("stages", columns=["nope"]), ERR),
    ("table(columns=5)", lambda: casekit.table("stages", columns=5), ERR),
    ("table(columns=[1, 2])", lambda: casekit.table("stages", columns=[1, 2]), ERR),
    ("table(columns=[[1]])", lambda: casekit.table("stages", columns=[["firm"]]), ERR),
    ("table(empty DataFrame)", lambda: casekit.table(pd.DataFrame()), OK),
    ("table(5 MB dataset name)", lambda: casekit.table(BIG), ERR),
    ("table(DataFrame with odd attrs)", lambda: casekit.table(pd.DataFrame({"a": [1]}).set_flags()), OK),
    ("save(fig, /proc)", lambda: casekit.save(_fig(), "/proc/casekit/x.png"), ERR),
    ("save(fig, int path)", lambda: casekit.save(_fig(), 5), ERR),
    ("save(fig, under a file)", lambda: casekit.save(_fig(), TMP / "a_file" / "x.svg"), ERR),
    ("save(fig, .doc)", lambda: casekit.save(_fig(), TMP / "x.doc"), ERR),
    ("save(fig, None)", lambda: casekit.save(_fig(), None), ERR),
    ("save(fig, '')", lambda: casekit.save(_fig(), ""), ERR),
    ("save(fig, NUL path)", lambda: casekit.save(_fig(), "x\x00.png"), ERR),
    ("save(fig, a folder path)", lambda: casekit.save(_fig(), TMP / "a_folder"), ERR),
    ("save(graph, /proc)", lambda: casekit.save(_graph(), "/proc/casekit/x.svg"), ERR),
    ("save(graph, int path)", lambda: casekit.save(_graph(), 7), ERR),
    ("save(graph, .txt)", lambda: casekit.save(_graph(), TMP / "x.txt"), ERR),
    ("save(graph, under a file)", lambda: casekit.save(_graph(), TMP / "a_file" / "x.dot"), ERR),
    ("save(None, path)", lambda: casekit.save(None, TMP / "x.svg"), ERR),
    ("save('text', path)", lambda: casekit.save("digraph {}", TMP / "x.svg"), ERR),
    ("diagrams.save(None)", lambda: diagrams.save(None, TMP / "x.svg"), ERR),
    ("plotting.save(None)", lambda: plotting.save(None, TMP / "x.png"), ERR),
    ("plotting.save(dpi=-1)", lambda: plotting.save(_fig(), TMP / "x.png", dpi=-1), ERR),
    ("plotting.save(dpi=1e9)", lambda: plotting.save(_fig(), TMP / "x.png", dpi=10 ** 9), ERR),
    ("plotting.save(dpi='high')", lambda: plotting.save(_fig(), TMP / "x.png", dpi="high"), ERR),
    ("set_language(None)", lambda: casekit.set_language(None), ERR),
    ("set_language('fr')", lambda: casekit.set_language("fr"), ERR),
    ("set_language(5)", lambda: casekit.set_language(5), ERR),
    ("set_language(5 MB)", lambda: casekit.set_language(BIG), ERR),
    ("i18n.label(5, 'name')", lambda: i18n.label(5, "name"), ERR),
    ("diagrams.show(None)", lambda: diagrams.show(None), ERR),
    ("diagrams.show(str)", lambda: diagrams.show("digraph {}"), ERR),
    ("schemas.validate_dataset(None)", lambda: schemas.validate_dataset(None), ERR),
    ("schemas.validate_dataset('nope')", lambda: schemas.validate_dataset("nope"), ERR),
    ("schemas.validate_dataset(df=5)", lambda: schemas.validate_dataset("stages", 5), ANY),
    # ---------------------------------------------------------------- case files (unit 2)
    ("load_case(binary file)", lambda: co.load_case(TMP / "binary.yaml"), ERR),
    ("load_case(latin-1 file)", lambda: co.load_case(TMP / "latin1.yaml"), ERR),
    ("load_case(directory)", lambda: co.load_case(TMP / "a_folder"), ERR),
    ("load_case(directory as str)", lambda: co.load_case(str(TMP / "a_folder")), ERR),
    ("load_case(bytes)", lambda: co.load_case(KEDA_YAML.encode("utf-8")), OK),
    ("load_case(binary bytes)", lambda: co.load_case(bytes(range(256))), ERR),
    ("load_case(5,000-deep brackets)", lambda: co.load_case("a: " + "[" * 5000 + "]" * 5000 + "\n"), ERR),
    ("load_case(5,000-deep braces)", lambda: co.load_case("a: " + "{a: " * 5000 + "1" + "}" * 5000 + "\n"), ERR),
    ("load_case(alias bomb)", lambda: co.load_case(ALIAS_BOMB), ERR),
    ("load_case(one alias)", lambda: co.load_case(KEDA_YAML + "\nx: &a 1\ny: *a\n"), ERR),
    ("load_case(5 MB unknown key)", lambda: co.load_case({**_case_with(), BIG: 1}), ERR),
    ("load_case(5 MB key in text)", lambda: co.load_case(KEDA_YAML + f"\n{'k' * 900_000}: 1\n"), ERR),
    ("load_case(10 MB text)", lambda: co.load_case("a: " + "b" * 10_000_000 + "\n"), ERR),
    ("load_case(name of NUL)", lambda: co.load_case(_case_with(name_en="\x00\x00")), ERR),
    ("load_case(name of RTL override)", lambda: co.load_case(_case_with(name_zh="\u202e")), ERR),
    ("load_case(name of BOM)", lambda: co.load_case(_case_with(name_en="\ufeff")), ERR),
    ("load_case(name with zero-width space)", lambda: co.load_case(_case_with(name_en="Ke\u200bda")), ERR),
    ("load_case(blank name)", lambda: co.load_case(_case_with(name_en="   ")), ERR),
    ("load_case(5 MB name)", lambda: co.load_case(_case_with(name_en=BIG)), ERR),
    ("load_case(stage name of NUL)", lambda: co.load_case(_case_with(stages=[
        {**_case_with()["stages"][0], "name_en": "\x00"}])), ERR),
    ("load_case(5)", lambda: co.load_case(5), ERR),
    ("load_case(list)", lambda: co.load_case([1, 2]), ERR),
    ("load_case('')", lambda: co.load_case(""), ERR),
    ("load_case('firm: x')", lambda: co.load_case("firm: x"), ERR),
    ("load_case(YAML list)", lambda: co.load_case("- a\n- b\n"), ERR),
    ("load_case(bad YAML)", lambda: co.load_case("a: [\nb: }\n"), ERR),
    ("load_case(tab indent)", lambda: co.load_case("a:\n\tb: 1\n"), ERR),
    ("load_case(missing file)", lambda: co.load_case("no_such_case.yaml"), ERR),
    ("load_case(NUL path)", lambda: co.load_case("x\x00.yaml"), ERR),
    ("load_case(dict firm None)", lambda: co.load_case({"firm": None}), ERR),
    ("load_case(stages [5])", lambda: co.load_case(_case_with(stages=[5])), ERR),
    ("load_case(stages 'x')", lambda: co.load_case(_case_with(stages="x")), ERR),
    ("load_case(start_year 'abc')", lambda: co.load_case(_case_with(stages=[
        {**_case_with()["stages"][0], "start_year": "abc"}])), ERR),
    ("load_case(year 10**30)", lambda: co.load_case(_case_with(stages=[
        {**_case_with()["stages"][0], "start_year": 10 ** 30}])), ERR),
    ("load_case(deep dict)", lambda: co.load_case(_case_with(cite=_nest(3000))), ERR),
    ("load_case(self-referencing dict)", lambda: co.load_case(_selfref()), ERR),
    ("load_case(1,000 stages)", lambda: co.load_case(_case_with(stages=[_case_with()["stages"][0]] * 1001)), ERR),
    ("load_case(the real file)", lambda: co.load_case(co.CASES_DIR / "keda.yaml"), OK),
    ("actual_case(None)", lambda: co.actual_case(None), ERR),
    ("actual_case(list)", lambda: co.actual_case(["keda"]), ERR),
    ("actual_case(5 MB)", lambda: co.actual_case(BIG), ERR),
    ("evaluate(None)", lambda: co.evaluate(None), OK),
    ("evaluate('keda')", lambda: co.evaluate("keda"), OK),
    ("evaluate(5)", lambda: co.evaluate(5), OK),
    ("evaluate(alt, actual=42)", lambda: co.evaluate(_keda().skip(2), actual=42), ERR),
    ("evaluate(alt, actual='nope')", lambda: co.evaluate(_keda().skip(2), actual="nope"), ERR),
    ("evaluate(no stages)", lambda: co.evaluate(_keda().skip(1).skip(1).skip(1)), OK),
    ("with_stages([1, 2])", lambda: _keda().with_stages([1, 2]), ERR),
    ("with_stages(5)", lambda: _keda().with_stages(5), ERR),
    ("with_stages('ab')", lambda: _keda().with_stages("ab"), ERR),
    ("reorder(3)", lambda: _keda().reorder(3), ERR),
    ("reorder([1, 1, 2])", lambda: _keda().reorder([1, 1, 2]), ERR),
    ("reorder(['a', 'b', 'c'])", lambda: _keda().reorder(["a", "b", "c"]), ERR),
    ("reorder(endless)", lambda: _keda().reorder(iter(int, 1)), ERR),
    ("borrow(1, 5, 1)", lambda: _keda().borrow(1, 5, 1), ERR),
    ("borrow(1, 'nope', 1)", lambda: _keda().borrow(1, "nope", 1), ERR),
    ("borrow(9, 'zhongtu', 1)", lambda: _keda().borrow(9, "zhongtu", 1), ERR),
    ("borrow(1, 'zhongtu', 9)", lambda: _keda().borrow(1, "zhongtu", 9), ERR),
    ("skip(0)", lambda: _keda().skip(0), ERR),
    ("skip('1')", lambda: _keda().skip("1"), ERR),
    ("repeat(True)", lambda: _keda().repeat(True), ERR),
    ("change(1, rd_activity=5)", lambda: _keda().change(1, rd_activity=5), ERR),
    ("change(1, rd_activity=[1])", lambda: _keda().change(1, rd_activity=[1]), ERR),
    ("change(1, depth=7)", lambda: _keda().change(1, depth=7), ERR),
    ("change(1, lead=None, depth='x')", lambda: _keda().change(1, depth="x"), ERR),
    ("move_boundary(1, '2005')", lambda: _keda().move_boundary(1, "2005"), ERR),
    ("move_boundary(1, 10**9)", lambda: _keda().move_boundary(1, 10 ** 9), ERR),
    ("with_mode(None)", lambda: _keda().with_mode(None), ERR),
    ("with_business_model(['x'])", lambda: _keda().with_business_model(["x"]), ERR),
    ("with_resources({})", lambda: _keda().with_resources({}), ERR),
    ("validate(5)", lambda: co.validate(5), OK),
    ("process_model(5)", lambda: cd.process_model(5), ERR),
    ("process_model('nope')", lambda: cd.process_model("nope"), ERR),
    ("compare(None)", lambda: cd.compare(None), ERR),
    ("compare(evaluate(None))", lambda: cd.compare(co.evaluate(None)), ERR),
    ("framework(lang='fr')", lambda: cd.framework(lang="fr"), ERR),
    ("data_structure(firm=5)", lambda: cd.data_structure(firm=5), ERR),
    ("theory_model(lang=5)", lambda: cd.theory_model(lang=5), ERR),
    ("alternative_from_settings(None)", lambda: _afs()(None), ERR),
    ("alternative_from_settings(stages=5)", lambda: _afs()(_keda(), stages=5), ERR),
    ("alternative_from_settings(borrow='x')", lambda: _afs()(_keda(), stages=[{"borrow": "x"}]), ERR),
    ("alternative_from_settings(boundaries='x')", lambda: _afs()(_keda(), boundaries={1: "x"}), ERR),
    ("StageExplorer('nope')", lambda: _sw().StageExplorer("nope", draw=False), ERR),
    ("StageExplorer(5)", lambda: _sw().StageExplorer(5, draw=False), ERR),
    ("EvidenceBrowser('nope')", lambda: _sw().EvidenceBrowser("nope"), ERR),
    ("EvidenceBrowser(5)", lambda: _sw().EvidenceBrowser(5), ERR),
    ("stage explorer business model 'abc'", lambda: _widget_value(_stages, "business_model", "abc"), OK),
    ("evidence browser firm 'nope'", lambda: _widget_value(lambda: _sw().EvidenceBrowser("keda"), "firm", "nope"), OK),
    ("evidence browser construct 5", lambda: _widget_value(lambda: _sw().EvidenceBrowser("keda"), "construct", 5), OK),
    ("stage explorer year 'abc'", lambda: _widget_value(lambda: _boundary_ctl(), 1, "abc"), OK),
    ("stage explorer include 'maybe'", lambda: _widget_value(lambda: _stages_ctl(), "include", "maybe"), OK),
    # ---------------------------------------------------------------- cost curves (unit 4)
    ("CostScenario(1e308 fixed costs)", lambda: cc.CostScenario(fixed_cost_before=1e308, innovation_fixed_cost=1e308), ERR),
    ("CostScenario(inf)", lambda: cc.CostScenario(fixed_cost_before=math.inf), ERR),
    ("CostScenario(nan)", lambda: cc.CostScenario(variable_cost_saving=math.nan), ERR),
    ("CostScenario('abc')", lambda: cc.CostScenario(learning_rate="abc"), ERR),
    ("CostScenario(output_min > max)", lambda: cc.CostScenario(output_min=5, output_max=1), ERR),
    ("CostScenario(variable cost 1e308)", lambda: cc.CostScenario(variable_cost_before=1e308), ERR),
    ("CostScenario(congestion 1e-300)", lambda: cc.CostScenario(congestion_before=1e-300), ERR),
    ("CostScenario(cumulative 1e-300)", lambda: cc.CostScenario(cumulative_output=1e-300), ERR),
    ("CostScenario(10**400 int)", lambda: cc.CostScenario(fixed_cost_before=10 ** 400), ERR),
    ("CostScenario(learning_rate=1)", lambda: cc.CostScenario(learning_rate=1), ERR),
    ("CostScenario(extremes inside bounds)", lambda: cc.CostScenario(
        fixed_cost_before=1e9, innovation_fixed_cost=1e9, variable_cost_before=1e-6, congestion_before=1e-6,
        congestion_after=1e9, output_min=1e-6, output_max=1e9), ANY),
    ("average_cost(q, nan, ...)", lambda: cc.average_cost([1, 2], math.nan, 20, 0.04), ERR),
    ("average_cost negative fixed cost", lambda: cc.average_cost([1, 2], -100, 20, 0.04), ERR),
    ("average_cost negative base", lambda: cc.average_cost([1, 2], 100, -20, 0.04), ERR),
    ("average_cost negative congestion", lambda: cc.average_cost([1, 2], 100, 20, -0.04), ERR),
    ("average_cost('abc', ...)", lambda: cc.average_cost("abc", 1, 1, 1), ERR),
    ("average_cost(None, ...)", lambda: cc.average_cost(None, 1, 1, 1), ERR),
    ("average_cost([], ...)", lambda: cc.average_cost([], 1, 1, 1), OK),
    ("average_cost(0, ...)", lambda: cc.average_cost(0, 1, 1, 1), ERR),
    ("average_cost(ragged)", lambda: cc.average_cost([[1], [1, 2]], 1, 1, 1), ERR),
    ("average_cost(10**7 points)", lambda: cc.average_cost(np.ones(10 ** 7), 1, 1, 1), ERR),
    ("average_fixed_cost(5, 'x')", lambda: cc.average_fixed_cost(5, "x"), ERR),
    ("average_variable_cost(5, inf, 1)", lambda: cc.average_variable_cost(5, math.inf, 1), ERR),
    ("minimum_average_cost(100, 20, 0)", lambda: cc.minimum_average_cost(100, 20, 0), ERR),
    ("minimum_average_cost(-1, 20, 1)", lambda: cc.minimum_average_cost(-1, 20, 1), ERR),
    ("minimum_average_cost(1e308 x3)", lambda: cc.minimum_average_cost(1e308, 1e308, 1e308), ERR),
    ("minimum_average_cost(None)", lambda: cc.minimum_average_cost(None, 1, 1), ERR),
    ("crossover_outputs(nan, 1, 1)", lambda: cc.crossover_outputs(math.nan, 1, 1), ERR),
    ("crossover_outputs('a', 1, 1)", lambda: cc.crossover_outputs("a", 1, 1), ERR),
    ("crossover_outputs(1e308, ...)", lambda: cc.crossover_outputs(1e308, 1e-308, 1e308), ERR),
    ("crossover_outputs(negatives)", lambda: cc.crossover_outputs(-300, -8, -0.04), OK),
    ("learning_exponent(1)", lambda: cc.learning_exponent(1), ERR),
    ("learning_exponent('x')", lambda: cc.learning_exponent("x"), ERR),
    ("learning_factor(-5, 0.2, 100)", lambda: cc.learning_factor(-5, 0.2, 100), ERR),
    ("learning_factor(100, 0.2, 0)", lambda: cc.learning_factor(100, 0.2, 0), ERR),
    ("learning_factor('x', 0.2, 100)", lambda: cc.learning_factor("x", 0.2, 100), ERR),
    ("learning_curve(n=-5)", lambda: cc.learning_curve(n=-5), ERR),
    ("learning_curve(n=10**9)", lambda: cc.learning_curve(n=10 ** 9), ERR),
    ("learning_curve(n='x')", lambda: cc.learning_curve(n="x"), ERR),
    ("learning_curve(n=2.5)", lambda: cc.learning_curve(n=2.5), ERR),
    ("learning_curve(doublings=nan)", lambda: cc.learning_curve(doublings=math.nan), ERR),
    ("learning_curve(doublings=True)", lambda: cc.learning_curve(doublings=True), ERR),
    ("learning_curve(scenario=5)", lambda: cc.learning_curve(scenario=5), ERR),
    ("outputs(10**10)", lambda: cc.CostScenario().outputs(10 ** 10), ERR),
    ("outputs(-1)", lambda: cc.CostScenario().outputs(-1), ERR),
    ("outputs('x')", lambda: cc.CostScenario().outputs("x"), ERR),
    ("outputs(inf)", lambda: cc.CostScenario().outputs(math.inf), ERR),
    ("curves([-1])", lambda: cc.CostScenario().curves([-1]), ERR),
    ("curves('abc')", lambda: cc.CostScenario().curves("abc"), ERR),
    ("replace(bogus=1)", lambda: cc.CostScenario().replace(bogus=1), ERR),
    ("replace(5 MB key)", lambda: cc.CostScenario().replace(**{BIG: 1}), ERR),
    ("with_learning(-5)", lambda: cc.CostScenario().with_learning(-5), ERR),
    ("cost_difference(nan)", lambda: cc.CostScenario().cost_difference(math.nan), ERR),
    ("parameter_table(5)", lambda: cc.parameter_table(5), ERR),
    ("plot_cost_curves(5)", lambda: cp.plot_cost_curves(5), ERR),
    ("plot_learning_curve(doublings=-1)", lambda: cp.plot_learning_curve(doublings=-1), ERR),
    ("plot_learning_curve(doublings=1e9)", lambda: cp.plot_learning_curve(doublings=1e9), ERR),
    ("CostCurveExplorer(5)", lambda: _cw().CostCurveExplorer(5), ERR),
    ("describe_change(None, None)", lambda: _cw().describe_change(None, None), ERR),
    ("explorer.set(bogus=1)", lambda: _explorer().set(bogus=1), ERR),
    ("cost slider 'abc'", lambda: _widget_value(_explorer, "cumulative_output", "abc"), OK),
    ("cost slider nan", lambda: _widget_value(_explorer, "learning_rate", math.nan), OK),
    ("cost slider inf", lambda: _widget_value(_explorer, "learning_rate", math.inf), OK),
    ("cost slider None", lambda: _widget_value(_explorer, "innovation_fixed_cost", None), OK),
    ("cost range inverted", lambda: _widget_value(_explorer, "output_range", (150, 10)), OK),
    ("cost range 'ab'", lambda: _widget_value(_explorer, "output_range", "ab"), OK),
    ("cost range of three", lambda: _widget_value(_explorer, "output_range", (1, 2, 3)), OK),
    ("cost slider beyond max", lambda: _widget_value(_explorer, "cumulative_output", 10 ** 9), OK),
    # ---------------------------------------------------------------- landscape (unit 1)
    ("claims(source_types=5)", lambda: landscape.claims(source_types=5), ERR),
    ("claims(source_types=[5])", lambda: landscape.claims(source_types=[5]), ERR),
    ("claims(source_types=[[1]])", lambda: landscape.claims(source_types=[["peer_reviewed"]]), ERR),
    ("claims(traceable='yes')", lambda: landscape.claims(traceable="yes"), ERR),
    ("claims(sort_by=['value'])", lambda: landscape.claims(sort_by=["value"]), ERR),
    ("claims(data=5)", lambda: landscape.claims(data=5), ERR),
    ("claims(data=empty frame)", lambda: landscape.claims(data=pd.DataFrame()), ERR),
    ("claims(source_types=5 MB)", lambda: landscape.claims(source_types=BIG), ERR),
    ("claim(None)", lambda: landscape.claim(None), ERR),
    ("claim(['x'])", lambda: landscape.claim(["x"]), ERR),
    ("claim(5 MB)", lambda: landscape.claim(BIG), ERR),
    ("untraceable_claims(5)", lambda: landscape.untraceable_claims(5), ERR),
    ("source_quality_summary(5)", lambda: landscape.source_quality_summary(5), ERR),
    ("source_quality_summary(empty)", lambda: landscape.source_quality_summary(pd.DataFrame()), ERR),
    ("source_quality_summary(other table)", lambda: landscape.source_quality_summary(casekit.load_dataset("stages")), ERR),
    ("compare_claims(None, None)", lambda: landscape.compare_claims(None, None), ERR),
    ("compare_claims(units differ)", lambda: landscape.compare_claims(
        "little_giant_count_2023_000", "sme_innovation_share_2022"), ERR),
    ("ladder(5)", lambda: landscape.ladder(5), ERR),
    ("ladder('999')", lambda: landscape.ladder("999"), ERR),
    ("mechanisms(logic=5)", lambda: landscape.mechanisms(logic=5), ERR),
    ("mechanisms(dimension=['x'])", lambda: landscape.mechanisms(dimension=["x"]), ERR),
    ("mechanisms_of_firm(None)", lambda: landscape.mechanisms_of_firm(None), ERR),
    ("mechanisms_of_firm(['xcmg'])", lambda: landscape.mechanisms_of_firm(["xcmg"]), ERR),
    ("course_links(to_unit='2')", lambda: landscape.course_links(to_unit="2"), ERR),
    ("course_links(to_unit=[1])", lambda: landscape.course_links(to_unit=[1]), ERR),
    ("co_innovation_diagram(highlight=5)", lambda: landscape_diagrams.co_innovation_diagram(highlight=5), ERR),
    ("co_innovation_diagram(highlight='nope')", lambda: landscape_diagrams.co_innovation_diagram(highlight="nope"), ERR),
    ("course_map_diagram(to_unit=9)", lambda: landscape_diagrams.course_map_diagram(to_unit=9), ERR),
    ("SourceQualityLens(source_types=5)", lambda: _lw().SourceQualityLens(source_types=5), ERR),
    ("SourceQualityLens(traceable=None)", lambda: _lw().SourceQualityLens(traceable=None), ERR),
    ("SourceQualityLens(sort_by=[1])", lambda: _lw().SourceQualityLens(sort_by=[1]), ERR),
    ("SourceQualityLens(hide_promotional='x')", lambda: _lw().SourceQualityLens(hide_promotional="x"), ERR),
    ("source_quality_lens(bogus=1)", lambda: _lw().source_quality_lens(bogus=1), ERR),
    ("lens sort_by 'nope'", lambda: _widget_value(_lens, "sort_by", "nope"), OK),
    ("lens source_types 5", lambda: _widget_value(_lens, "source_types", 5), OK),
    ("lens hide_promotional 'x'", lambda: _widget_value(_lens, "hide_promotional", "x"), OK),
    # ---------------------------------------------------------------- six paths (unit 3)
    ("advise(None)", lambda: sp.advise(None), ERR),
    ("advise(list)", lambda: sp.advise([1, 2]), ERR),
    ("advise(capital=2.5)", lambda: sp.advise({"capital": 2.5}, fill_defaults=True), ERR),
    ("advise(capital=inf)", lambda: sp.advise({"capital": math.inf}, fill_defaults=True), ERR),
    ("advise(capital=nan)", lambda: sp.advise({"capital": math.nan}, fill_defaults=True), ERR),
    ("advise(capital=-1)", lambda: sp.advise({"capital": -1}, fill_defaults=True), ERR),
    ("advise(capital='5')", lambda: sp.advise({"capital": "5"}, fill_defaults=True), ERR),
    ("advise(capital=5.0)", lambda: sp.advise({"capital": 5.0}, fill_defaults=True), OK),
    ("advise(5 MB key)", lambda: sp.advise({BIG: 1}), ERR),
    ("advise(10,000 unknown keys)", lambda: sp.advise({f"k{i}": 1 for i in range(10_000)}), ERR),
    ("advise(int keys)", lambda: sp.advise({1: 1}), ERR),
    ("advise(key_national_field='yes')", lambda: sp.advise({"key_national_field": "yes"}, fill_defaults=True), ERR),
    ("advise(fill_defaults='yes')", lambda: sp.advise({}, fill_defaults="yes"), ANY),
    ("check_profile('abc')", lambda: sp.check_profile("abc"), ERR),
    ("preset(None)", lambda: sp.preset(None), ERR),
    ("preset(['x'])", lambda: sp.preset(["x"]), ERR),
    ("preset(5 MB)", lambda: sp.preset(BIG), ERR),
    ("preset_info(5)", lambda: sp.preset_info(5), ERR),
    ("countermeasures(path=5)", lambda: sp.countermeasures(path=5), ERR),
    ("conditions(path='nope')", lambda: sp.conditions(path="nope"), ERR),
    ("describe_path(None)", lambda: sp.describe_path(None), ERR),
    ("describe_path(5 MB)", lambda: sp.describe_path(BIG), ERR),
    ("adoption_matrix(kind=5)", lambda: sp.adoption_matrix(kind=5), ERR),
    ("adoption_matrix(kind='nope')", lambda: sp.adoption_matrix(kind="nope"), ERR),
    ("path_taxonomy(highlight=5)", lambda: spd.path_taxonomy(highlight=5), ERR),
    ("path_taxonomy(highlight='nope')", lambda: spd.path_taxonomy(highlight="nope"), ERR),
    ("PathFitAdvisor('nope')", lambda: _pw().PathFitAdvisor("nope"), ERR),
    ("PathFitAdvisor(5)", lambda: _pw().PathFitAdvisor(5), ERR),
    ("path_fit_advisor(['x'])", lambda: _pw().path_fit_advisor(["x"]), ERR),
    ("advisor slider 'abc'", lambda: _widget_value(_advisor, "capital", "abc"), OK),
    ("advisor slider 2.5", lambda: _widget_value(_advisor, "capital", 2.5), OK),
    ("advisor slider -3", lambda: _widget_value(_advisor, "capital", -3), OK),
    ("advisor toggle 'yes'", lambda: _widget_value(_advisor, "key_national_field", "yes"), OK),
    ("advisor preset 'nope'", lambda: _widget_value(_advisor, "preset_picker", "nope"), OK),
    # ---------------------------------------------------------------- issue 26: the newest surfaces
    # decision-case handouts (casekit.decision_cases)
    ("save_case(under a file)", lambda: _dc().save_case("keda_zhongtu", TMP / "a_file" / "out.html"), ERR),
    ("save_case(a folder named x.html)", lambda: _dc().save_case("keda_zhongtu", TMP / "x.html"), ERR),
    ("save_case(dangling link)", lambda: _dc().save_case("keda_zhongtu", TMP / "dangling.html"), ERR),
    ("save_case(into a dangling folder link)", lambda: _dc().save_case("keda_zhongtu", TMP / "dangling_dir" / "x.html"), ERR),
    ("save_case(link out of its folder)", lambda: _unchanged_outside(
        lambda: _dc().save_case("keda_zhongtu", TMP / "sub" / "out.html")), ERR),
    ("save_case(a pipe)", lambda: _dc().save_case("keda_zhongtu", TMP / "pipe.html"), ERR),
    ("save_case(None)", lambda: _dc().save_case("keda_zhongtu", None), ERR),
    ("save_case(NUL in the name)", lambda: _dc().save_case("keda_zhongtu", "case\x00.html"), ERR),
    ("save_case(300-character name)", lambda: _dc().save_case("keda_zhongtu", TMP / ("a" * 300 + ".html")), ERR),
    ("save_case(.pdf)", lambda: _dc().save_case("keda_zhongtu", TMP / "case.pdf"), ERR),
    ("exhibit_table(None)", lambda: _dc().exhibit_table(None), ERR),
    ("exhibit_table('firms')", lambda: _dc().exhibit_table("firms"), ERR),
    ("exhibit_table(where names an unknown column)", lambda: _dc().exhibit_table(_exhibit(where={"nope": [1]})), ERR),
    ("exhibit_table(at_most names an unknown column)", lambda: _dc().exhibit_table(_exhibit(at_most={"nope": 3})), ERR),
    ("exhibit_table(a valid exhibit)", lambda: _dc().exhibit_table(_exhibit()), OK),
    ("decision case file: binary", lambda: _decision_case_file(bytes(range(256)) * 4), ERR),
    ("decision case file: latin-1", lambda: _decision_case_file("unit: keda_zhongtu\ntitle_en: caf\xe9\n".encode("latin-1")), ERR),
    ("decision case file: 10,000 brackets deep", lambda: _decision_case_file(b"unit: " + b"[" * 10_000 + b"]" * 10_000), ERR),
    ("decision case file: unit: twice", lambda: _decision_case_file(_DC_TEXT.replace(
        "unit: keda_zhongtu\n", "unit: in_firm_cluster_costs\nunit: keda_zhongtu\n", 1).encode("utf-8")), ERR),
    ("decision case file: a pipe", lambda: _decision_case_file(None), ERR),
    ("decision case file: a control character", lambda: _decision_case_file(b"unit: keda\x07zhongtu\n"), ERR),
    ("decision case file: a YAML list", lambda: _decision_case_file(b"- unit\n- keda_zhongtu\n"), ERR),
    ("decision case file: unchanged copy", lambda: _decision_case_file(_DC_TEXT.encode("utf-8")), OK),
    # glossary terms (glossary.check_terms, glossary.term)
    ("check_terms(None)", lambda: _glossary().check_terms(None), ERR),
    ("check_terms(5)", lambda: _glossary().check_terms(5), ERR),
    ("check_terms(bytes)", lambda: _glossary().check_terms(b".."), ERR),
    ("check_terms(list)", lambda: _glossary().check_terms(["a"]), ERR),
    ("check_terms(ignore='a string')", lambda: _glossary().check_terms("x", ignore="基础设施共享"), ERR),
    ("check_terms(4 M characters)", lambda: _glossary().check_terms("创新能力与基础设施共享。" * 340_000), OK),
    ("check_terms(100,000 unknown marks)", lambda: _glossary().check_terms(" ".join(f"[[nope{i}]]" for i in range(100_000))), OK),
    ("term([1])", lambda: _glossary().term([1]), ERR),
    ("term(None)", lambda: _glossary().term(None), ERR),
    # answers in either language (glossary.normalize_answer)
    ("normalize_answer(self-referencing list)", lambda: _normalize(_selfref_list()), ERR),
    ("normalize_answer(self-referencing dict)", lambda: _normalize(_selfref_dict()), ERR),
    ("normalize_answer(5,000-deep list)", lambda: _normalize(_deep_list(5000)), ERR),
    ("normalize_answer(2**40 shared items)", lambda: _normalize(_shared_list(40)), ERR),
    ("normalize_answer(a shared sub-list)", lambda: _normalize([["原始创新"]] * 3), OK),
    # the language switch (python -m casekit language zh DIR)
    ("language zh DIR: 'cells': 5", lambda: _cli("language", "zh", _notebook_dir({"cells": 5})), ERR),
    ("language zh DIR: a JSON list", lambda: _cli("language", "zh", _notebook_dir([1, 2])), ERR),
    ("language zh DIR: a cell of 7", lambda: _cli("language", "zh", _notebook_dir({"cells": [7]})), ERR),
    ("language zh DIR: 100,000 brackets", lambda: _cli("language", "zh", _notebook_dir("[" * 100_000)), ERR),
    ("language zh DIR: a pipe", lambda: _cli("language", "zh", _notebook_dir(None)), ERR),
    ("language zh DIR: a link out of DIR", lambda: _cli("language", "zh", _notebook_dir("link-out")), ERR),
    ("language zh ''", lambda: _cli("language", "zh", ""), ERR),
    ("language zh a file", lambda: _cli("language", "zh", str(TMP / "a_file")), ERR),
    ("order_text(40,000 table rows)", lambda: (len(_lang().order_text("| 1 | 2 |\n" * 40_000, "zh")),), OK),
    ("classify_line(10,000 separators)", lambda: (_lang().classify_line("ab · 中文 " * 10_000),), OK),
    # copying the notebooks (python -m casekit notebooks DIR)
    ("notebooks ''", lambda: _cli("notebooks", ""), ERR),
    ("notebooks a file", lambda: _cli("notebooks", str(TMP / "a_file")), ERR),
    ("notebooks a dangling link", lambda: _cli("notebooks", str(TMP / "dangling_dir")), ERR),
    ("notebooks under /proc", lambda: _cli("notebooks", "/proc/casekit-notebooks"), ERR),
    ("notebooks NUL", lambda: _cli("notebooks", "x\x00y"), ERR),
    ("notebooks target is a folder", lambda: _cli("notebooks", _handout_dir("folder")), ERR),
    ("notebooks target is a pipe", lambda: _cli("notebooks", _handout_dir("pipe")), ERR),
    ("notebooks target is a dangling link", lambda: _cli("notebooks", _handout_dir("dangling")), ERR),
    ("notebooks --force through a link out of DIR", lambda: _unchanged_outside(
        lambda: _cli("notebooks", _handout_dir("link-out"), "--force")), ERR),
    ("notebooks exercises/ is a file", lambda: _cli("notebooks", _handout_dir("exercises-file")), ERR),
    ("notebooks record is a pipe", lambda: _cli("notebooks", _handout_dir("record-pipe")), ERR),
    # the settings file every kernel reads at import (casekit.settings)
    ("settings file: a FIFO", lambda: _language_from("settings_fifo"), OK),
    ("settings file: a link to /dev/zero", lambda: _language_from("settings_zero"), OK),
    ("settings file: 100,000 '['", lambda: _language_from("settings_brackets"), OK),
    ("settings file: 60,000 '['", lambda: _language_from("settings_deep"), OK),
    ("settings file: a folder", lambda: _language_from("settings_folder"), OK),
    # a firm's case file (collaboration.load_case): cross-field rules and duplicate keys
    ("load_case(stages in reverse order)", lambda: co.load_case(_case_with(stages=_case_with()["stages"][::-1])), ERR),
    ("load_case(overlapping years)", lambda: co.load_case(_case_with(stages=_stages_with(1, start_year=2005))), ERR),
    ("load_case(a shared boundary year)", lambda: co.load_case(_case_with(stages=_stages_with(1, start_year=2007))), OK),
    ("load_case(the real Zhongtu, 2016 shared)", lambda: co.load_case(co.CASES_DIR / "zhongtu.yaml"), OK),
    ("load_case(duplicate stage ids)", lambda: co.load_case(_case_with(stages=_stages_with(2, stage="rd_driven_marketing"))), ERR),
    ("load_case(founded after the stages)", lambda: co.load_case(_case_with(founded="2019-01")), ERR),
    ("load_case(founded 2000-13)", lambda: co.load_case(_case_with(founded="2000-13")), ERR),
    ("load_case(order 1, 3, 2)", lambda: co.load_case(_case_with(stages=[
        {**s, "order": o} for s, o in zip(_case_with()["stages"], (1, 3, 2))])), ERR),
    ("load_case(firm: twice)", lambda: co.load_case(KEDA_YAML + "firm: zhongtu\n"), ERR),
    ("load_case(a stage key twice)", lambda: co.load_case(KEDA_YAML.replace(
        "    end_year: 2007\n", "    end_year: 2007\n    end_year: 2009\n", 1)), ERR),
    ("load_case(duplicate activity ids)", lambda: co.load_case(_case_with(activities=[_OWN, _OWN])), ERR),
    ("load_case(an activity reusing a catalogue id)", lambda: co.load_case(_case_with(
        activities=[{**_OWN, "id": "lab_research"}])), ERR),
    ("load_case(a FIFO)", lambda: co.load_case(TMP / "pipe.html"), ERR),
    ("load_case(/dev/ptmx)", lambda: co.load_case("/dev/ptmx"), ERR),
    ("load_case(a dangling link)", lambda: co.load_case(TMP / "dangling.html"), ERR),
]


def _dc():
    from casekit import decision_cases as m

    return m


_DC_TEXT = (Path(casekit.datasets.DATA_DIR) / "decision_cases" / "keda_zhongtu.yaml").read_text(encoding="utf-8")
_OWN = {"id": "own_lab", "side": "rd", "level": 1, "name_zh": "自建实验室", "name_en": "own lab"}


def _exhibit(**changes):
    spec = {"id": "t", "dataset": "firms", "caption_zh": "企业", "caption_en": "Firms",
            "columns": [{"column": "firm", "zh": "企业", "en": "Firm"}], **changes}
    return _dc().Exhibit.model_validate(spec)


def _decision_case_file(content: bytes | None):
    """Load the Keda-Zhongtu decision case from a data folder whose file holds ``content`` (None: a FIFO)."""
    from casekit import datasets as ds

    root = Path(tempfile.mkdtemp(dir=TMP))
    (root / "decision_cases").mkdir()
    target = root / "decision_cases" / "keda_zhongtu.yaml"
    if content is None:
        os.mkfifo(target)
    else:
        target.write_bytes(content)
    dc, old = _dc(), ds.DATA_DIR
    dc.case_units()    # the unit list comes from the real data folder, loaded before it is swapped
    ds.DATA_DIR = root
    dc._load.cache_clear()
    try:
        return (dc.load_case("keda_zhongtu").unit,)
    finally:
        ds.DATA_DIR = old
        dc._load.cache_clear()


def _lang():
    from casekit import language as m

    return m


def _normalize(answer):
    from casekit.glossary import normalize_answer

    return normalize_answer(answer)


def _selfref_list():
    a = ["原始创新"]
    a.append(a)
    return a


def _selfref_dict():
    d = {"a": "原始创新"}
    d["b"] = d
    return d


def _deep_list(n):
    x = "原始创新"
    for _ in range(n):
        x = [x]
    return x


def _shared_list(n):
    x = ["原始创新"]
    for _ in range(n):
        x = [x, x]
    return x


def _cli(*args):
    """``python -m casekit ARGS`` in this process: a non-zero exit is the message it printed (as a
    CasekitError, so the corpus checks its length and that it says what to do); a traceback escapes."""
    import contextlib
    import io

    from casekit.__main__ import main

    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        rc = main(list(args))
    if rc:
        raise CasekitError(err.getvalue().strip().removeprefix("casekit: "))
    return {"exit": rc, "said": out.getvalue()[-200:]}


def _notebook_dir(content) -> str:
    """A folder with one notebook ``a.ipynb`` holding ``content`` (JSON; a str as is; None a FIFO;
    "link-out" a link to a file outside the folder)."""
    root = Path(tempfile.mkdtemp(dir=TMP))
    nb = root / "a.ipynb"
    if content is None:
        os.mkfifo(nb)
    elif content == "link-out":
        os.symlink(TMP / "outside.txt", nb)
    else:
        nb.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return str(root)


def _handout_dir(kind: str) -> str:
    """A folder where one path the notebook copy writes is wrong in the way ``kind`` says."""
    root = Path(tempfile.mkdtemp(dir=TMP))
    first = root / "00_start_here.ipynb"
    if kind == "folder":
        first.mkdir()
    elif kind == "pipe":
        os.mkfifo(first)
    elif kind == "dangling":
        os.symlink(root / "gone" / "x.ipynb", first)
    elif kind == "link-out":
        os.symlink(TMP / "outside.txt", first)
    elif kind == "exercises-file":
        (root / "exercises").write_text("x", encoding="utf-8")
    elif kind == "record-pipe":
        os.mkfifo(root / ".casekit-notebooks.json")
    return str(root)


def _unchanged_outside(call):
    """Run ``call``; the file outside the folders (the target of planted links) must be untouched."""
    try:
        return call()
    finally:
        assert (TMP / "outside.txt").read_text(encoding="utf-8") == "not yours", "wrote through a link"


def _language_from(folder: str):
    from casekit import settings

    return (settings.chosen_language(environ={}, folder=TMP / folder),)


def _stages_with(k: int, **changes):
    stages = [dict(s) for s in _case_with()["stages"]]
    stages[k].update(changes)
    return stages


def _nest(n):
    d = "x"
    for _ in range(n):
        d = {"a": d}
    return d


def _selfref():
    raw = _case_with()
    raw["activities"] = [raw]
    return raw


def _afs():
    from casekit.collaboration_widgets import alternative_from_settings

    return alternative_from_settings


def _sw():
    import casekit.collaboration_widgets as m

    return m


def _cw():
    import casekit.cost_curves_widgets as m

    return m


def _lw():
    import casekit.landscape_widgets as m

    return m


def _pw():
    import casekit.six_paths_widgets as m

    return m


class _StageCtl:
    """The stage explorer with its stage-2 controls at top level (for _widget_value)."""

    def __init__(self):
        self.inner = _stages()
        self.controls = self.inner.stage_controls[2]

    @property
    def last_problem(self):
        return self.inner.last_problem


def _stages_ctl():
    return _StageCtl()


def _boundary_ctl():
    s = _StageCtl()
    s.controls = s.inner.boundaries
    return s


def test_the_corpus_is_big_enough():
    assert len(CASES) >= 150
    assert len({c[0] for c in CASES}) == len(CASES), "case ids must be unique"


# "says what to do": an instruction, or the valid values spelled out (an example, the allowed values)
ACTION_WORDS = re.compile(
    r"\b(use|give|pass|choose|call|check|put|write|remove|pick|try|start|save|type|fix|list|swap|set|add|"
    r"replace|declare|load|make|open|select|widen|compare|see|keep|reset|draw)\b|e\.g\.|\ballowed\b|"
    r"\bone of\b|\bmust\b|\btakes\b|\bneeds?\b", re.I)
BAD_NUMBER = re.compile(r"(?<![\w.])(-?inf|nan|NaN|-?Infinity)(?![\w])")


class _Timeout(Exception):
    pass


def _alarm(_sig, _frame):
    raise _Timeout()


def _finite(x, where="result", depth=0):
    """No inf/NaN in a number the caller would show."""
    if depth > 4:
        return
    if isinstance(x, bool) or x is None:
        return
    if isinstance(x, (int, float, np.integer, np.floating)):
        assert math.isfinite(float(x)), f"{where} is {x}"
    elif isinstance(x, np.ndarray) and x.dtype.kind in "fc":
        assert np.isfinite(x).all(), f"{where} has inf/NaN"
    elif isinstance(x, pd.DataFrame):
        num = x.select_dtypes("number")
        if num.size:
            assert np.isfinite(num.to_numpy(dtype=float, na_value=0.0)).all(), f"{where} has inf/NaN"
    elif isinstance(x, (tuple, list)):
        for i, v in enumerate(x[:50]):
            _finite(v, f"{where}[{i}]", depth + 1)
    elif hasattr(x, "__dataclass_fields__"):
        for k in x.__dataclass_fields__:
            _finite(getattr(x, k, None), f"{where}.{k}", depth + 1)


@pytest.mark.timeout(60, method="thread")  # a fallback; the SIGALRM below is the real bound
@pytest.mark.parametrize("name,call,expected", CASES, ids=[c[0] for c in CASES])
def test_malformed_input(name, call, expected):
    casekit.set_language("en")
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(10)                        # a hang (the alias bomb used to) fails here, not at 900 s
    t0 = time.perf_counter()
    try:
        result = call()
        error = None
    except CasekitError as exc:
        result, error = None, exc
    except _Timeout:
        pytest.fail(f"{name}: no answer within 10 s")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    elapsed = time.perf_counter() - t0
    assert elapsed < 10
    if error is not None:
        msg = str(error)
        assert expected in (ERR, ANY), f"{name}: expected a result, got CasekitError: {msg[:300]}"
        assert 0 < len(msg) <= 500, f"{name}: message of {len(msg)} characters"
        assert ACTION_WORDS.search(msg), f"{name}: the message does not say what to do: {msg}"
        return
    assert expected in (OK, ANY), f"{name}: expected a CasekitError, got {type(result).__name__}"
    _finite(result)
    if isinstance(result, str):             # a widget's readout line
        assert len(result) <= 500 and ACTION_WORDS.search(result), result
    shown = repr(result)                    # displaying the result must work, and show no inf/NaN
    if not isinstance(result, (pd.DataFrame, str)):   # a readout line may name the bad input ("nan is not a number")
        assert not BAD_NUMBER.search(shown), f"{name}: shows {BAD_NUMBER.search(shown).group()}"


ZH_CASES = ["codebook(list)", "table(None)", "table(columns=['nope'])", "load_dataset(5 MB)",
            "load_case(binary file)", "load_case(alias bomb)", "load_case(5,000-deep brackets)", "load_case(directory)",
            "with_stages([1, 2])", "borrow(1, 5, 1)", "evaluate(alt, actual=42)", "outputs(10**10)",
            "learning_curve(n=-5)", "minimum_average_cost(100, 20, 0)", "average_cost(q, nan, ...)",
            "claims(source_types=5)", "source_quality_summary(other table)", "advise(capital=2.5)",
            "save(fig, /proc)", "save(fig, int path)", "cost slider 'abc'", "cost range inverted",
            "advisor slider 2.5", "lens sort_by 'nope'", "stage explorer business model 'abc'",
            "save_case(None)", "save_case(under a file)", "exhibit_table(None)",
            "exhibit_table(where names an unknown column)", "decision case file: unit: twice",
            "decision case file: latin-1", "normalize_answer(self-referencing list)",
            "normalize_answer(5,000-deep list)", "language zh DIR: 'cells': 5", "notebooks ''",
            "notebooks --force through a link out of DIR", "load_case(stages in reverse order)",
            "load_case(overlapping years)", "load_case(firm: twice)", "load_case(founded 2000-13)",
            "load_case(an activity reusing a catalogue id)"]


@pytest.mark.parametrize("name", ZH_CASES)
def test_messages_come_in_chinese_too(name):
    call = {c[0]: c[1] for c in CASES}[name]
    casekit.set_language("zh")
    try:
        try:
            msg = call()
        except CasekitError as exc:
            msg = str(exc)
    finally:
        casekit.set_language("en")
    assert re.search(r"[\u4e00-\u9fff]", msg), f"{name}: no Chinese in {msg!r}"


def test_load_case_refuses_a_device_a_pipe_and_a_terminal_at_once(tmp_path):
    """A student's q5_text = "/dev/ptmx" blocked the read for good and hung grading's tests step."""
    import os
    import time

    from casekit import collaboration as co

    fifo = tmp_path / "case.yaml"
    os.mkfifo(fifo)
    for source in ("/dev/ptmx", "/dev/zero", str(fifo)):
        t0 = time.monotonic()
        with pytest.raises(CasekitError, match="not a regular file"):
            co.load_case(source)
        assert time.monotonic() - t0 < 5


def test_import_casekit_with_a_pipe_or_dev_zero_as_settings_file_neither_hangs_nor_fails(tmp_path):
    """Every kernel reads the settings file at ``import casekit``: a FIFO or a link to /dev/zero in its
    place used to block the import for good; now it is English with one line saying why."""
    import subprocess
    import sys

    fifo, zero = tmp_path / "fifo", tmp_path / "zero"
    fifo.mkdir()
    zero.mkdir()
    os.mkfifo(fifo / "settings.json")
    os.symlink("/dev/zero", zero / "settings.json")
    for folder in (fifo, zero):
        env = {k: v for k, v in os.environ.items() if k != "CASEKIT_LANG"}
        env["CASEKIT_CONFIG_DIR"] = str(folder)
        r = subprocess.run([sys.executable, "-c", "import casekit; print(casekit.get_language())"],
                           capture_output=True, text=True, timeout=60, env=env)
        assert r.returncode == 0 and r.stdout.strip() == "en", r.stderr
        assert len(r.stderr.strip().splitlines()) == 1 and "not a regular file" in r.stderr, r.stderr
        assert "Traceback" not in r.stderr


# ==================================================================================================
# Issue 26 for issue 25: the live session's hostile inputs, in process (no server is started).
# The class store (casekit.live.ClassStore), the instructor's controls (the store's and
# LiveSession.act), the page data (LiveSession.state), delete_class, and the classroom's live flags
# (--class-folder, --instructor-token, --names, --class-name: checked as classroom.main checks them,
# _check_server_flags and then live_server.install). Each input gets one short CasekitError in both
# languages that says what to do (ERR), or the right result (OK: the helper asserts what is right).
# ==================================================================================================
import io
import sqlite3
import warnings
from types import SimpleNamespace

from casekit import live, live_server
from casekit.live import ClassStore

LIVE_UNIT, LIVE_POINT, LIVE_OPTION, LIVE_OTHER = "keda_zhongtu", "keda_2018_path", "trim_to_a_few", "one_industry"
_AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
HAN = re.compile(r"[\u3400-\u9fff]")
LATIN = re.compile(r"[A-Za-z]{3}")


def _live_dir(kind: str = "empty") -> Path:
    """A fresh folder under TMP, wrong in the way ``kind`` says (its store file, or the folder itself)."""
    root = Path(tempfile.mkdtemp(dir=TMP, prefix="live-"))
    db = root / live.STORE_NAME
    if kind == "file":
        (root / "notes.txt").write_text("x")
        return root / "notes.txt"
    if kind == "dangling":
        os.symlink(root / "gone", root / "link")
        return root / "link"
    if kind == "fifo":
        os.mkfifo(root / "pipe")
        return root / "pipe"
    if kind == "readonly":
        root.chmod(0o500)
    elif kind == "garbage":
        db.write_bytes(bytes(range(256)) * 16)
    elif kind == "sqlite-garbage":
        db.write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 16)
    elif kind == "store-dangling":
        os.symlink(root / "elsewhere.sqlite3", db)
    elif kind == "store-fifo":
        os.mkfifo(db)
    elif kind == "store-zero":
        os.symlink("/dev/zero", db)
    elif kind == "store-folder":
        db.mkdir()
    elif kind != "empty":
        con = sqlite3.connect(db)
        try:
            _CORRUPT[kind](con)
            con.commit()
        finally:
            con.close()
    return root


def _record(con, **row):
    """A store with the class record ``row`` (the rest as casekit made it)."""
    con.executescript(live._SCHEMA)
    con.execute("INSERT INTO casekit_schema VALUES ('casekit-live', ?)", (live.SCHEMA_VERSION,))
    values = {"one": 1, "class_id": "0123456789ab", "class_name": None, "secret": "ab" * 32, "names": 0,
              "created_at": "2025-01-01T00:00:00+08:00", **row}
    con.execute(f"INSERT INTO class_info ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
                tuple(values.values()))


_CORRUPT = {
    "foreign": lambda con: con.execute("CREATE TABLE grades (student TEXT, mark INTEGER)"),
    "schema-only": lambda con: (con.execute("CREATE TABLE casekit_schema (app TEXT, version INTEGER)"),
                                con.execute("INSERT INTO casekit_schema VALUES ('casekit-live', 1)")),
    "no-votes-table": lambda con: (_record(con), con.execute("DROP TABLE votes")),
    "schema-99": lambda con: (_record(con), con.execute("UPDATE casekit_schema SET version = 99")),
    "no-record": lambda con: (_record(con), con.execute("DELETE FROM class_info")),
    "secret-not-hex": lambda con: _record(con, secret="zz" * 32),
    "secret-short": lambda con: _record(con, secret="aa"),
    "class-id-cookie": lambda con: _record(con, class_id="a; Path=/x"),
    "name-blob": lambda con: _record(con, class_name=b"\x00\xff"),
}


def _store(kind: str = "empty", **kw):
    return ClassStore(_live_dir(kind), **kw)


def _opened(*points: str, **kw):
    """A new class (kit cases) with voting open on ``points`` (default: the unit's first point), and a student."""
    s = _store(**kw)
    for p in points or (LIVE_POINT,):
        s.open_voting(LIVE_UNIT, p)
    return s, s.issue_student()


def _vote(sid=None, unit=LIVE_UNIT, point=LIVE_POINT, option=LIVE_OPTION, reason=""):
    s, own = _opened()
    return s.vote(own if sid is None else sid(s) if callable(sid) else sid, unit, point, option, reason=reason)


def _reason(reason, expected: str):
    """A vote with ``reason``: recorded, and the reason stored as ``expected`` (control, direction and
    invisible characters gone; markup kept as text); an empty one is no reason at all."""
    s, sid = _opened()
    ballot = s.vote(sid, LIVE_UNIT, LIVE_POINT, LIVE_OPTION, reason=reason)
    assert ballot.reason == expected, ballot.reason
    assert s.split(LIVE_UNIT, LIVE_POINT).total == 1
    assert [r.reason for r in s.reasons(LIVE_UNIT, LIVE_POINT)] == ([expected] if expected else [])
    return (ballot.reason,)


def _reason_refused_and_earlier_vote_kept(reason):
    s, sid = _opened()
    s.vote(sid, LIVE_UNIT, LIVE_POINT, LIVE_OTHER, reason="first")
    try:
        return s.vote(sid, LIVE_UNIT, LIVE_POINT, LIVE_OPTION, reason=reason)
    finally:
        mine = s.my_vote(sid, LIVE_UNIT, LIVE_POINT)
        assert (mine.option, mine.reason, mine.changes) == (LIVE_OTHER, "first", 0), mine


def _markup_and_formulas():
    """Reasons with markup and spreadsheet formulas: stored as written, escaped for HTML, defused in the CSV."""
    s, _ = _opened()
    written = ["<script>alert(1)</script>", "=cmd|' /C calc'!A0", "  +1+1", "-2+3", "@SUM(A1)", "=HYPERLINK(\"http://x\")"]
    for text in written:
        s.vote(s.issue_student(), LIVE_UNIT, LIVE_POINT, LIVE_OPTION, reason=text)
    assert sorted(r.reason for r in s.reasons(LIVE_UNIT, LIVE_POINT)) == sorted(t.strip() for t in written)
    assert "<script" not in live.escape_reason(written[0])
    buf = io.BytesIO()
    assert s.export_csv(buf) == len(written)
    import csv
    rows = list(csv.DictReader(io.StringIO(buf.getvalue().decode("utf-8-sig"))))
    cells = sorted(r["reason"] for r in rows)
    assert all(c.startswith("'") for c in cells if c[:1] in "=+-@"), cells
    assert not any(c.lstrip(" ").startswith(("=", "+", "-", "@")) for r in rows for c in r.values()), cells
    return (len(rows),)


def _twice():
    """Voting twice (and from a second kernel of the same page) changes the vote: one row, not two."""
    s, sid = _opened()
    s.vote(sid, LIVE_UNIT, LIVE_POINT, LIVE_OPTION, reason="first")
    again = ClassStore(s.folder).vote(sid, LIVE_UNIT, LIVE_POINT, LIVE_OTHER, reason="second")
    b = s.vote(sid, LIVE_UNIT, LIVE_POINT, LIVE_OTHER, reason="second")
    split = s.split(LIVE_UNIT, LIVE_POINT)
    assert (again.changes, b.changes, split.total, split.counts[LIVE_OTHER], split.counts[LIVE_OPTION]) == (1, 2, 1, 1, 0)
    buf = io.BytesIO()
    assert s.export_csv(buf) == 1
    return (split.total, b.changes)


def _class_name(value, expected):
    s = _store(class_name=value)
    assert s.class_name == expected, s.class_name
    assert ClassStore(s.folder, class_name=value).class_id == s.class_id     # the same name reopens it
    return (s.class_name,)


def _release_before_open():
    """Releasing case B before any voting: the B case is out and every point stays closed, so no vote counts."""
    s = _store()
    st = s.release_b(LIVE_UNIT)
    assert st.released and not any(p.open for p in st.points)
    return (st.released,)


def _show_before_open():
    s = _store()
    st = s.show_split(LIVE_UNIT, LIVE_POINT)
    p = st.point(LIVE_POINT)
    assert (p.shown, p.status, p.votes) == (True, "closed", 0)
    assert sum(s.split(LIVE_UNIT, LIVE_POINT).counts.values()) == 0
    return (p.shown,)


def _reset_twice():
    """Two resets in a row: two logged resets, round 3, voting closed, the votes of round 1 gone."""
    s, sid = _opened()
    s.vote(sid, LIVE_UNIT, LIVE_POINT, LIVE_OPTION)
    s.reset(LIVE_UNIT, LIVE_POINT)
    p = s.reset(LIVE_UNIT, LIVE_POINT).point(LIVE_POINT)
    assert (p.round, p.resets, p.status, p.votes) == (3, 2, "closed", 0)
    assert [e["detail"] for e in s.history(LIVE_UNIT) if e["action"] == "reset"] == \
        ["round=1 cleared=1", "round=2 cleared=0"]
    return (p.round,)


def _export_to(kind: str):
    s, sid = _opened()
    s.vote(sid, LIVE_UNIT, LIVE_POINT, LIVE_OPTION)
    target = Path(tempfile.mkdtemp(dir=TMP)) / "votes.csv"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "folder":
        target.mkdir()
    assert s.export_csv(target) == 1
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")
    return (target.name,)


def _garble(sid: str) -> str:
    return sid[:-2] + ("AA" if sid[-2:] != "AA" else "BB")


def _open_after_release():
    s = _store()
    s.release_b(LIVE_UNIT)
    return s.open_voting(LIVE_UNIT, LIVE_POINT)


def _vote_after(step: str):
    if step == "nothing":   # voting never opened
        s = _store()
        sid = s.issue_student()
    else:
        s, sid = _opened()
        {"close": lambda: s.close_voting(LIVE_UNIT, LIVE_POINT), "release": lambda: s.release_b(LIVE_UNIT),
         "reset": lambda: s.reset(LIVE_UNIT, LIVE_POINT)}[step]()
    try:
        return s.vote(sid, LIVE_UNIT, LIVE_POINT, LIVE_OPTION)
    finally:
        assert s.split(LIVE_UNIT, LIVE_POINT).total == 0


def _session(**kw):
    args = SimpleNamespace(**{"class_folder": str(_live_dir()), "class_name": None, "instructor_token": None,
                              "names": False, **kw})
    return live_server.install(args, "en", "student-token-1")


def _act(action, unit=LIVE_UNIT, point=LIVE_POINT):
    session = _session()
    try:
        session.act(action, unit, point)
    finally:
        assert session.store.split(LIVE_UNIT, LIVE_POINT).total == 0
    st = session.store.state(LIVE_UNIT)
    return (st.released, st.point(LIVE_POINT).status, st.point(LIVE_POINT).shown, st.point(LIVE_POINT).round)


def _act_is(action, expected, before=()):
    session = _session()
    for step in before:
        session.act(step, LIVE_UNIT, LIVE_POINT)
    session.act(action, LIVE_UNIT, LIVE_POINT)
    st = session.store.state(LIVE_UNIT)
    got = (st.released, st.point(LIVE_POINT).status, st.point(LIVE_POINT).shown, st.point(LIVE_POINT).round)
    assert got == expected, got
    return got


def _page_state(unit):
    session = _session()
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        data = session.state(unit)
    assert not seen, [str(w.message) for w in seen]      # a number is the unit's name to the page, without a note
    assert data["unit"] == LIVE_UNIT and data["points"][0]["id"] == LIVE_POINT
    return (data["unit"], data["version"])


def _delete(kind, confirm, right=False):
    folder = _live_dir(kind) if kind != "store" else _store().folder
    if right:
        confirm = "0123456789ab" if kind != "store" else ClassStore(folder).class_id
    removed = live.delete_class(folder, confirm=confirm)
    assert not (folder / live.STORE_NAME).exists() and folder.is_dir()
    return tuple(sorted(p.name for p in removed))


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _flags(*argv, student_token: str = "student-token-1"):
    """The classroom's live flags checked in process, as ``classroom.main`` checks them before Voilà starts:
    ``_check_server_flags``, then ``live_server.install``. A refusal must leave no new folder behind."""
    from casekit import classroom

    args = classroom._parser().parse_args(["--port", str(_free_port()), *argv])
    folder = Path(args.class_folder) if args.class_folder and "\x00" not in args.class_folder else None
    existed = folder is not None and os.path.lexists(folder)
    try:
        classroom._check_server_flags(args, "en")
        session = live_server.install(args, "en", args.token or student_token)
    except CasekitError:
        if folder is not None and not existed:
            assert not os.path.lexists(folder), f"a refused start left {folder} behind"
        raise
    if session is None:
        return (None,)
    assert session.store.verify_student(session.store.issue_student())
    return (session.store.class_name, session.store.names, session.created)


def _install(**kw):
    args = SimpleNamespace(**{"class_folder": None, "class_name": None, "instructor_token": None, "names": False, **kw})
    return live_server.install(args, "en", "student-token-1")


def _new(name: str = "cls") -> str:
    return str(Path(tempfile.mkdtemp(dir=TMP, prefix="live-")) / name)


def _unwritable() -> str:
    return str(_live_dir("readonly") / "cls")


_OTHER_CLASS = lambda s: _store().issue_student()                           
_GARBLED = lambda s: _garble(s.issue_student())
_OTHER_PURPOSE = lambda s: s.sign(s.issue_student().rsplit(".", 1)[0])      # signed, but not as a student id
_ROOT_SKIP = pytest.mark.skipif(_AS_ROOT, reason="root writes anywhere: a read-only folder cannot be tested as root")
_TOKEN16 = "instructor-key-1"

LIVE_CASES = [
    # ---------------------------------------------------------------- the class folder (ClassStore)
    ("ClassStore(None)", lambda: ClassStore(None), ERR),
    ("ClassStore(5)", lambda: ClassStore(5), ERR),
    ("ClassStore(b'x')", lambda: ClassStore(b"x"), ERR),
    ("ClassStore('')", lambda: ClassStore(""), ERR),
    ("ClassStore('   ')", lambda: ClassStore("   "), ERR),
    ("ClassStore(a file)", lambda: ClassStore(_live_dir("file")), ERR),
    ("ClassStore(a dangling link)", lambda: ClassStore(_live_dir("dangling")), ERR),
    ("ClassStore(a FIFO)", lambda: ClassStore(_live_dir("fifo")), ERR),
    ("ClassStore(under /proc, missing)", lambda: ClassStore("/proc/casekit-class"), ERR),
    ("ClassStore(/proc/self)", lambda: ClassStore("/proc/self"), ERR),
    ("ClassStore(NUL in the name)", lambda: ClassStore(str(TMP / "cls\x00x")), ERR),
    ("ClassStore(300-character name)", lambda: ClassStore(TMP / ("c" * 300)), ERR),
    ("ClassStore(5,000-character path)", lambda: ClassStore("/tmp/" + "c/" * 2500), ERR),
    ("ClassStore(create='yes')", lambda: ClassStore(_live_dir(), create="yes"), ERR),
    ("ClassStore(store: garbage bytes)", lambda: ClassStore(_live_dir("garbage")), ERR),
    ("ClassStore(store: SQLite header, then garbage)", lambda: ClassStore(_live_dir("sqlite-garbage")), ERR),
    ("ClassStore(store: another program's SQLite)", lambda: ClassStore(_live_dir("foreign")), ERR),
    ("ClassStore(store: a schema table only)", lambda: ClassStore(_live_dir("schema-only")), ERR),
    ("ClassStore(store: the votes table missing)", lambda: ClassStore(_live_dir("no-votes-table")), ERR),
    ("ClassStore(store: schema version 99)", lambda: ClassStore(_live_dir("schema-99")), ERR),
    ("ClassStore(store: no class record)", lambda: ClassStore(_live_dir("no-record")), ERR),
    ("ClassStore(store: a secret that is not hex)", lambda: ClassStore(_live_dir("secret-not-hex")), ERR),
    ("ClassStore(store: a 1-byte secret)", lambda: ClassStore(_live_dir("secret-short")), ERR),
    ("ClassStore(store: a class id that breaks a cookie)", lambda: ClassStore(_live_dir("class-id-cookie")), ERR),
    ("ClassStore(store: a class name that is bytes)", lambda: ClassStore(_live_dir("name-blob")), ERR),
    ("ClassStore(store: a dangling link)", lambda: _unchanged_link(_live_dir("store-dangling")), ERR),
    ("ClassStore(store: a FIFO)", lambda: ClassStore(_live_dir("store-fifo")), ERR),
    ("ClassStore(store: a link to /dev/zero)", lambda: ClassStore(_live_dir("store-zero")), ERR),
    ("ClassStore(store: a folder)", lambda: ClassStore(_live_dir("store-folder")), ERR),
    pytest.param("ClassStore(a read-only folder)", lambda: ClassStore(_live_dir("readonly")), ERR, marks=_ROOT_SKIP,
                 id="ClassStore(a read-only folder)"),
    # ---------------------------------------------------------------- class_name
    ("class_name=None (no name: right)", lambda: _class_name(None, None), OK),
    ("class_name=5", lambda: _store(class_name=5), ERR),
    ("class_name=''", lambda: _store(class_name=""), ERR),
    ("class_name=' \\n '", lambda: _store(class_name=" \n "), ERR),
    ("class_name=10,000 characters", lambda: _store(class_name="M" * 10_000), ERR),
    ("class_name=NUL only", lambda: _store(class_name="\x00"), ERR),
    ("class_name with NUL (dropped: right)", lambda: _class_name("MBA\x00 A", "MBA A"), OK),
    ("class_name with a newline (a space: right)", lambda: _class_name("MBA\nA", "MBA A"), OK),
    ("class_name with RTL override (dropped: right)", lambda: _class_name("\u202eMBA A", "MBA A"), OK),
    ("class_name of another class on reopening", lambda: ClassStore(_store(class_name="MBA A").folder,
                                                                    class_name="MBA B"), ERR),
    # ---------------------------------------------------------------- votes (the students' step)
    ("vote(unknown unit)", lambda: _vote(unit="nope"), ERR),
    ("vote(unit None)", lambda: _vote(unit=None), ERR),
    ("vote(unit 99)", lambda: _vote(unit=99), ERR),
    ("vote(unit nan)", lambda: _vote(unit=float("nan")), ERR),
    ("vote(unit 1 MB)", lambda: _vote(unit="u" * 10 ** 6), ERR),
    ("vote(unknown point)", lambda: _vote(point="nope"), ERR),
    ("vote(point None)", lambda: _vote(point=None), ERR),
    ("vote(point a list)", lambda: _vote(point=[LIVE_POINT]), ERR),
    ("vote(point a dict)", lambda: _vote(point={LIVE_POINT: 1}), ERR),
    ("vote(unknown option)", lambda: _vote(option="maybe"), ERR),
    ("vote(option None)", lambda: _vote(option=None), ERR),
    ("vote(option 5)", lambda: _vote(option=5), ERR),
    ("vote(option a list)", lambda: _vote(option=[LIVE_OPTION]), ERR),
    ("vote(option a dict)", lambda: _vote(option={LIVE_OPTION: 1}), ERR),
    ("vote(option bytes)", lambda: _vote(option=LIVE_OPTION.encode()), ERR),
    ("vote(reason None: no reason, right)", lambda: _reason(None, ""), OK),
    ("vote(reason 5)", lambda: _vote(reason=5), ERR),
    ("vote(reason bytes)", lambda: _vote(reason=b"because"), ERR),
    ("vote(reason 301 characters)", lambda: _reason_refused_and_earlier_vote_kept("理" * 301), ERR),
    ("vote(reason 1 MB)", lambda: _reason_refused_and_earlier_vote_kept("x" * 10 ** 6), ERR),
    ("vote(reason 300 characters: right)", lambda: _reason("理" * 300, "理" * 300), OK),
    ("vote(reason with NUL: dropped, right)", lambda: _reason("a\x00b", "ab"), OK),
    ("vote(reason only spaces: no reason, right)", lambda: _reason(" \n\t\u3000 ", ""), OK),
    ("vote(reason only zero-width: no reason, right)", lambda: _reason("\u200b\u200d\u2060\ufeff", ""), OK),
    ("vote(reason RTL override and zero-width: dropped, right)",
     lambda: _reason("\u200b\u202eevil\u202c text\u200b", "evil text"), OK),
    ("vote(reasons with <script> and =cmd| formulas: text, export defused)", _markup_and_formulas, OK),
    ("vote(student id forged)", lambda: _vote(sid="abc.def"), ERR),
    ("vote(student id garbled)", lambda: _vote(sid=_GARBLED), ERR),
    ("vote(student id empty)", lambda: _vote(sid=""), ERR),
    ("vote(student id None)", lambda: _vote(sid=lambda s: None), ERR),
    ("vote(student id 5)", lambda: _vote(sid=5), ERR),
    ("vote(student id bytes)", lambda: _vote(sid=lambda s: s.issue_student().encode()), ERR),
    ("vote(student id of another class)", lambda: _vote(sid=_OTHER_CLASS), ERR),
    ("vote(student id signed for another purpose)", lambda: _vote(sid=_OTHER_PURPOSE), ERR),
    ("vote(before voting opens)", lambda: _vote_after("nothing"), ERR),
    ("vote(after voting closed)", lambda: _vote_after("close"), ERR),
    ("vote(after case B is out)", lambda: _vote_after("release"), ERR),
    ("vote(after a reset)", lambda: _vote_after("reset"), ERR),
    ("vote twice (one vote, changed: right)", _twice, OK),
    # ---------------------------------------------------------------- the instructor's steps (the store)
    ("open_voting(unknown unit)", lambda: _store().open_voting("nope", LIVE_POINT), ERR),
    ("open_voting(unknown point)", lambda: _store().open_voting(LIVE_UNIT, "nope"), ERR),
    ("open_voting(point 5)", lambda: _store().open_voting(LIVE_UNIT, 5), ERR),
    ("close_voting(None, None)", lambda: _store().close_voting(None, None), ERR),
    ("show_split(shown=5)", lambda: _store().show_split(LIVE_UNIT, LIVE_POINT, 5), ERR),
    ("release_b(None)", lambda: _store().release_b(None), ERR),
    ("release_b(released='yes')", lambda: _store().release_b(LIVE_UNIT, "yes"), ERR),
    ("reset(unknown point)", lambda: _store().reset(LIVE_UNIT, "nope"), ERR),
    ("open_voting(after case B is out)", lambda: _open_after_release(), ERR),
    ("release_b before any voting (right: out, all closed)", _release_before_open, OK),
    ("show_split before any voting (right: shown, 0 votes)", _show_before_open, OK),
    ("reset twice (right: round 3, two resets logged)", _reset_twice, OK),
    ("set_names('yes')", lambda: _store().set_names("yes"), ERR),
    ("export_csv(42)", lambda: _store().export_csv(42), ERR),
    ("export_csv(.xlsx)", lambda: _store().export_csv(TMP / "votes.xlsx"), ERR),
    ("export_csv(a FIFO named votes.csv)", lambda: _export_to("fifo"), ERR),
    ("export_csv(a folder named votes.csv)", lambda: _export_to("folder"), ERR),
    ("export_csv(under a file)", lambda: _store().export_csv(_live_dir("file") / "votes.csv"), ERR),
    ("export_csv(NUL in the name)", lambda: _store().export_csv(str(TMP / "votes\x00.csv")), ERR),
    ("export_csv(a new .csv: right)", lambda: _export_to("new"), OK),
    # ---------------------------------------------------------------- the instructor's controls (LiveSession.act)
    ("act('explode')", lambda: _act("explode"), ERR),
    ("act(None)", lambda: _act(None), ERR),
    ("act(5)", lambda: _act(5), ERR),
    ("act(['open'])", lambda: _act(["open"]), ERR),
    ("act('OPEN')", lambda: _act("OPEN"), ERR),
    ("act('open', unknown unit)", lambda: _act("open", unit="nope"), ERR),
    ("act('open', unit None)", lambda: _act("open", unit=None), ERR),
    ("act('open', unit '../../etc/passwd')", lambda: _act("open", unit="../../etc/passwd"), ERR),
    ("act('open', unknown point)", lambda: _act("open", point="nope"), ERR),
    ("act('open', point None)", lambda: _act("open", point=None), ERR),
    ("act('open', point 5)", lambda: _act("open", point=5), ERR),
    ("act('open', point a list)", lambda: _act("open", point=[LIVE_POINT]), ERR),
    ("act('release', unit None)", lambda: _act("release", unit=None, point=None), ERR),
    ("act('release', unit 5)", lambda: _act("release", unit=5, point=None), ERR),
    ("act('release', unit a dict)", lambda: _act("release", unit={}, point=None), ERR),
    ("act('open') after release", lambda: _act_is("open", None, before=("release",)), ERR),
    ("act('release') before open (right)", lambda: _act_is("release", (True, "closed", False, 1)), OK),
    ("act('withdraw') before release (right: nothing to do)", lambda: _act_is("withdraw", (False, "closed", False, 1)), OK),
    ("act('show') before open (right)", lambda: _act_is("show", (False, "closed", True, 1)), OK),
    ("act('reset') twice (right: round 3)", lambda: _act_is("reset", (False, "closed", False, 3), before=("reset",)), OK),
    ("act('close') twice (right)", lambda: _act_is("close", (False, "closed", False, 1), before=("open", "close")), OK),
    # ---------------------------------------------------------------- the instructor's page data (LiveSession.state)
    ("state(None)", lambda: _session().state(None), ERR),
    ("state(5)", lambda: _session().state(5), ERR),
    ("state('')", lambda: _session().state(""), ERR),
    ("state('nope')", lambda: _session().state("nope"), ERR),
    ("state('../../etc/passwd')", lambda: _session().state("../../etc/passwd"), ERR),
    ("state(NUL)", lambda: _session().state("keda\x00"), ERR),
    ("state([])", lambda: _session().state([]), ERR),
    ("state(True)", lambda: _session().state(True), ERR),
    ("state(1 MB)", lambda: _session().state("u" * 10 ** 6), ERR),
    ("state(2: the unit's number, right)", lambda: _page_state(2), OK),
    ("state(' KEDA_ZHONGTU ': right)", lambda: _page_state(" KEDA_ZHONGTU "), OK),
    # ---------------------------------------------------------------- deleting a class
    ("delete_class(confirm wrong)", lambda: _delete("store", "nope"), ERR),
    ("delete_class(confirm None)", lambda: _delete("store", None), ERR),
    ("delete_class(confirm 5)", lambda: _delete("store", 5), ERR),
    ("delete_class(confirm True)", lambda: _delete("store", True), ERR),
    ("delete_class(folder None)", lambda: live.delete_class(None, confirm="x"), ERR),
    ("delete_class(no store)", lambda: _delete("empty", "x"), ERR),
    ("delete_class(garbage store)", lambda: _unchanged_store(_live_dir("garbage"), "x"), ERR),
    ("delete_class(store a FIFO)", lambda: _delete("store-fifo", "x"), ERR),
    ("delete_class(the right id: right)", lambda: _delete("store", None, right=True), OK),
    ("delete_class(a damaged store, the right id: right)", lambda: _delete("no-votes-table", None, right=True), OK),
    # ---------------------------------------------------------------- the classroom's live flags
    ("--instructor-token ''", lambda: _flags("--class-folder", _new(), "--instructor-token", ""), ERR),
    ("--instructor-token with a space", lambda: _flags("--class-folder", _new(), "--instructor-token", "abc def ghi jkl"), ERR),
    ("--instructor-token too short", lambda: _flags("--class-folder", _new(), "--instructor-token", "short-key"), ERR),
    ("--instructor-token = --token", lambda: _flags("--class-folder", _new(), "--instructor-token", _TOKEN16,
                                                      "--token", _TOKEN16), ERR),
    ("--instructor-token in Chinese", lambda: _flags("--class-folder", _new(), "--instructor-token", "教师口令" * 4), ERR),
    ("--instructor-token with a stray byte", lambda: _flags("--class-folder", _new(), "--instructor-token",
                                                              "instructor-key\udcff"), ERR),
    ("--instructor-token without --class-folder", lambda: _flags("--instructor-token", _TOKEN16), ERR),
    ("--names without --class-folder", lambda: _flags("--names"), ERR),
    ("--class-name without --class-folder", lambda: _flags("--class-name", "MBA A"), ERR),
    ("--class-folder a file", lambda: _flags("--class-folder", str(_live_dir("file"))), ERR),
    ("--class-folder under a file", lambda: _flags("--class-folder", str(_live_dir("file") / "cls")), ERR),
    ("--class-folder a FIFO", lambda: _flags("--class-folder", str(_live_dir("fifo"))), ERR),
    ("--class-folder a dangling link", lambda: _flags("--class-folder", str(_live_dir("dangling"))), ERR),
    ("--class-folder under /proc", lambda: _flags("--class-folder", "/proc/casekit-class"), ERR),
    ("--class-folder ''", lambda: _flags("--class-folder", ""), ERR),
    ("--class-folder '  '", lambda: _flags("--class-folder", "  "), ERR),
    ("--class-folder 300-character name", lambda: _flags("--class-folder", _new("c" * 300)), ERR),
    ("--class-folder holding another program's SQLite", lambda: _flags("--class-folder", str(_live_dir("foreign"))), ERR),
    ("--class-folder holding garbage as the store", lambda: _flags("--class-folder", str(_live_dir("garbage"))), ERR),
    pytest.param("--class-folder unwritable", lambda: _flags("--class-folder", _unwritable()), ERR, marks=_ROOT_SKIP,
                 id="--class-folder unwritable"),
    ("--class-name ''", lambda: _flags("--class-folder", _new(), "--class-name", ""), ERR),
    ("--class-name 10,000 characters", lambda: _flags("--class-folder", _new(), "--class-name", "M" * 10_000), ERR),
    ("--class-name of another class", lambda: _flags("--class-folder", str(_store(class_name="MBA A").folder),
                                                       "--class-name", "MBA B"), ERR),
    ("--names on an anonymous class", lambda: _flags("--class-folder", str(_store(names=False).folder), "--names"), ERR),
    ("--class-name with a newline (right: a space)", lambda: _flags("--class-folder", _new(), "--class-name", "MBA\nA"), OK),
    ("live flags all given (right)", lambda: _flags("--class-folder", _new(), "--instructor-token", _TOKEN16,
                                                      "--names", "--class-name", "MBA A"), OK),
    ("no live flags (right: no live session)", lambda: _flags(), OK),
    ("install(class_folder=NUL)", lambda: _install(class_folder="cls\x00x"), ERR),
    ("install(class_folder=5)", lambda: _install(class_folder=5), ERR),
    ("install(instructor_token=5)", lambda: _install(class_folder=_new(), instructor_token=5), ERR),
    ("install(instructor_token with a stray byte)", lambda: _install(class_folder=_new(),
                                                                    instructor_token="instructor-key\udcff"), ERR),
]


def _unchanged_link(folder: Path):
    """A store that is a link to nothing: refused, and nothing is created where the link points."""
    try:
        return ClassStore(folder)
    finally:
        assert not (folder / "elsewhere.sqlite3").exists(), "created the store through a dangling link"


def _unchanged_store(folder: Path, confirm):
    before = (folder / live.STORE_NAME).read_bytes()
    try:
        return live.delete_class(folder, confirm=confirm)
    finally:
        assert (folder / live.STORE_NAME).read_bytes() == before


def _live_case(c):
    return c if isinstance(c, type(pytest.param(None))) else pytest.param(*c, id=c[0])


def test_the_live_corpus_is_complete():
    names = [c.values[0] if hasattr(c, "values") else c[0] for c in LIVE_CASES]
    assert len(names) == len(set(names)), "case ids must be unique"
    assert len(names) >= 150


@pytest.mark.timeout(60, method="thread")  # a fallback; the SIGALRM below is the real bound
@pytest.mark.parametrize("name,call,expected", [_live_case(c) for c in LIVE_CASES])
def test_live_session_input(name, call, expected):
    """One bilingual CasekitError that says what to do, or the right result; never a raw exception or a hang."""
    casekit.set_language("en")
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(10)
    t0 = time.perf_counter()
    try:
        result, error = call(), None
    except CasekitError as exc:
        result, error = None, exc
    except _Timeout:
        pytest.fail(f"{name}: no answer within 10 s")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    assert time.perf_counter() - t0 < 10
    if error is None:
        assert expected == OK, f"{name}: accepted silently: {short_repr(result)}"
        return
    msg = str(error)
    assert expected == ERR, f"{name}: expected the right result, got CasekitError: {msg[:300]}"
    assert 0 < len(msg) <= 500, f"{name}: message of {len(msg)} characters"
    assert HAN.search(msg) and LATIN.search(msg), f"{name}: not in both languages: {msg}"
    assert "Traceback" not in msg and "cannot use (" not in msg, f"{name}: a raw error under the net: {msg}"
    assert LIVE_ACTION_WORDS.search(msg), f"{name}: the message does not say what to do: {msg}"


# the live session's messages also tell a student to shorten, reload or wait, and spell out the valid
# values as "such as ...", "True or False", "it has: ..."
LIVE_ACTION_WORDS = re.compile(ACTION_WORDS.pattern + r"|\b(shorten|reload|wait|say|delete|restore)\b|\bsuch as\b|"
                               r"\bTrue or False\b|\bit has:|\bthe controls are:", re.IGNORECASE)


def short_repr(value) -> str:
    text = repr(value)
    return text if len(text) < 200 else text[:199] + "…"
