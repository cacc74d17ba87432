"""The exercise keys in the teaching notes follow the exercise masters, and every stated count of
questions matches the master.

The notes once answered an older numbering ("第 7 题" answered 19.8 − 18.8 while today's Q9 asks for
Zhongtu's gap). Now each note's exercise-key section (练习解析与延伸 / Exercise analysis and what-ifs)
holds one item per question of ``notebooks/exercises/<unit>_exercises.ipynb``, in the master's order,
each opening with a fixed head::

    - **第 2 题 排列阶段**（`q2_order_stages`，1 分）：…
    - **Q2 Put the stages in order** (`q2_order_stages`, 1 point): …

The number is the question's position, the title is the master's own (its bold prompt title without
the trailing "(written answer …)" note), the name and points are the master's. For an autograded
question every **key value** must appear in the item's text after the head. The key values are what
the master's solutions compute (``exercise_masters.solution_answers``: setup, handout and solution
cells run in one namespace), read by these rules:

* numbers: the value rounded to 3, 2 or 1 decimals with trailing zeros stripped (0.129, 0.13, 0.1;
  86.60254 → 86.603, 86.6); integers as written (with or without thousands commas); a negative sign
  may be ``-`` or ``−``. A number inside another number, a decimal or a section mark (§4.5) does
  not count;
* booleans: ``True`` / ``False``, or a bold 是/否 (zh), **yes**/**no** (en);
* strings and ids: the string, its glossary id or the id's label in the note's language
  (``casekit.glossary.label``), case-insensitive; a string shorter than 3 ASCII characters only
  quoted (``"a"``, ```a```);
* a string that is a YAML mapping (a case file): each scalar leaf;
* lists: each element, in the list's order; sets: each element;
* dicts (and small numeric Series, as index → value; dataclasses, as the fields the solution sets
  away from the class defaults): each key (a one-letter key as a marker ``(a)``, ```a```, ``"a"``,
  ``**a**``), in order, with its value between it and the next key;
* DataFrames and longer Series: skipped (the questions that build them also store plain values).

A written (manual) question's item must say so (书面回答 / written answer) and say what a strong
answer contains (好的回答 / A strong answer).

The checker is shown to fail when a master changes and the note does not: every key value of every
question is altered in memory and must be reported, and a copy of each master with one solution
changed is run through the whole pipeline. The notes' old numbering is kept below as a fixture.
"""
from __future__ import annotations

import dataclasses
import re
from functools import lru_cache
from pathlib import Path

import nbformat
import pytest
import yaml

import exercise_masters as em

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = ROOT / "notebooks" / "exercises"
NOTES = ROOT / "teaching-notes"
STUDENT = ROOT / "casekit" / "_student"
UNITS = ["01_srdi_landscape", "02_keda_zhongtu", "03_qingdao_six_paths", "04_in_firm_cluster_costs"]
LANGS = ("zh", "en")

SECTION_KEY = {"zh": "练习解析", "en": "exercise analysis"}
DISCUSSION_KEY = {"zh": "启发思考题", "en": "discussion questions"}
HEAD = {
    "zh": re.compile(r"- \*\*第 (?P<n>\d+) 题 (?P<title>[^*]+?)\*\*（`(?P<name>\w+)`，"
                     r"(?P<points>\d+(?:\.\d+)?) (?P<unit>分)）："),
    "en": re.compile(r"- \*\*Q(?P<n>\d+) (?P<title>[^*]+?)\*\* \(`(?P<name>\w+)`, "
                     r"(?P<points>\d+(?:\.\d+)?) (?P<unit>points?)\): "),
}
PROMPT_TITLE = {"zh": re.compile(r"\*\*第 (\d+) 题 ?(.*?)\*\*"), "en": re.compile(r"\*\*Q(\d+)\.? ?(.*?)\*\*")}
CJK = re.compile(r"[\u4e00-\u9fff]")
WRITTEN = {"zh": ("书面回答", "好的回答"), "en": ("written answer", "a strong answer")}


# ------------------------------------------------------------------------------------ reading
def master_path(unit: str) -> Path:
    return EXERCISES / f"{unit}_exercises.ipynb"


@lru_cache(maxsize=None)
def master(unit: str) -> em.Master:
    return em.parse(master_path(unit))


@lru_cache(maxsize=None)
def answers(unit: str) -> dict:
    return em.solution_answers(master(unit))


def note(unit: str, lang: str) -> str:
    return (NOTES / f"{unit}.{lang}.md").read_text(encoding="utf-8")


def h2_sections(text: str) -> list[tuple[str, str]]:
    parts = re.split(r"^## +(.+)$", text, flags=re.M)
    return [(parts[i].strip(), parts[i + 1]) for i in range(1, len(parts), 2)]


def key_section(text: str, lang: str) -> str | None:
    found = [body for head, body in h2_sections(text) if SECTION_KEY[lang] in head.lower()]
    return found[0] if found else None


@dataclasses.dataclass
class Item:
    head: str
    body: str               # the text after the head
    match: re.Match | None  # None: the line starts an item but its head is malformed


def items(section: str, lang: str) -> list[Item]:
    """The section's list items: each starts with ``- `` at the start of a line."""
    out: list[Item] = []
    for chunk in re.split(r"^(?=- )", section, flags=re.M):
        if not chunk.startswith("- "):
            continue
        m = HEAD[lang].match(chunk)
        out.append(Item(chunk.splitlines()[0], flatten(chunk[m.end():] if m else chunk), m))
    return out


def flatten(text: str) -> str:
    """The text with its line breaks joined: no space between Chinese characters, one otherwise."""
    out = ""
    for line in (ln.strip() for ln in text.splitlines()):
        if not line:
            continue
        sep = "" if not out or (CJK.match(out[-1]) or CJK.match(line[0])) else " "
        out += sep + line
    return out


def prompt_title(question: em.Question, lang: str) -> tuple[int, str] | None:
    """The master's own number and title of a question, without a trailing "(written answer …)"."""
    m = PROMPT_TITLE[lang].search(question.prompt)
    if not m:
        return None
    title = m.group(2).strip().rstrip("。.").strip()
    title = re.sub(r"\s*[（(][^（()）]*[）)]$", "", title).strip().rstrip("。.：:").strip()
    return int(m.group(1)), title


@lru_cache(maxsize=1)
def _variants() -> tuple[tuple[str, str], ...]:
    from casekit.glossary import glossary

    pairs = [(v.strip(), str(r["zh"])) for _, r in glossary().iterrows()
             for v in str(r.get("zh_variants") or "").split("|") if v.strip()]
    return tuple(sorted(pairs, key=lambda p: -len(p[0])))


def same_title(title: str) -> str:
    """A title as compared: markers, HTML comments and quotation marks dropped, and a Chinese variant
    the glossary has replaced read as the kit's term (a master may still say 来源质量透镜 where the
    notes must say 按来源看可信度)."""
    t = re.sub(r"<!--.*?-->|\[\[\s*\w+\s*\]\]|[“”\"]", "", title).strip()
    for variant, term in _variants():
        t = t.replace(variant, term)
    return t


# ------------------------------------------------------------------------------------ key values
SKIP = object()


def key_value(value):
    """The checkable form of one answer: scalars, list (ordered), frozenset (unordered), dict; or SKIP."""
    import numpy as np
    import pandas as pd

    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        return value.item() if isinstance(value, np.generic) else value
    if isinstance(value, str):
        if ":" in value and (value.lstrip().startswith("{") or "\n" in value):
            try:
                data = yaml.safe_load(value)
            except yaml.YAMLError:
                data = None
            if isinstance(data, dict):
                return frozenset(x for x in em.literal_values(data))
        return value
    if isinstance(value, dict):
        out = {k: key_value(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v is not SKIP}
    if isinstance(value, (list, tuple)):
        return [v for v in (key_value(x) for x in value) if v is not SKIP]
    if isinstance(value, (set, frozenset)):
        return frozenset(v for v in (key_value(x) for x in value) if v is not SKIP)
    if isinstance(value, pd.Series):
        if len(value) <= 6 and pd.api.types.is_numeric_dtype(value.dtype):
            return {str(k): key_value(v) for k, v in value.items()}
        return SKIP
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        try:
            default = type(value)()
        except Exception:
            return SKIP
        changed = {f.name: key_value(getattr(value, f.name)) for f in dataclasses.fields(value)
                   if getattr(value, f.name) != getattr(default, f.name)}
        return changed or SKIP
    return SKIP


def key_values(question: em.Question, ans: dict) -> list[tuple[str, object]]:
    out = []
    for name in question.answer_names:
        kv = key_value(ans[name])
        if kv is not SKIP:
            out.append((name, kv))
    return out


# ------------------------------------------------------------------------------------ matching
def _fmt(x: float, nd: int) -> str:
    s = f"{x:.{nd}f}"
    return s.rstrip("0").rstrip(".") if "." in s else s


def number_patterns(x) -> list[re.Pattern]:
    x = float(x)
    a = abs(x)
    if a.is_integer():
        texts = {str(int(a)), f"{int(a):,}"}
    else:
        texts = {_fmt(round(a, nd), nd) for nd in (3, 2, 1)}
    sign = "[-−]" if x < 0 else ""
    return [re.compile(rf"(?<![\d.,§]){sign}{re.escape(t)}(?!\d|[.,]\d)") for t in sorted(texts)]


def _ascii_word(ch: str) -> bool:
    return ch.isascii() and (ch.isalnum() or ch == "_")


def string_patterns(value: str, lang: str) -> list[re.Pattern]:
    from casekit.glossary import label, normalize_id

    id_ = normalize_id(value)
    texts = {value.strip(), str(id_).strip()}
    if isinstance(id_, str):
        texts.add(label(id_, lang).strip())
    pats = []
    for t in sorted(t for t in texts if t):
        if len(t) < 3 and t.isascii():
            pats += [re.compile(re.escape(q + t + q)) for q in ('"', "'", "`")]
            continue
        left = r"(?<![A-Za-z0-9_])" if _ascii_word(t[0]) else ""
        right = r"(?![A-Za-z0-9_])" if _ascii_word(t[-1]) else ""
        pats.append(re.compile(left + re.escape(t) + right, re.I))
    return pats


def scalar_patterns(value, lang: str) -> list[re.Pattern]:
    if isinstance(value, bool):
        word = "True" if value else "False"
        bold = {"zh": "是" if value else "否", "en": "yes" if value else "no"}[lang]
        return [re.compile(rf"(?<![A-Za-z]){word}(?![A-Za-z])"), re.compile(rf"\*\*{bold}\*\*", re.I)]
    if isinstance(value, (int, float)):
        return number_patterns(value)
    return string_patterns(str(value), lang)


def key_patterns(key, lang: str) -> list[re.Pattern]:
    """How a dict key is written: a one-letter key as a marker, other keys as strings."""
    if isinstance(key, str) and len(key) < 3 and key.isascii():
        k = re.escape(key)
        return [re.compile(p) for p in (rf"\({k}\)", rf"（{k}）", rf"`{k}`", rf'"{k}"', rf"\*\*{k}\*\*")]
    return scalar_patterns(key, lang)


def find(text: str, patterns: list[re.Pattern], start: int = 0) -> re.Match | None:
    hits = [m for p in patterns if (m := p.search(text, start))]
    return min(hits, key=lambda m: m.start()) if hits else None


def missing(text: str, value, lang: str, what: str) -> list[str]:
    """What of ``value`` the text does not state, by the rules in the module docstring."""
    if isinstance(value, dict):
        problems, spans, pos = [], [], 0
        for k in value:
            m = find(text, key_patterns(k, lang), pos)
            if m is None:
                problems.append(f"{what}: key {k!r} not stated (in order)")
                continue
            spans.append((k, m.end()))
            pos = m.end()
        for i, (k, start) in enumerate(spans):
            end = len(text)
            if i + 1 < len(spans):
                nxt = find(text, key_patterns(spans[i + 1][0], lang), start)
                end = nxt.start() if nxt else end
            problems += missing(text[start:end], value[k], lang, f"{what}[{k!r}]")
        return problems
    if isinstance(value, list):
        problems, pos = [], 0
        for i, v in enumerate(value):
            if isinstance(v, (list, dict, frozenset)):
                problems += missing(text, v, lang, f"{what}[{i}]")
                continue
            m = find(text, scalar_patterns(v, lang), pos)
            if m is None:
                problems.append(f"{what}[{i}] = {v!r} not stated (in the list's order)")
            else:
                pos = m.end()
        return problems
    if isinstance(value, frozenset):
        return [p for v in sorted(value, key=repr) for p in missing(text, v, lang, f"{what} element")]
    if find(text, scalar_patterns(value, lang)) is None:
        return [f"{what} = {value!r} not stated"]
    return []


# ------------------------------------------------------------------------------------ the checker
def check_note(m: em.Master, ans: dict, text: str, lang: str) -> list[str]:
    """Every way the note's exercise-key section falls short of the master (empty: none)."""
    section = key_section(text, lang)
    if section is None:
        return [f"no section heading containing {SECTION_KEY[lang]!r}"]
    found = items(section, lang)
    problems = [f"malformed item head: {it.head[:80]}" for it in found if it.match is None]
    good = [it for it in found if it.match is not None]
    if len(good) != len(m.questions):
        problems.append(f"{len(good)} items for {len(m.questions)} questions")
    for i, q in enumerate(m.questions, 1):
        it = good[i - 1] if i <= len(good) else None
        if it is None:
            problems.append(f"Q{i} {q.name}: no item")
            continue
        problems += check_item(i, q, ans, it, lang)
    return problems


def check_item(i: int, q: em.Question, ans: dict, it: Item, lang: str) -> list[str]:
    g = it.match.groupdict()
    where = f"Q{i} {q.name}"
    problems = []
    if int(g["n"]) != i:
        problems.append(f"{where}: item numbered {g['n']}")
    if g["name"] != q.name:
        problems.append(f"{where}: item names {g['name']}")
    title = prompt_title(q, lang)
    if title is None or title[0] != i:
        problems.append(f"{where}: the master's {lang} prompt is not titled as question {i}")
    elif same_title(g["title"]) != same_title(title[1]):
        problems.append(f"{where}: title {g['title']!r}, the master's is {title[1]!r}")
    if float(g["points"]) != q.points:
        problems.append(f"{where}: {g['points']} points, the master gives {q.points:g}")
    if lang == "en" and g["unit"] != ("point" if q.points == 1 else "points"):
        problems.append(f"{where}: write '{q.points:g} point{'s' if q.points != 1 else ''}'")
    if q.manual:
        for word in WRITTEN[lang]:
            if word not in it.body.lower():
                problems.append(f"{where}: a written question's item must say {word!r}")
        return problems
    kvs = key_values(q, ans)
    if not kvs:
        problems.append(f"{where}: no key value could be read from the master")
    for name, value in kvs:
        problems += [f"{where}: {p}" for p in missing(it.body, value, lang, name)]
    return problems


# ------------------------------------------------------------------------------------ the notes follow the masters
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("unit", UNITS)
def test_exercise_key_follows_the_master(unit, lang):
    problems = check_note(master(unit), answers(unit), note(unit, lang), lang)
    assert problems == [], f"teaching-notes/{unit}.{lang}.md:\n" + "\n".join(problems)


@pytest.mark.parametrize("unit", UNITS)
def test_masters_number_their_prompts_in_order_in_both_languages(unit):
    for i, q in enumerate(master(unit).questions, 1):
        for lang in LANGS:
            t = prompt_title(q, lang)
            assert t is not None and t[0] == i and t[1], f"{unit} {q.name}: {lang} prompt title {t}"


# ------------------------------------------------------------------------------------ the checker catches changes
def altered(value):
    """Values that differ from ``value`` in a way a stale note would not state."""
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, (int, float)):
        return [value + 31.437]
    if isinstance(value, str):
        return ["zz_changed_answer"]
    if isinstance(value, list):
        out = [[altered(value[0])[0]] + value[1:]] if value else []
        if len(value) > 1 and value != value[::-1]:
            out.append(value[::-1])
        return out
    if isinstance(value, frozenset):
        first = sorted(value, key=repr)[0]
        return [(value - {first}) | {altered(first)[0]}]
    if isinstance(value, dict):
        keys = list(value)
        out = [{**value, keys[0]: altered(value[keys[0]])[0]}]
        vals = [value[k] for k in keys]
        rotated = vals[1:] + vals[:1]
        if len(keys) > 1 and rotated != vals:
            out.append(dict(zip(keys, rotated)))
        return out
    raise TypeError(value)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("unit", UNITS)
def test_checker_reports_every_changed_key_value(unit, lang):
    """Change each key value of each question in memory (a number, an id, a flag; a list reversed,
    a dict's values rotated): the note, unchanged, must then be reported."""
    m, text = master(unit), note(unit, lang)
    good = [it for it in items(key_section(text, lang), lang) if it.match]
    unnoticed, tried = [], 0
    for i, q in enumerate(m.questions, 1):
        if q.manual:
            continue
        for name, value in key_values(q, answers(unit)):
            for new in altered(value):
                tried += 1
                if not missing(good[i - 1].body, new, lang, name):
                    unnoticed.append(f"Q{i} {name}: {value!r} -> {new!r}")
    assert tried >= 10
    assert unnoticed == [], "the note would still pass after these changes:\n" + "\n".join(unnoticed)


# A solution changed in a copy of the master: (unit, question, old text, new text, answer name).
CHANGED_SOLUTIONS = [
    ("01_srdi_landscape", "q5_ratio", 'rd_caveats = {"a", "c", "d"}', 'rd_caveats = {"a", "b", "c", "d"}',
     "rd_caveats"),
    ("02_keda_zhongtu", "q9_table2_quirk", "- 15.3, 1)", "- 15.0, 1)", "q9_gap_zhongtu"),
    ("03_qingdao_six_paths", "q4_argue", 'my_choice = "large_firm_cooperation"', 'my_choice = "cross_border_ma"',
     "my_choice"),
    ("04_in_firm_cluster_costs", "q8_countermeasures", "source_answers_spillovers = False",
     "source_answers_spillovers = True", "source_answers_spillovers"),
]


@pytest.mark.parametrize("unit,question,old,new,name", CHANGED_SOLUTIONS, ids=[c[0] for c in CHANGED_SOLUTIONS])
def test_a_changed_master_solution_fails_the_unchanged_note(tmp_path, unit, question, old, new, name):
    nb = nbformat.read(str(master_path(unit)), as_version=4)
    solution = next(q for q in master(unit).questions if q.name == question).solution_code
    hits = [c for c in nb.cells if c.cell_type == "code" and c.source in solution and old in c.source]
    assert len(hits) == 1, f"{unit}: the solution line {old!r} is not in the master any more"
    hits[0].source = hits[0].source.replace(old, new)
    copy_path = tmp_path / master_path(unit).name
    nbformat.write(nb, str(copy_path))
    changed = em.parse(copy_path)
    ans = em.solution_answers(changed)
    assert ans[name] != answers(unit)[name]
    for lang in LANGS:
        assert check_note(master(unit), answers(unit), note(unit, lang), lang) == []
        problems = check_note(changed, ans, note(unit, lang), lang)
        assert problems and all(question in p and name in p for p in problems), (lang, problems)


# The exercise-key section of the Keda–Zhongtu note before this rewrite (its old numbering).
OLD_KEDA_ZH = """## 九、练习解析与延伸

- **第 1 题 证据编码**：那条关于“三个层次沟通”的改述证据，属于科达引领市场阶段的二阶主题“研发深度参与式协同”（000 表 3）。
- **第 2 题 阶段排序**：营销式研发 → 技术拓展 → 引领市场（数据集 `stages`）。
- **第 4 题 录入第三家企业**：虚构的 Ridgeway 是市场导向企业，两个阶段。
- **第 7 题 核对来源**：表 2 科达各行相加为 19.8 万字，比 §3.3 的 18.8 万字多 1.0；本套件两者并存并加以标注。
"""
OLD_KEDA_EN = """## 9. Exercise analysis and what-ifs

- **Q2, ordering stages**: marketing-driven R&D → technology expansion → market leading (dataset `stages`).
- **Q7, checking a source**: Keda's rows in Table 2 add up to 19.8 (10,000 characters), 1.0 more than the 18.8 in §3.3.
"""


def test_checker_rejects_the_old_numbering():
    m, ans = master("02_keda_zhongtu"), answers("02_keda_zhongtu")
    zh = check_note(m, ans, OLD_KEDA_ZH, "zh")
    assert any("malformed item head" in p for p in zh) and any("9 questions" in p for p in zh)
    en = check_note(m, ans, OLD_KEDA_EN, "en")
    assert any("malformed item head" in p for p in en) and "Q9 q9_table2_quirk: no item" in en
    # a well-formed head on the old answer: Q9 with Keda's gap instead of Zhongtu's
    stale = ("## 9. Exercise analysis and what-ifs\n\n- **Q9 Check a source** (`q9_table2_quirk`, 1 point): "
             "`q9_totals`: `keda` 19.8, `zhongtu` 15.5; Keda's gap is 1.0.\n")
    item = items(key_section(stale, "en"), "en")[0]
    assert check_item(9, m.questions[8], ans, item, "en") == ["Q9 q9_table2_quirk: q9_gap_zhongtu = 0.2 not stated"]


def test_reading_rules():
    assert find("约为 0.129", number_patterns(0.12927)) and find("≈ 0.13", number_patterns(0.12927))
    assert find("≈ 86.6", number_patterns(86.6025)) and not find("§4.5", number_patterns(4.5))
    assert not find("2023 年", number_patterns(2)) and find("= 2（", number_patterns(2))
    assert find("quad_b = −5", number_patterns(-5.0)) and find("12,668", number_patterns(12668))
    assert find("基础设施共用", string_patterns("infrastructure_sharing", "zh"))
    assert find("Sharing infrastructure", string_patterns("infrastructure_sharing", "en"))
    assert not find("a set", string_patterns("a", "en")) and find('{"a", "c"}', string_patterns("a", "en"))
    assert missing("(a) `x1`；(b) `x2`", {"a": "x2", "b": "x1"}, "en", "d")
    assert not missing("(a) `x1`；(b) `x2`", {"a": "x1", "b": "x2"}, "en", "d")
    assert missing("one → two", ["two", "one"], "en", "l") and not missing("one → two", ["one", "two"], "en", "l")
    assert not missing("答案为 True", True, "zh", "b") and missing("答案为 True", False, "zh", "b")


# ------------------------------------------------------------------------------------ stated counts of questions
CN_NUMBERS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
              "十": 10, "十一": 11, "十二": 12}
EN_NUMBERS = {w: i for i, w in enumerate("one two three four five six seven eight nine ten eleven twelve".split(), 1)}
ZH_COUNT = re.compile(
    r"(?<![第前后每同这那])(?P<num>十[一二]?|[一二两三四五六七八九])"
    r"(?:\s*道[^。；！？\n]{0,40}?|\s*(?:小|短|书面)?)\s*(?:题|练习)(?!解析)")
EN_COUNT = re.compile(
    rf"\b(?P<num>{'|'.join(EN_NUMBERS)})\s+(?:[A-Za-z-]+\s+){{0,2}}?(?:questions|exercises)\b", re.I)
PAIR = re.compile(r"是一组|are a pair", re.I)


def stated_counts(text: str) -> list[tuple[int, str, str]]:
    """(number, phrase, paragraph) for each "N questions / N道题 …" phrase. 一 / one is read as an
    article ("一道书面题", "a written question"), not as a count."""
    out = []
    for para in re.split(r"\n\s*\n", text):
        for rx, words in ((ZH_COUNT, CN_NUMBERS), (EN_COUNT, EN_NUMBERS)):
            for m in rx.finditer(para):
                n = words[m.group("num").lower()]
                if n > 1:
                    out.append((n, m.group(0), para))
    return out


def count_problems(text: str, expected: int, where: str) -> list[str]:
    problems = []
    for n, phrase, para in stated_counts(text):
        want = 2 if PAIR.search(para) else expected
        if n != want:
            problems.append(f"{where}: {phrase!r} says {n}, expected {want}")
    return problems


def markdown(path: Path) -> str:
    nb = nbformat.read(str(path), as_version=4)
    return "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


STEMS = ["00_start_here"] + UNITS


def test_count_phrases_are_found():
    assert [n for n, *_ in stated_counts("五道小题，帮你熟悉")] == [5]
    assert [n for n, *_ in stated_counts("九道关于研发营销协同案例（文献 000）的练习，包括一道书面题")] == [9]
    assert [n for n, *_ in stated_counts("Five short exercises to learn; six questions")] == [5, 6]
    assert [n for n, *_ in stated_counts("以下四题可在课前布置。下一题会验证。第二题")] == [4]
    assert count_problems("下面两题是一组。两题分开评分。\n\nThe next two questions are a pair.", 9, "x") == []


@pytest.mark.parametrize("stem", STEMS)
def test_stated_question_counts_match_the_master(stem):
    n = len(em.parse(EXERCISES / f"{stem}_exercises.ipynb").questions)
    texts = {f"notebooks/exercises/{stem}_exercises.ipynb": markdown(EXERCISES / f"{stem}_exercises.ipynb")}
    if (ROOT / "notebooks" / f"{stem}.ipynb").is_file():
        texts[f"notebooks/{stem}.ipynb"] = markdown(ROOT / "notebooks" / f"{stem}.ipynb")
    if (STUDENT / f"{stem}_exercises.ipynb").is_file():
        texts[f"casekit/_student/{stem}_exercises.ipynb"] = markdown(STUDENT / f"{stem}_exercises.ipynb")
    problems = []
    for where, text in texts.items():
        problems += count_problems(text, n, where)
    totals = [p for _, p, para in stated_counts(texts[f"notebooks/exercises/{stem}_exercises.ipynb"])
              if not PAIR.search(para)]
    assert any(CJK.search(p) for p in totals) and any(not CJK.search(p) for p in totals), \
        f"{stem}: the master states its number of questions in only one language, or in none"
    for lang in LANGS:
        path = NOTES / f"{stem}.{lang}.md"
        if not path.is_file():
            continue
        for head, body in h2_sections(path.read_text(encoding="utf-8")):
            if DISCUSSION_KEY[lang] in head.lower():
                want = len(re.findall(r"^### ", body, re.M))
                problems += count_problems(body, want, f"{path.name} § {head} (discussion questions)")
            else:
                problems += count_problems(body, n, f"{path.name} § {head}")
    assert problems == [], "\n".join(problems)
