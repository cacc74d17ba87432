"""A small exercise master for the grading tests, in otter's assign format.

It exercises every kind of answer the grader carries across the sandbox (a number, a dict of ids,
a casekit model object, a pandas table) and a written question, so the security tests do not
depend on the unit masters, which change with the course.
"""
from __future__ import annotations

import json
from pathlib import Path

import nbformat as nbf

NAME = "fx_grading_exercises"
MASTER_CANARY = "CANARY-MASTER-7f3a9c"   # only in a hidden test: must never reach a student or an output

_CONFIG = """# ASSIGNMENT CONFIG
name: fx_grading_exercises
init_cell: true
check_all_cell: false
export_cell:
    pdf: false
    instructions: "Save, then hand in. 保存后提交。"
solutions_pdf: false
tests:
    files: false
    ok_format: true"""


def _test(body: str, hidden: bool, failure: str, success: str | None = None, points: float | None = None) -> str:
    conf = [f"hidden: {'true' if hidden else 'false'}", f'failure_message: "{failure}"']
    if success:
        conf.append(f'success_message: "{success}"')
    if points is not None:
        conf.append(f"points: {points}")
    return '""" # BEGIN TEST CONFIG\n' + "\n".join(conf) + '\n""" # END TEST CONFIG\n' + body


def _question(name, points, prompt, solution, public, hidden, manual=False):
    cells = [nbf.v4.new_raw_cell(f"# BEGIN QUESTION\nname: {name}\npoints: {points}" + ("\nmanual: true" if manual else "")),
             nbf.v4.new_markdown_cell(prompt), nbf.v4.new_raw_cell("# BEGIN SOLUTION")]
    cells.append(nbf.v4.new_markdown_cell(solution) if manual else nbf.v4.new_code_cell(solution))
    cells.append(nbf.v4.new_raw_cell("# END SOLUTION"))
    if not manual:
        cells.append(nbf.v4.new_raw_cell("# BEGIN TESTS"))
        cells += [nbf.v4.new_code_cell(_test(b, False, f, points=0)) for b, f in public]
        cells += [nbf.v4.new_code_cell(_test(b, True, f, s)) for b, f, s in hidden]
        cells.append(nbf.v4.new_raw_cell("# END TESTS"))
    cells.append(nbf.v4.new_raw_cell("# END QUESTION"))
    return cells


def write_master(folder: Path) -> Path:
    nb = nbf.v4.new_notebook()
    cells = [nbf.v4.new_raw_cell(_CONFIG),
             nbf.v4.new_markdown_cell("# Grading fixture · 评分测试用练习"),
             nbf.v4.new_code_cell("import casekit\nfrom casekit import cost_curves as cc")]
    cells += _question(
        "q1_crossover", 2, "Q1: the crossover output when ΔF = 200, v = 25, s = 0.2.",
        "crossover = 200 / (25 * 0.2)  # SOLUTION",
        [("assert isinstance(crossover, (int, float))", "Store a number. · 请存一个数字。")],
        [("assert abs(crossover - cc.CostScenario(innovation_fixed_cost=200, variable_cost_before=25, "
          "variable_cost_saving=0.2).key_points().crossover) < 1e-6",
          "Revisit where the extra fixed cost per unit equals the saving per unit. · 回看每件新增固定成本与每件节约相等之处。",
          "Right. · 正确。")])
    cells += _question(
        "q2_modes", 3, "Q2: classify a, b, c as trajectory_following, platform_derivative or penetrative.",
        'modes = {"a": "trajectory_following", "b": "platform_derivative", "c": "penetrative"}  # SOLUTION',
        [("assert isinstance(modes, dict) and set(modes) == {'a', 'b', 'c'}", "A dict with keys a, b, c. · 键为 a、b、c 的字典。")],
        [("import hashlib\nassert hashlib.sha256(repr(sorted(modes.items())).encode()).hexdigest() == "
          "hashlib.sha256(repr(sorted({'a': 'trajectory_following', 'b': 'platform_derivative', "
          "'c': 'penetrative'}.items())).encode()).hexdigest()  # " + MASTER_CANARY,
          "Revisit the three modes' definitions. · 回看三种模式的定义。", None)])
    cells += _question(
        "q3_never", 2, "Q3: a CostScenario in which innovation never pays.",
        "never = cc.CostScenario(variable_cost_saving=0)  # SOLUTION",
        [("assert isinstance(never, cc.CostScenario)", "Store a cc.CostScenario. · 请存一个 cc.CostScenario。")],
        [("assert never.key_points().payoff == 'never' and never.innovation_fixed_cost > 0",
          "Revisit what makes the after-innovation curve lie above everywhere. · 回看何时创新后的曲线处处更高。", None)])
    cells += _question(
        "q4_table", 2, "Q4: the stages table with only the columns firm and order.",
        'table = casekit.load_dataset("stages")[["firm", "order"]]  # SOLUTION',
        [("import pandas as pd\nassert isinstance(table, pd.DataFrame)", "Store a table. · 请存一个表格。")],
        [("ref = casekit.load_dataset('stages')[['firm', 'order']]\n"
          "assert list(table.columns) == ['firm', 'order'] and table.reset_index(drop=True).astype(str).equals("
          "ref.reset_index(drop=True).astype(str))",
          "Select two columns of the stages table. · 选出 stages 表的两列。", None)])
    cells += _question("q5_why", 2, "Q5: explain in two sentences.",
                       "Because the fixed cost rises and nothing is saved per unit.", [], [], manual=True)
    nb.cells = cells
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{NAME}.ipynb"
    nbf.write(nb, str(path))
    return path


ANSWERS = {
    "crossover": "crossover = 40.0",
    "modes": 'modes = {"a": "trajectory_following", "b": "platform_derivative", "c": "penetrative"}',
    "never": "never = cc.CostScenario(variable_cost_saving=0)",
    "table": 'table = casekit.load_dataset("stages")[["firm", "order"]]',
}


def filled(handout: dict, answers: dict[str, str] | None = None, prepend: str | None = None,
           written: str | None = None) -> dict:
    """The handout with answer cells replaced and, optionally, a student cell before them."""
    nb = json.loads(json.dumps(handout))
    for cell in nb["cells"]:
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        for name, code in (answers or {}).items():
            if cell["cell_type"] == "code" and src.strip() == f"{name} = ...":
                cell["source"] = code
        if written is not None and cell["cell_type"] == "markdown" and "Type your answer" in src:
            cell["source"] = written
    if prepend:
        at = next(k for k, c in enumerate(nb["cells"]) if c["cell_type"] == "code" and "import casekit\n" in
                  ("".join(c["source"]) if isinstance(c["source"], list) else c["source"]))
        nb["cells"].insert(at + 1, {"cell_type": "code", "id": "attack", "metadata": {}, "outputs": [],
                                    "execution_count": None, "source": prepend})
    return nb
