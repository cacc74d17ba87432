"""Read an otter exercise master and grade it the way the kit's grader does, without a kernel.

The grading model the masters follow (and that this module checks):

* **Setup** = the master's code cells before the first ``# BEGIN QUESTION`` (imports, data loads).
* **Answer names** = every name assigned at top level in the code cells inside ``# BEGIN SOLUTION`` /
  ``# END SOLUTION`` (``x = ...`` and ``x[...] = ...`` both count as ``x``).
* **Hidden tests** hold all the points; they see only the setup names and the answer names.
* **Public tests** check form only and are worth 0 points.
* A ``manual: true`` question is a written answer with a markdown model answer and no tests.

``grade(master, answers)`` runs each question's hidden tests with otter's own runner
(``otter.test_files.OKTestFile``) on a fresh namespace holding the setup names plus ``answers``.
"""
from __future__ import annotations

import ast
import copy
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import yaml

_CONFIG = re.compile(r'^\s*"""\s*#\s*BEGIN TEST CONFIG\s*\n(.*?)\n\s*"""\s*#\s*END TEST CONFIG\s*\n?', re.S)


@dataclass
class Test:
    body: str
    hidden: bool
    points: float | None
    failure_message: str | None
    success_message: str | None


@dataclass
class Question:
    name: str
    points: float
    manual: bool
    solution_code: list[str] = field(default_factory=list)
    solution_markdown: list[str] = field(default_factory=list)
    tests: list[Test] = field(default_factory=list)
    prompt: str = ""             # the question's markdown outside the solution block

    @property
    def answer_names(self) -> list[str]:
        names: list[str] = []
        for src in self.solution_code:
            for node in ast.parse(src).body:
                targets = []
                if isinstance(node, ast.Assign):
                    targets = node.targets
                elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
                    targets = [node.target]
                for t in targets:
                    for n in _target_names(t):
                        if n not in names:
                            names.append(n)
        return names

    @property
    def hidden(self) -> list[Test]:
        return [t for t in self.tests if t.hidden]

    @property
    def public(self) -> list[Test]:
        return [t for t in self.tests if not t.hidden]


def _target_names(t) -> list[str]:
    if isinstance(t, ast.Name):
        return [t.id]
    if isinstance(t, (ast.Subscript, ast.Attribute)):
        return _target_names(t.value)
    if isinstance(t, (ast.Tuple, ast.List)):
        return [n for e in t.elts for n in _target_names(e)]
    if isinstance(t, ast.Starred):
        return _target_names(t.value)
    return []


@dataclass
class Master:
    path: Path
    setup: list[str]
    code_cells: list[str]        # every code cell that is not a test, in order (setup, handouts, solutions)
    questions: list[Question]

    @property
    def answer_names(self) -> list[str]:
        return [n for q in self.questions for n in q.answer_names]


def parse(path) -> Master:
    nb = nbformat.read(str(path), as_version=4)
    setup: list[str] = []
    code_cells: list[str] = []
    questions: list[Question] = []
    cur: Question | None = None
    block = None            # None, "solution", "tests"
    seen_question = False
    for cell in nb.cells:
        src = cell.source
        first = src.strip().splitlines()[0] if src.strip() else ""
        if cell.cell_type == "raw":
            if first.startswith("# BEGIN QUESTION"):
                cfg = yaml.safe_load(src.split("\n", 1)[1]) or {}
                cur = Question(cfg["name"], float(cfg.get("points", 0)), bool(cfg.get("manual", False)))
                questions.append(cur)
                seen_question = True
            elif first.startswith("# END QUESTION"):
                cur = None
            elif first.startswith("# BEGIN SOLUTION"):
                block = "solution"
            elif first.startswith("# BEGIN TESTS"):
                block = "tests"
            elif first.startswith("# END SOLUTION") or first.startswith("# END TESTS"):
                block = None
            continue
        if block == "solution" and cur is not None:
            if cell.cell_type == "code":
                cur.solution_code.append(src)
                code_cells.append(src)
            else:
                cur.solution_markdown.append(src)
        elif block == "tests" and cur is not None and cell.cell_type == "code":
            m = _CONFIG.match(src)
            cfg = yaml.safe_load(m.group(1)) if m else {}
            body = src[m.end():] if m else src
            cur.tests.append(Test(body.strip("\n"), bool(cfg.get("hidden", False)), cfg.get("points"),
                                  cfg.get("failure_message"), cfg.get("success_message")))
        elif cell.cell_type == "markdown" and cur is not None:
            cur.prompt += src + "\n"
        elif cell.cell_type == "code":
            code_cells.append(src)
            if not seen_question:
                setup.append(src)
    return Master(Path(path), setup, code_cells, questions)


def ok_test_file(question: Question, hidden_only: bool = True):
    """The question's tests as otter's own OKTestFile (the body converted as ``otter assign`` does)."""
    from otter.assign.utils import str_to_doctest
    from otter.test_files import OKTestFile

    tests = question.hidden if hidden_only else question.tests
    cases = []
    for t in tests:
        lines = str_to_doctest(ast.unparse(ast.parse(t.body)).split("\n"), [])
        case = {"code": "\n".join(lines), "hidden": t.hidden}
        if t.points is not None:
            case["points"] = t.points
        cases.append(case)
    spec = {"name": question.name, "points": question.points,
            "suites": [{"type": "doctest", "cases": cases}]}
    return OKTestFile.from_spec(spec, path=question.name)


def setup_namespace(master: Master) -> dict:
    ns: dict = {"__name__": "__main__"}
    for src in master.setup:
        exec(compile(src, f"<setup {master.path.name}>", "exec"), ns)
    return ns


def solution_answers(master: Master) -> dict:
    """Run the master top to bottom (setup, handout and solution cells; no tests) and collect the
    answer names."""
    import matplotlib
    matplotlib.use("Agg")
    ns: dict = {"__name__": "__main__"}
    for src in master.code_cells:
        exec(compile(_strip_magics(src), f"<{master.path.name}>", "exec"), ns)
    return {n: ns[n] for n in master.answer_names}


def _strip_magics(src: str) -> str:
    return "\n".join(l for l in src.splitlines() if not l.lstrip().startswith(("%", "!")))


def grade(master: Master, answers: dict) -> dict[str, tuple[float, float]]:
    """{question: (score, possible)} for the auto-graded questions, from the hidden tests only,
    in a fresh namespace of setup names plus ``answers``."""
    out = {}
    for question in master.questions:
        if question.manual:
            continue
        env = setup_namespace(master)
        env.update(copy.deepcopy(answers))
        tf = ok_test_file(question)
        tf.run(env)
        out[question.name] = (tf.score, question.points)
    return out


def messages(master: Master) -> list[tuple[str, str]]:
    """(question, message) for every failure and success message of every test."""
    return [(q.name, m) for q in master.questions for t in q.tests
            for m in (t.failure_message, t.success_message) if m]


def literal_values(value) -> list:
    """The strings and numbers inside a plain-data answer (DataFrames and arrays are skipped)."""
    if isinstance(value, (str, bool, int, float)):
        return [value]
    if isinstance(value, dict):
        return [x for k, v in value.items() for x in literal_values(k) + literal_values(v)]
    if isinstance(value, (list, tuple, set, frozenset)):
        return [x for v in value for x in literal_values(v)]
    try:
        import numpy as np
        if isinstance(value, np.generic):
            return [value.item()]
    except ImportError:
        pass
    return []


def leaks(text: str, value) -> bool:
    """Whether ``text`` states ``value``: an id or phrase (case-insensitive), or a number written
    the way a student would (only numbers that are not small integers, which occur everywhere)."""
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, str):
        v = value.strip().lower()
        return len(v) >= 3 and re.search(rf"(?<!\w){re.escape(v)}(?!\w)", text.lower()) is not None
    if isinstance(value, (int, float)):
        if float(value).is_integer() and abs(value) < 10:
            return False
        forms = {f"{value:g}", f"{value:.1f}", f"{value:.2f}", f"{value:.3f}"}
        if float(value).is_integer():
            forms.add(str(int(value)))
        return any(re.search(rf"(?<![\d.]){re.escape(f)}(?!\.?\d)", text) for f in forms)
    return False


def leaked_answers(master: Master, answers: dict) -> list[tuple[str, str, object]]:
    """(question, answer name, value) for each answer value that a test message states.

    A message may not state its own question's answers, nor another question's answers unless
    the message's own question already names that value in its prompt."""
    own = {q.name: set(q.answer_names) for q in master.questions}
    prompts = {q.name: q.prompt for q in master.questions}
    found = []
    for qname, msg in messages(master):
        for name, value in answers.items():
            for v in literal_values(value):
                if not leaks(msg, v):
                    continue
                if name in own[qname] or not leaks(prompts[qname], v):
                    found.append((qname, name, v))
    return found


def public_literals(master: Master, answers: dict) -> list[tuple[str, str, str]]:
    """(question, answer name, value) for each string answer written literally in a public test."""
    found = []
    for q in master.questions:
        for t in q.public:
            for name in q.answer_names:
                for v in literal_values(answers.get(name)):
                    if isinstance(v, str) and len(v) >= 2 and (repr(v) in t.body or f'"{v}"' in t.body):
                        found.append((q.name, name, v))
    return found
