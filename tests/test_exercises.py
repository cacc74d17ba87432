"""Every exercise master passes `otter assign`, which also runs its tests against its solutions.

The assign itself runs once per session in conftest.py's ``built`` fixture (shared with the
instructor tests, so each master is built once, not twice).
"""
import json

import pytest
from conftest import MASTERS

from casekit.errors import CasekitError


def test_every_unit_has_a_master():
    names = {p.name for p in MASTERS}
    assert "00_start_here_exercises.ipynb" in names
    for unit in ("01_srdi_landscape", "02_keda_zhongtu", "03_qingdao_six_paths", "04_in_firm_cluster_costs"):
        assert f"{unit}_exercises.ipynb" in names, f"unit {unit} has no exercise master"


@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("master", MASTERS, ids=lambda p: p.name)
def test_otter_assign(built, master):
    dist, results = built
    result = results[master.name]
    if isinstance(result, CasekitError):
        pytest.fail(f"otter assign failed on {master.name}:\n{result}")
    assert result.student.exists() and result.autograder.exists()
    text = result.student.read_text(encoding="utf-8")
    assert "# SOLUTION" not in text and "BEGIN SOLUTION" not in text, "solutions leaked into the student version"
    assert "hidden: true" not in text, "hidden tests leaked into the student version"
    sources = ["".join(c["source"]) for c in json.loads(text)["cells"]]
    assert any(src.startswith("grader.check(") for src in sources), "the student version has no named checks"


# ------------------------------------------------------------------------------------------------
# The grading model (what the kit's grader relies on), checked on each master without a kernel:
# setup = code before the first question; answers = names assigned in solution blocks, exported as
# plain data; hidden tests hold every point and see only setup names and answers; public tests
# check form only, for 0 points; written answers are otter manual questions read by the instructor.
# ------------------------------------------------------------------------------------------------
import ast
import builtins
import warnings

import exercise_masters as em


def _bound_names(tree) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
    return names


def _loaded_names(tree) -> set[str]:
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


@pytest.fixture(scope="module", params=MASTERS, ids=lambda p: p.name)
def master(request):
    return em.parse(request.param)


@pytest.fixture(scope="module")
def solved(master):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return master, em.solution_answers(master)


def test_setup_is_self_contained_and_language_free(master):
    assert master.setup, f"{master.path.name}: no setup cells before the first question"
    for src in master.code_cells:
        assert "set_language" not in src, f"{master.path.name}: the language comes from the user's setting, not the notebook"


def test_points_live_in_hidden_tests(master):
    assert any(q.manual for q in master.questions), f"{master.path.name}: no written (manual) question"
    for q in master.questions:
        assert q.points > 0, f"{q.name}: a question without points"
        if q.manual:
            assert not q.tests, f"{q.name}: a written answer is read by the instructor, not tested"
            assert q.solution_markdown and not q.solution_code, f"{q.name}: the model answer is a markdown cell"
            continue
        assert q.hidden, f"{q.name}: no hidden test, so nothing decides correctness"
        assert all(t.points == 0 for t in q.public), f"{q.name}: a public (form) check carries points"
        for t in q.tests:
            assert t.failure_message, f"{q.name}: a test without a message naming the idea to revisit"
            assert all(isinstance(n, ast.Assert) or isinstance(n, (ast.Assign, ast.Import, ast.ImportFrom))
                       for n in ast.parse(t.body).body), f"{q.name}: tests are asserts (plus assignments, imports)"


def test_tests_use_only_setup_and_answer_names(master):
    """What the grader's fresh interpreter holds: setup names, answer names, what the test makes."""
    setup = set().union(*(_bound_names(ast.parse(s)) for s in master.setup))
    answers = set(master.answer_names)
    for q in master.questions:
        for t in q.tests:
            tree = ast.parse(t.body)
            unknown = _loaded_names(tree) - _bound_names(tree) - setup - answers - set(dir(builtins))
            assert not unknown, f"{q.name}: a test reads {sorted(unknown)}, which the grader does not export"


def test_answers_are_plain_data(solved):
    import numpy as np
    import pandas as pd

    from casekit.cost_curves import CostScenario

    master, answers = solved

    def plain(v):
        if v is None or isinstance(v, (bool, int, float, str, np.generic, np.ndarray, pd.Series, pd.DataFrame, CostScenario)):
            return True
        if isinstance(v, dict):
            return all(plain(k) and plain(x) for k, x in v.items())
        if isinstance(v, (list, tuple, set, frozenset)):
            return all(plain(x) for x in v)
        return False

    bad = {k: type(v).__name__ for k, v in answers.items() if not plain(v)}
    assert not bad, f"{master.path.name}: answers the grader cannot export as plain data: {bad}"


def test_solutions_get_full_marks_and_blanks_get_nothing(solved):
    master, answers = solved
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full = em.grade(master, answers)
        assert all(abs(s - p) < 1e-9 for s, p in full.values()), f"{master.path.name}: solutions lose points: {full}"
        for blank in (..., None):
            scores = em.grade(master, {k: blank for k in answers})
            assert sum(s for s, _ in scores.values()) == 0, f"{master.path.name}: a blank ({blank!r}) scores {scores}"


def test_no_answer_in_messages_or_public_checks(solved):
    master, answers = solved
    assert not em.leaked_answers(master, answers), f"{master.path.name}: a message states an answer"
    assert not em.public_literals(master, answers), f"{master.path.name}: a public check holds an answer"


def test_leak_scan_would_catch_the_old_leaks():
    """The scan is not blind: the leaks of the old masters (issue 12) are caught."""
    q = em.Question("q1", 1, False, solution_code=['q1_mechanism = "infrastructure_sharing"'])
    q.tests = [em.Test('assert q1_mechanism == "infrastructure_sharing"', False, 0, "Try again.", None),
               em.Test("assert True", True, None, "Solve 200/q = 5: the crossover is 40.", None)]
    m = em.Master(em.Path("x.ipynb"), [], [], [q])
    assert em.public_literals(m, {"q1_mechanism": "infrastructure_sharing"})
    assert em.leaked_answers(m, {"q1_mechanism": "infrastructure_sharing", "crossover_by_hand": 40.0})
    assert not em.leaks("see §3.1.1", 3.106)


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.parametrize("path", MASTERS, ids=lambda p: p.name)
def test_master_runs_top_to_bottom(path):
    """The master itself (solutions and tests included) runs in a fresh kernel with no error."""
    import nbformat
    from notebook_runner import execute

    nb = nbformat.read(path, as_version=4)
    execute(nb, path.name, path.parent)
    errors = [(i, o.get("ename"), o.get("evalue")) for i, c in enumerate(nb.cells) if c.cell_type == "code"
              for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, errors


# A wrong prediction in the right form, next to correct answers everywhere else (the confirm included).
WRONG_PREDICTIONS = {
    "00_start_here_exercises.ipynb": ("q2_predict_lead", {"rd_led_prediction": "zhongtu"}),
    "01_srdi_landscape_exercises.ipynb": ("q3_predict_peer_review", {"peer_reviewed_has_unsourced": False}),
    "02_keda_zhongtu_exercises.ipynb": ("q3_predict_capability", {"q3_capability": "trend_judgment", "q3_forms": True}),
    "03_qingdao_six_paths_exercises.ipynb": ("q4_argue", {"my_choice": "cross_border_ma"}),
    "04_in_firm_cluster_costs_exercises.ipynb": ("q3_predict_learning", {"learning_lowers_crossover": False}),
}


def test_a_wrong_prediction_loses_its_points_alone(solved):
    master, answers = solved
    assert master.path.name in WRONG_PREDICTIONS, f"{master.path.name}: no predict-then-confirm pair"
    question, wrong = WRONG_PREDICTIONS[master.path.name]
    names = [q.name for q in master.questions]
    assert question in names
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores = em.grade(master, {**answers, **wrong})
    assert scores[question][0] == 0, f"{question}: a wrong prediction still scores {scores[question]}"
    later = names[names.index(question) + 1]
    assert scores[later][0] == scores[later][1], f"{later}: the confirmation should not depend on the prediction"
    assert all(s == p for n, (s, p) in scores.items() if n != question)


def _in_chinese(value):
    """An answer with every glossary id replaced by its Chinese label (other values unchanged)."""
    from casekit import glossary

    if isinstance(value, str):
        return glossary.label(value, "zh")
    if isinstance(value, dict):
        return {_in_chinese(k): _in_chinese(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return type(value)(_in_chinese(v) for v in value)
    return value


def test_id_answers_are_accepted_in_chinese(solved):
    master, answers = solved
    zh = {k: _in_chinese(v) for k, v in answers.items()}
    changed = [k for k in answers if isinstance(answers[k], (str, list, tuple, set, dict)) and zh[k] != answers[k]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores = em.grade(master, zh)
    lost = {n: s for n, s in scores.items() if s[0] != s[1]}
    assert not lost, f"{master.path.name}: answers given as Chinese labels ({changed}) lose points: {lost}"


def test_grading_does_not_depend_on_the_display_language(solved):
    """The grader's interpreter may run in Chinese (the user's setting): same marks."""
    master, answers = solved
    casekit_module = __import__("casekit")
    casekit_module.set_language("zh")      # the autouse fixture puts English back afterwards
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores = em.grade(master, answers)
    assert all(abs(s - p) < 1e-9 for s, p in scores.values()), f"{master.path.name}: in Chinese: {scores}"
