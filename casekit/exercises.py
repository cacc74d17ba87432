"""Checks students run in an exercise notebook, in their language.

In a student version the checks test the *form* of an answer only (its type, the allowed ids,
its shape or range) and say so; whether it is right is decided when the work is graded. In a
self-study version (no instructor) the same cell runs the full correctness checks and shows the
hints. Both wrap otter-grader's own ``otter.Notebook``.
"""
from __future__ import annotations

import html

from .i18n import t

__all__ = ["Checker", "CheckResult"]


class CheckResult:
    """What one ``grader.check("q1")`` found, shown as a short bilingual message."""

    def __init__(self, question: str, test_file, mode: str):
        self.question = question
        self.test_file = test_file
        self.mode = mode
        results = list(getattr(test_file, "test_case_results", []) or [])
        self.passed = bool(results) and all(r.passed for r in results)
        self.hints = list(dict.fromkeys(
            r.test_case.failure_message for r in results if not r.passed and r.test_case.failure_message))
        self.successes = list(dict.fromkeys(
            r.test_case.success_message for r in results if r.passed and r.test_case.success_message))

    def _lines(self) -> tuple[str, list[str]]:
        if self.passed and self.mode == "form":
            return (t(f"{self.question}: format OK — correctness is checked when your work is graded.",
                      f"{self.question}：格式正确。答案对不对，评分时才判定。"), [])
        if self.passed:
            return t(f"{self.question}: correct.", f"{self.question}：正确。"), self.successes
        head = (t(f"{self.question}: the form is not right yet.", f"{self.question}：答案的形式还不对。")
                if self.mode == "form" else t(f"{self.question}: not yet.", f"{self.question}：还不对。"))
        return head, self.hints or [t("Read the question again and check the type of your answer.",
                                      "请再读一遍题目，检查答案的类型。")]

    def __repr__(self) -> str:
        head, lines = self._lines()
        return "\n".join([head, *[f"  - {ln}" for ln in lines]])

    def _repr_html_(self) -> str:
        head, lines = self._lines()
        colour = "#1a7f37" if self.passed else "#9a6700"
        items = "".join(f"<li>{html.escape(str(ln))}</li>" for ln in lines)
        return (f"<div style='border-left:4px solid {colour};padding:4px 10px;max-width:100%;"
                f"overflow-wrap:anywhere'><strong>{html.escape(head)}</strong>"
                f"{f'<ul>{items}</ul>' if items else ''}</div>")


class Checker:
    """The ``grader`` of an exercise notebook: ``grader.check("q1")``, ``grader.export()``.

    ``mode="form"`` (student versions) or ``"selfstudy"`` (full checks, for learners alone).
    """

    def __init__(self, notebook: str, mode: str = "form"):
        import otter

        self._grader = otter.Notebook(notebook)
        self.mode = mode

    def check(self, question: str) -> CheckResult:
        return CheckResult(question, self._grader.check(question), self.mode)

    def export(self, *args, **kwargs):
        return self._grader.export(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._grader, name)
