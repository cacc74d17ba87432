"""The leak scan: nothing of a master's answers may reach a student's file.

A student version is scanned against its master for: solution text (lines in solution blocks,
values after ``# SOLUTION``), hidden tests (their code and messages), otter's markers, and, with
the master's own answer values, for answers hiding in what students can read: a public test that
compares with the answer (``x == 'infrastructure_sharing'``, ``n == 6``) and any test message that
states an answer. Every string in the notebook counts: cell sources, outputs and all metadata,
public-test bodies included.
"""
from __future__ import annotations

import ast
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..errors import CasekitError
from .manifest import load_manifest
from .plaindata import Unsupported, decode
from .masters import CONFIG as _CONFIG, EXERCISES, dist_folder, exercise_masters, source as _source

__all__ = ["Leak", "scan_for_leaks", "scan_built", "answer_atoms", "message_leaks"]

@dataclass(frozen=True)
class Leak:
    """A piece of the master that must not appear in the student version."""
    kind: str        # "solution", "hidden test", "marker"
    question: str
    text: str

    def __str__(self) -> str:
        return f"{self.kind} ({self.question or 'outside questions'}): {self.text[:120]!r}"


_RAW_BLOCK = re.compile(r"^\s*#\s*(BEGIN|END)\s+(QUESTION|SOLUTION|TESTS|PROMPT)\b", re.I)
_MARKERS = ["# BEGIN SOLUTION", "# END SOLUTION", "# BEGIN TESTS", "# BEGIN QUESTION",
            "BEGIN TEST CONFIG", "hidden: true", "# ASSIGNMENT CONFIG"]
_MIN_SECRET = 8  # shorter fragments ("6", "True") are not evidence of a leak


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _code_forms(text: str) -> set[str]:
    """A code fragment as written and as Python would print it back (otter re-quotes tests)."""
    forms = {_squash(text)}
    for mode in ("eval", "exec"):
        try:
            forms.add(_squash(ast.unparse(ast.parse(text.strip(), mode=mode))))
        except (SyntaxError, ValueError):
            continue
    return {f for f in forms if f}


def _master_parts(master: dict) -> tuple[list[tuple[str, str, str]], str]:
    """Secrets of a master as (kind, question, text), and all of its public text."""
    secrets: list[tuple[str, str, str]] = []
    public: list[str] = []
    question, stack = "", []
    for cell in master.get("cells", []):
        src = _source(cell)
        first = src.strip().splitlines()[0] if src.strip() else ""
        if cell.get("cell_type") == "raw":
            m = _RAW_BLOCK.match(first)
            if m:
                begin, block = m.group(1).upper() == "BEGIN", m.group(2).upper()
                if block == "QUESTION" and begin:
                    try:
                        question = str((yaml.safe_load(src.split("\n", 1)[1]) or {}).get("name", ""))
                    except (yaml.YAMLError, IndexError, AttributeError):
                        question = ""
                if begin:
                    stack.append(block)
                elif stack:
                    stack.pop()
                continue
            continue  # assignment config and other raw cells never reach students
        in_solution = "SOLUTION" in stack
        in_tests = "TESTS" in stack
        if in_tests and cell.get("cell_type") == "code":
            cfg = _CONFIG.match(src)
            conf = {}
            if cfg:
                try:
                    conf = yaml.safe_load(cfg.group(1)) or {}
                except yaml.YAMLError:
                    conf = {}
            body = src[cfg.end():] if cfg else src
            if conf.get("hidden"):
                secrets += [("hidden test", question, line) for line in body.splitlines() if line.strip()]
                if conf.get("failure_message"):
                    secrets.append(("hidden test", question, str(conf["failure_message"])))
                if conf.get("success_message"):
                    secrets.append(("hidden test", question, str(conf["success_message"])))
            else:
                public.append(body)
                public += [str(conf.get(k, "")) for k in ("failure_message", "success_message")]
            continue
        if cell.get("cell_type") != "code":
            (secrets.extend(("solution", question, line) for line in src.splitlines() if line.strip())
             if in_solution else public.append(src))
            continue
        block = False
        for line in src.splitlines():
            stripped = line.rstrip()
            if re.search(r"#\s*BEGIN SOLUTION", stripped):
                block = True
                continue
            if re.search(r"#\s*END SOLUTION", stripped):
                block = False
                continue
            marked = re.search(r"\s*#\s*SOLUTION(\s+NO PROMPT)?\s*$", stripped)
            if block or marked:
                text = stripped[:marked.start()] if marked else stripped
                # `x = value  # SOLUTION` keeps `x = ...` for the student; the value is the secret.
                assign = re.match(r"^\s*[\w.\[\]'\", ]+?\s*=(?!=)(.*)$", text) if marked else None
                secrets.append(("solution", question, assign.group(1) if assign else text))
            else:
                public.append(line)
    return secrets, "\n".join(public)


def _student_corpus(student: dict) -> str:
    """Everything a student can read in the notebook: sources, outputs, metadata (where otter
    keeps the public tests), with code also in Python's own re-printed form."""
    chunks: list[str] = []
    for cell in student.get("cells", []):
        src = _source(cell)
        chunks.append(src)
        if cell.get("cell_type") == "code":
            chunks += [f for line in src.splitlines() for f in _code_forms(line)]
        for out in cell.get("outputs", []) or []:
            chunks.append(json.dumps(out, ensure_ascii=False))
            for key in ("text",):
                if key in out:
                    chunks.append(_source({"source": out[key]}))
            for value in (out.get("data") or {}).values():
                chunks.append(_source({"source": value}) if isinstance(value, (str, list)) else "")
        chunks.append(json.dumps(cell.get("metadata", {}), ensure_ascii=False))

    def walk(node):
        if isinstance(node, dict):
            for v in node.values():
                yield from walk(v)
        elif isinstance(node, list):
            for v in node:
                yield from walk(v)
        elif isinstance(node, str):
            yield node

    for text in walk(student.get("metadata", {})):
        chunks.append(text)
        code = "\n".join(re.sub(r"^(>>>|\.\.\.) ?", "", ln) for ln in text.splitlines())
        chunks += [f for line in code.splitlines() for f in _code_forms(line)]
    return _squash("\n".join(chunks))


def scan_for_leaks(master: str | Path, student: str | Path, answers: dict | None = None,
                   questions: dict | None = None) -> list[Leak]:
    """Compare a generated student notebook with its master; return what leaked (empty = clean).

    A leak is a solution fragment (a line marked ``# SOLUTION``, a line inside a solution block, a
    written answer), a hidden test (its code or its messages), or an otter marker, found anywhere a
    student can read: cell sources, outputs or notebook metadata. Fragments shorter than 8
    characters, and fragments the master also shows outside its solutions (in a prompt, say), are
    not counted.
    """
    master_nb = json.loads(Path(master).read_text(encoding="utf-8"))
    student_nb = json.loads(Path(student).read_text(encoding="utf-8"))
    secrets, public = _master_parts(master_nb)
    public_forms = _squash(public) + "\n" + "\n".join(
        f for line in public.splitlines() for f in _code_forms(line))
    corpus = _student_corpus(student_nb)
    leaks: list[Leak] = []
    seen: set[tuple[str, str]] = set()
    for kind, question, text in secrets:
        forms = {f for f in _code_forms(text) if len(f) >= _MIN_SECRET}
        if not forms or any(f in public_forms for f in forms):
            continue
        if any(f in corpus for f in forms) and (kind, text) not in seen:
            seen.add((kind, text))
            leaks.append(Leak(kind, question, text.strip()))
    raw_sources = "\n".join(_source(c) for c in student_nb.get("cells", []))
    for marker in _MARKERS:
        if marker.lower() in raw_sources.lower():
            leaks.append(Leak("marker", "", marker))
    for line in raw_sources.splitlines():
        if re.search(r"#\s*SOLUTION(\s+NO PROMPT)?\s*$", line):
            leaks.append(Leak("marker", "", line.strip()))
    if answers:
        leaks += _answer_leaks(master_nb, student_nb, answers, questions or {})
    return leaks


# --------------------------------------------------------------------------------------------
# answers hiding in public tests and messages
# --------------------------------------------------------------------------------------------

_SPLIT = re.compile(r"\s*(?:[,，、;；/|]|\bor\b|或)\s*")


def answer_atoms(value, out: set | None = None, depth: int = 0) -> set:
    """The strings (3+ characters) and numbers (other than 0, ±1) an answer is made of."""
    out = set() if out is None else out
    if depth > 6:
        return out
    if isinstance(value, bool) or value is None or value is Ellipsis:
        return out
    if isinstance(value, str):
        if len(value.strip()) >= 3:
            out.add(value.strip())
    elif isinstance(value, (int, float)):
        if math.isfinite(value) and value not in (0, 1, -1):
            out.add(float(value))
    elif isinstance(value, dict):
        for v in value.values():
            answer_atoms(v, out, depth + 1)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for v in value:
            answer_atoms(v, out, depth + 1)
    return out


def _labels(atom: str) -> set[str]:
    """An id's display labels (zh/en) from the glossary, where the kit has one."""
    try:
        from casekit import glossary   # optional: the glossary module

        row = glossary.term(atom)
        return {str(row[k]) for k in ("zh", "en") if k in row and str(row[k]).strip()}
    except Exception:
        return set()


def _number_forms(x: float) -> set[str]:
    forms = {f"{x:g}", repr(x)}
    if float(x).is_integer():
        forms.add(str(int(x)))
    for d in (1, 2, 3, 4):
        forms.add(f"{x:.{d}f}")
    return {f for f in forms if f not in ("0", "1", "-1", "0.0", "1.0")}


def _mentions(text: str, atom) -> bool:
    if isinstance(atom, float):
        return any(re.search(rf"(?<![\w.]){re.escape(f)}(?![\w]|\.\d)", text) for f in _number_forms(atom))
    if re.fullmatch(r"[\x00-\x7f]+", atom):
        return re.search(rf"(?<![\w]){re.escape(atom)}(?![\w])", text, re.I) is not None
    return atom in text


def message_leaks(message: str, atoms: set, prompt: str = "") -> list:
    """The answer atoms ``message`` states. A menu of three or more choices that includes the
    answer ("use a, b or c") is not a leak, nor is a number the question's own prompt gives."""
    found = []
    for atom in atoms:
        forms = [atom] + (sorted(_labels(atom)) if isinstance(atom, str) else [])
        if not any(_mentions(message, f) for f in forms):
            continue
        if isinstance(atom, float) and _mentions(prompt, atom):
            continue
        if isinstance(atom, str):
            parts = [p for p in _SPLIT.split(message) if p.strip()]
            if len(parts) >= 3 and sum(any(_mentions(p, f) for f in forms) for p in parts) == 1:
                continue
        found.append(atom)
    return found


def _literal(node):
    try:
        return ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None


def _public_test_leaks(code: str, atoms: set, prompt: str) -> list:
    """Comparisons in a public test with a literal that is (or holds) an answer atom."""
    body = "\n".join(re.sub(r"^(>>>|\.\.\.) ?", "", ln) for ln in code.splitlines())
    try:
        tree = ast.parse(body)
    except SyntaxError:
        return []
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            for side in [node.left, *node.comparators]:
                lit = _literal(side)
                if lit is None:
                    continue
                for atom in answer_atoms(lit):
                    if atom in atoms and not (isinstance(atom, float) and _mentions(prompt, atom)):
                        single_menu = isinstance(lit, (set, frozenset, list, tuple)) and len(lit) >= 3 \
                            and any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops)
                        if not single_menu:
                            found.append(atom)
        elif isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
                and not isinstance(node.value, bool):
            v = float(node.value)
            if v in atoms and not _mentions(prompt, v):
                found.append(v)
    return found


def _question_prompts(master: dict) -> dict[str, str]:
    prompts: dict[str, str] = {}
    question, stack = "", []
    for cell in master.get("cells", []):
        src = _source(cell)
        first = src.strip().splitlines()[0] if src.strip() else ""
        if cell.get("cell_type") == "raw":
            m = _RAW_BLOCK.match(first)
            if m:
                begin, block = m.group(1).upper() == "BEGIN", m.group(2).upper()
                if block == "QUESTION" and begin:
                    try:
                        question = str((yaml.safe_load(src.split("\n", 1)[1]) or {}).get("name", ""))
                    except (yaml.YAMLError, IndexError, AttributeError):
                        question = ""
                (stack.append(block) if begin else stack and stack.pop())
            continue
        if question and "SOLUTION" not in stack and "TESTS" not in stack:
            prompts[question] = prompts.get(question, "") + "\n" + src
    return prompts


def _master_tests(master: dict):
    """(question, hidden, body, config) for every test cell of a master."""
    question, stack = "", []
    for cell in master.get("cells", []):
        src = _source(cell)
        first = src.strip().splitlines()[0] if src.strip() else ""
        if cell.get("cell_type") == "raw":
            m = _RAW_BLOCK.match(first)
            if m:
                begin, block = m.group(1).upper() == "BEGIN", m.group(2).upper()
                if block == "QUESTION" and begin:
                    try:
                        question = str((yaml.safe_load(src.split("\n", 1)[1]) or {}).get("name", ""))
                    except (yaml.YAMLError, IndexError, AttributeError):
                        question = ""
                (stack.append(block) if begin else stack and stack.pop())
            continue
        if "TESTS" in stack and cell.get("cell_type") == "code":
            cfg = _CONFIG.match(src)
            conf = {}
            if cfg:
                try:
                    conf = yaml.safe_load(cfg.group(1)) or {}
                except yaml.YAMLError:
                    conf = {}
            yield question, bool(conf.get("hidden")), (src[cfg.end():] if cfg else src), conf


def _answer_leaks(master: dict, student: dict, answers: dict, questions: dict) -> list[Leak]:
    """``answers``: answer name -> the master's value; ``questions``: question -> its answer names."""
    by_q = {q: set().union(*[answer_atoms(answers.get(n)) for n in names]) if names else set()
            for q, names in questions.items()}
    every = set().union(*by_q.values()) if by_q else set()
    prompts = _question_prompts(master)
    leaks: list[Leak] = []
    # 1. public tests as the student file stores them (metadata.otter.tests)
    tests = ((student.get("metadata") or {}).get("otter") or {}).get("tests") or {}
    for qname, spec in tests.items() if isinstance(tests, dict) else []:
        atoms = by_q.get(qname, every)
        for suite in (spec or {}).get("suites", []) or []:
            for case in suite.get("cases", []) or []:
                for atom in _public_test_leaks(str(case.get("code", "")), atoms, prompts.get(qname, "")):
                    leaks.append(Leak("answer in a public test", qname, f"{atom!r} in {case.get('code', '')!r}"))
                for key in ("failure_message", "success_message"):
                    msg = str(case.get(key) or "")
                    for atom in message_leaks(msg, atoms, prompts.get(qname, "")):
                        leaks.append(Leak(f"answer in a public {key.replace('_', ' ')}", qname, f"{atom!r} in {msg!r}"))
    # 2. every test message of the master: failure messages never state the answer; success
    #    messages (shown only when right) never state another question's answer
    for qname, hidden, body, conf in _master_tests(master):
        own = by_q.get(qname, set())
        others = every - own
        fail = str(conf.get("failure_message") or "")
        for atom in message_leaks(fail, own | (others if not hidden else set()), prompts.get(qname, "")):
            leaks.append(Leak("answer in a failure message", qname, f"{atom!r} in {fail!r}"))
        ok = str(conf.get("success_message") or "")
        for atom in message_leaks(ok, others if hidden else every, prompts.get(qname, "")):
            if not _mentions(prompts.get(qname, ""), atom):
                leaks.append(Leak("answer in a success message", qname, f"{atom!r} in {ok!r}"))
    seen, unique = set(), []
    for leak in leaks:
        if (leak.kind, leak.question, leak.text) not in seen:
            seen.add((leak.kind, leak.question, leak.text))
            unique.append(leak)
    return unique


def scan_built(dist: str | Path | None = None, exercises: str | Path | None = None) -> dict[str, list[Leak]]:
    """Scan every notebook in ``dist/student`` against its master."""
    dist = dist_folder(dist)
    masters = {m.name: m for m in exercise_masters(exercises)}
    found = sorted((dist / "student").glob("*.ipynb"))
    if not found:
        raise CasekitError(f"No student versions in {dist / 'student'}. Build them first: "
                           "python -m casekit.instructor student")
    report = {}
    for nb in found:
        if nb.name not in masters:
            raise CasekitError(f"{nb} has no master of the same name in {exercises or EXERCISES}.")
        answers, questions = None, None
        try:
            body = load_manifest(dist, nb.stem)
            answers = {}
            for n, a in body.get("master_answers", {}).items():
                try:
                    answers[n] = decode(a["data"]) if "data" in a else None
                except Unsupported:
                    answers[n] = None
            questions = {q["name"]: q["answer_names"] for q in body["questions"]}
        except (FileNotFoundError, CasekitError):
            pass
        report[nb.name] = scan_for_leaks(masters[nb.name], nb, answers, questions)
    return report



