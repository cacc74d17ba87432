"""Checks students run in an exercise notebook, in their language.

In a student version the checks test the *form* of an answer only (its type, the allowed ids,
its shape or range) and say so; whether it is right is decided when the work is graded. In a
self-study version (no instructor) the same cell runs the full correctness checks and shows the
hints. Both wrap otter-grader's own ``otter.Notebook``; the tests always run on the student's own
variables (the notebook's namespace), never on casekit's.

Before a question's tests run, each of its answers is looked at the way a student would want it
explained, in this order: a cell that raised (which error), an answer left as handed out (not
attempted), an answer of the wrong type (a tuple where a list is asked, a list where a set is, text
where a number is), and only then the content. The expected types come from the master's own
solutions (written into the check cell when the student version is built).

>>> from casekit.exercises import form_problem
>>> print(form_problem("q2_order", ("a", "b"), "list").en)
q2_order is a tuple (round brackets); write it as a list, in square brackets [ ].
>>> form_problem("q2_order", ["a", "b"], "list") is None
True
>>> print(form_problem("gap", "1.0", "number").zh)
gap 是文本（'1.0'）；请去掉引号，直接写数字。
"""
from __future__ import annotations

import ast
import html
import re
from dataclasses import dataclass
from typing import Any

from .i18n import t

__all__ = ["Checker", "CheckResult", "form_problem", "type_name"]

_NUMBER_TYPES = ("int", "float", "int64", "float64", "int32", "float32")


def type_name(value: Any) -> str:
    """The answer-spec type of ``value``: ``number``, ``bool``, ``str``, ``list``, ``tuple``, ``set``,
    ``dict``, ``DataFrame``, ``Series`` or the class name."""
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return "bool"
    name = type(value).__name__
    if name in _NUMBER_TYPES or (isinstance(value, (int, float))):
        return "number"
    if isinstance(value, str):
        return "str"
    if isinstance(value, (set, frozenset)):
        return "set"
    for kind in (list, tuple, dict):
        if isinstance(value, kind):
            return kind.__name__
    return name


@dataclass
class Problem:
    """One thing wrong with an answer, in both languages."""
    kind: str      # raised | undefined | not_attempted | type
    en: str
    zh: str

    @property
    def text(self) -> str:
        return t(self.en, self.zh)


_WRITE = {
    "list": ("write it as a list, in square brackets [ ]", "请写成列表，用方括号 [ ]"),
    "set": ("write it as a set, in braces { }", "请写成集合，用花括号 { }"),
    "tuple": ("write it as a tuple, in round brackets ( )", "请写成元组，用圆括号 ( )"),
    "dict": ("write it as a dict, {key: value, …}", "请写成字典，{键: 值, …}"),
    "str": ("write it as text, in quotes \"…\"", "请写成文本，加引号 \"…\""),
    "number": ("write the number without quotes", "请去掉引号，直接写数字"),
    "bool": ("write True or False, without quotes", "请写 True 或 False，不加引号"),
}
_NAMES = {
    "list": ("a list (square brackets)", "列表（方括号）"), "tuple": ("a tuple (round brackets)", "元组（圆括号）"),
    "set": ("a set (braces)", "集合（花括号）"), "dict": ("a dict", "字典"), "number": ("a number", "数字"),
    "bool": ("True or False", "布尔值 True 或 False"), "DataFrame": ("a DataFrame (a table)", "DataFrame（表格）"),
    "Series": ("a Series (one column)", "Series（一列）"), "NoneType": ("None", "None"),
}


def _shown(value: Any) -> str:
    try:
        text = repr(value)
    except Exception:
        text = f"<{type(value).__name__}>"
    return text if len(text) <= 40 else text[:39] + "…"


def form_problem(name: str, value: Any, expected: str) -> Problem | None:
    """What is wrong with the *type* of ``value`` for an answer that should be ``expected``, or None."""
    got = type_name(value)
    if got == expected or expected not in _WRITE and expected not in _NAMES:
        return None
    if got == "str":
        got_en, got_zh = f"text ({_shown(value)})", f"文本（{_shown(value)}）"
    else:
        got_en, got_zh = _NAMES.get(got, (f"a {got}", got))
    if expected in _WRITE:
        do_en, do_zh = _WRITE[expected]
    else:
        exp_en, exp_zh = _NAMES[expected]
        do_en, do_zh = f"it should be {exp_en}", f"应是 {exp_zh}" if exp_zh[:1].isascii() else f"应是{exp_zh}"
    return Problem("type", f"{name} is {got_en}; {do_en}.", f"{name} 是{got_zh}；{do_zh}。")


_NOT_ATTEMPTED = Problem("not_attempted", "", "")
_registered = None


class CheckResult:
    """What one ``grader.check("q1")`` found, shown as a short bilingual message."""

    def __init__(self, question: str, test_file, mode: str, problems: list[Problem] | None = None):
        self.question = question
        self.test_file = test_file
        self.mode = mode
        self.problems = list(problems or [])
        results = list(getattr(test_file, "test_case_results", []) or [])
        self.passed = not self.problems and bool(results) and all(r.passed for r in results)
        self.hints = list(dict.fromkeys(
            r.test_case.failure_message for r in results if not r.passed and r.test_case.failure_message))
        self.successes = list(dict.fromkeys(
            r.test_case.success_message for r in results if r.passed and r.test_case.success_message))

    @property
    def status(self) -> str:
        """``raised``, ``undefined``, ``not_attempted``, ``type``, ``content`` or ``ok``."""
        if self.problems:
            return self.problems[0].kind
        return "ok" if self.passed else "content"

    def _lines(self) -> tuple[str, list[str]]:
        q = self.question
        if self.problems:
            kind = self.problems[0].kind
            if kind == "raised":
                head = t(f"{q}: the cell with your answer raised an error, so it has no answer yet.",
                         f"{q}：写答案的单元格运行出错，所以还没有答案。")
            elif kind == "not_attempted":
                return (t(f"{q}: not attempted yet — replace ... with your answer and run that cell.",
                          f"{q}：还没有作答——把 ... 换成你的答案，并运行该单元格。"), [])
            elif kind == "undefined":
                head = t(f"{q}: the answer is not defined yet.", f"{q}：答案还没有定义。")
            else:
                head = t(f"{q}: the type of the answer is not right.", f"{q}：答案的类型不对。")
            return head, [p.text for p in self.problems]
        if self.passed and self.mode == "form":
            return (t(f"{q}: format OK — correctness is checked when your work is graded.",
                      f"{q}：格式正确。答案对不对，评分时才判定。"), [])
        if self.passed:
            return t(f"{q}: correct.", f"{q}：正确。"), [s for s in self.successes if not _is_format_note(s)]
        head = (t(f"{q}: the form is not right yet.", f"{q}：答案的形式还不对。")
                if self.mode == "form" else t(f"{q}: not yet.", f"{q}：还不对。"))
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


def _is_format_note(text: str) -> bool:
    return "Format OK" in text or "格式正确" in text


def _assigned_names(source: str) -> set[str]:
    """Names a cell assigns at its top level (by syntax; by pattern when it does not parse)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set(re.findall(r"^\s*([A-Za-z_]\w*)\s*(?:\[[^\]]*\])?\s*=(?!=)", source, flags=re.M))
    names: set[str] = set()
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target] if isinstance(node, (ast.AnnAssign, ast.AugAssign)) else []
        for target in targets:
            for sub in ast.walk(target):
                if isinstance(sub, ast.Name):
                    names.add(sub.id)
    return names


class Checker:
    """The ``grader`` of an exercise notebook: ``grader.check("q1")``, ``grader.export()``.

    ``mode="form"`` (student versions) or ``"selfstudy"`` (full checks, for learners alone).
    ``answers`` maps each question to its answer names and their expected types, e.g.
    ``{"q2_order_stages": {"q2_order": "list"}}`` (written by the build from the master's
    solutions). The tests run on the notebook's own variables.
    """

    def __init__(self, notebook: str, mode: str = "form", answers: dict[str, dict[str, str]] | None = None):
        import otter

        self._grader = otter.Notebook(notebook)
        self.notebook = notebook
        self.mode = mode
        self.answers = {q: dict(names) for q, names in (answers or {}).items()}
        self._raised: dict[str, tuple[str, str]] = {}
        self._ip = None
        try:
            from IPython import get_ipython

            self._ip = get_ipython()
        except ImportError:
            pass
        if self._ip is not None:
            global _registered
            if _registered is not None:     # the check cell run again: one watcher, not two
                try:
                    self._ip.events.unregister("post_run_cell", _registered)
                except ValueError:
                    pass
            self._ip.events.register("post_run_cell", self._after_cell)
            _registered = self._after_cell

    # -- what the student's cells did ------------------------------------------------------------
    def _after_cell(self, result) -> None:
        """Remember, per answer name, whether the last cell that assigns it raised."""
        try:
            source = result.info.raw_cell or ""
        except AttributeError:
            return
        watched = {n for names in self.answers.values() for n in names}
        touched = _assigned_names(source) & watched
        if not touched:
            return
        error = result.error_in_exec or result.error_before_exec
        for name in touched:
            if error is None:
                self._raised.pop(name, None)
            else:
                self._raised[name] = (type(error).__name__, str(error)[:200])

    def _env(self, env: dict | None = None) -> dict:
        if env is not None:
            return env
        if self._ip is not None:
            return self._ip.user_ns
        import inspect

        frame = inspect.currentframe()
        while frame is not None and frame.f_globals.get("__name__") == __name__:
            frame = frame.f_back
        return frame.f_globals if frame is not None else {}

    def problems(self, question: str, env: dict | None = None) -> list[Problem]:
        """What is wrong with the form of the answers to ``question`` before any test runs."""
        env = self._env(env)
        out: list[Problem] = []
        for name, expected in self.answers.get(question, {}).items():
            if name in self._raised:
                ename, evalue = self._raised[name]
                out.append(Problem("raised", f"The cell that sets {name} raised {ename}: {evalue}. Fix it and run it again.",
                                   f"设置 {name} 的单元格出错：{ename}: {evalue}。请改正后再运行。"))
            elif name not in env:
                out.append(Problem("undefined", f"{name} is not defined: run the cell where you write it.",
                                   f"{name} 还没有定义：请运行写答案的那个单元格。"))
            elif env[name] is Ellipsis:
                out.append(_NOT_ATTEMPTED)
            else:
                p = form_problem(name, env[name], expected)
                if p is not None:
                    out.append(p)
        order = {"raised": 0, "undefined": 1, "type": 2, "not_attempted": 3}
        out.sort(key=lambda p: order.get(p.kind, 9))
        if out and out[0].kind == "not_attempted" and any(p.kind != "not_attempted" for p in out):
            out = [p for p in out if p.kind != "not_attempted"]
        return out

    def check(self, question: str, global_env: dict | None = None) -> CheckResult:
        env = self._env(global_env)
        problems = self.problems(question, env)
        if problems:
            return CheckResult(question, None, self.mode, problems)
        return CheckResult(question, self._grader.check(question, env), self.mode)

    def check_all(self, global_env: dict | None = None) -> list[CheckResult]:
        env = self._env(global_env)
        names = list(self.answers) or sorted(getattr(getattr(self._grader, "_nbmeta_config", None), "tests", None) or {})
        return [self.check(q, env) for q in names]

    def export(self, *args, run_tests: bool = False, **kwargs):
        """otter's export (the zip that grading reads). With ``run_tests=True`` the notebook's own
        checks run first, on its own variables, and their summary is printed."""
        if run_tests:
            results = self.check_all()
            ok = sum(r.passed for r in results)
            print(t(f"Checks before export: {ok} of {len(results)} pass.", f"导出前的检查：{len(results)} 题中 {ok} 题通过。"))
            for r in results:
                if not r.passed:
                    print(repr(r))
        return self._grader.export(*args, run_tests=False, **kwargs)

    def __getattr__(self, name):
        return getattr(self._grader, name)
