"""A student in JupyterLab (1280×800, CASEKIT_LANG=zh) opens the Keda–Zhongtu handout, types three
answers — one right, one well-formed but wrong, one of the wrong type — runs the notebook and reads
the checks in Chinese. Screenshot: ``artifacts/screenshots/student_checks_zh.png``.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from browser_helpers import LabPage, LabServer, browser_unavailable_reason, launch

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(900)]
ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "artifacts" / "screenshots"
NAME = "02_keda_zhongtu_exercises.ipynb"

# What the student types into three answer cells (the first, second and fourth question).
TYPED = {
    "q1_construct": 'q1_construct = "研发深度参与式协同"\nq1_construct',                                    # right, in Chinese
    "q2_order": 'q2_order = ["technology_expansion", "marketing_driven_rd", "market_leading"]\nq2_order',  # wrong order
    "q4_not_formed": 'q4_not_formed = ["trend_judgment", "rule_building"]\nq4_not_formed',           # a list, not a set
}

JS_TYPE_INTO = """([name, text]) => {
  const nb = window.jupyterapp.shell.currentWidget.content;
  const cell = nb.widgets.find(c => c.model.type === 'code' && c.model.sharedModel.getSource().startsWith(name + ' = ...'));
  if (!cell) return -1;
  cell.node.scrollIntoView({block: 'center'});
  return nb.widgets.indexOf(cell);
}"""

JS_CHECK_OUTPUT = """q => {
  const nb = window.jupyterapp.shell.currentWidget.content;
  const cell = nb.widgets.find(c => c.model.type === 'code' && c.model.sharedModel.getSource().trim() === `grader.check("${q}")`);
  if (!cell) return null;
  cell.node.scrollIntoView({block: 'center'});
  return cell.outputArea.node.innerText;
}"""


def test_a_student_types_answers_runs_the_checks_and_reads_them_in_chinese(built, tmp_path):
    reason = browser_unavailable_reason()
    if reason:
        pytest.skip(f"BROWSER TESTS NOT RUN: {reason}")
    from playwright.sync_api import sync_playwright

    dist, results = built
    handout = results[NAME].student
    root = tmp_path / "student"
    root.mkdir()
    shutil.copy2(handout, root / NAME)
    server = LabServer(root, tmp_path / "state", env={"CASEKIT_LANG": "zh",
                                                       "CASEKIT_CONFIG_DIR": str(tmp_path / "cfg")}).start()
    SHOTS.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as pw:
            ctx = launch(pw, tmp_path / "chromium")
            page = ctx.new_page()
            lab = LabPage(page, server)
            lab.start()
            lab.open(NAME)
            for name, text in TYPED.items():
                index = page.evaluate(JS_TYPE_INTO, [name, text])
                assert index >= 0, f"no answer cell for {name}"
                editor = page.locator(".jp-Notebook .jp-Cell").nth(index).locator(".cm-content")
                editor.click()                                     # the student clicks into the cell
                page.keyboard.press("Control+A")
                page.keyboard.insert_text(text)                    # and types over the ...
                page.keyboard.press("Escape")
                page.wait_for_timeout(200)
            lab.run_all()
            shown = {q: page.evaluate(JS_CHECK_OUTPUT, q) for q in ("q1_code_evidence", "q2_order_stages", "q4_confirm")}
            page.evaluate(JS_CHECK_OUTPUT, "q4_confirm")
            page.wait_for_timeout(300)
            page.screenshot(path=str(SHOTS / "student_checks_zh.png"))
            ctx.close()
    finally:
        server.stop()
    assert "格式正确" in shown["q1_code_evidence"], shown
    assert "格式正确" in shown["q2_order_stages"], shown          # wrong, but only graded later
    assert "类型不对" in shown["q4_confirm"] and "集合" in shown["q4_confirm"], shown
    assert "form is not right" not in " ".join(shown.values())
