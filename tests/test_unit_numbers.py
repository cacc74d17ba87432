"""One number per unit: the prefix of its notebook file (01–04), everywhere a reader meets it.

Code and data key a unit by its name (`datasets/units.csv`, read through `casekit.units`); readers
see its number in one heading style per language, "Unit 2 · Keda & Zhongtu" and
"第 2 单元 · 科达与中涂". These tests look where a reader, an instructor or a maintainer meets a
unit: file names (notebooks, exercises, teaching notes, decision cases), titles in both languages,
the `unit:` keys and unit columns of the data, the classroom server's flags, help and index page,
decision-case headings, diagram labels, README, docs, benchmarks, teaching notes and test names.
Every mention of a unit number ("Unit N", "units N–M", "第 N 单元", "单元N", "unitN") is collected
with the unit it names, where the text says which (a unit's title or firms next to the number, or
the file the title heads), and must carry that unit's number. The checks run on the old wording too
(units numbered 0–3, "单元1", `unit0.yaml`) and must fail there.
"""
from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
import yaml

from casekit import classroom, decision_cases, diagrams, handout, landscape_diagrams, set_language, units

ROOT = Path(__file__).resolve().parent.parent
SKIP_DIRS = {".git", ".venv", "venv", "dist", "build", "__pycache__", ".ipynb_checkpoints", "node_modules",
             ".pytest_cache", ".hypothesis", "tests"}
TEXT_SUFFIXES = {".py", ".md", ".ipynb", ".yaml", ".yml", ".csv", ".toml", ".txt", ".cfg"}

NAMES = units.unit_names()
NUMBER = {u: units.unit_number(u) for u in NAMES}
NOTEBOOK = {u: units.unit_notebook(u) for u in NAMES}
# Words that name a unit when they stand next to a unit number (titles, firms, notebook names).
KEYWORDS = {
    "srdi_landscape": ("SRDI", "专精特新", "landscape", "01_srdi"),
    "keda_zhongtu": ("Keda", "Zhongtu", "科达", "中涂", "02_keda"),
    "qingdao_six_paths": ("Qingdao", "青岛", "six paths", "六条路径", "03_qingdao"),
    "in_firm_cluster_costs": ("cost", "成本", "in-firm", "企业内集群", "企业内技术创新集群", "04_in_firm"),
}
_KW = re.compile("|".join(re.escape(k) for ks in KEYWORDS.values() for k in ks), re.I)
_UNIT_OF_KW = {k.lower(): u for u, ks in KEYWORDS.items() for k in ks}

EN = re.compile(r"\b[Uu]nits?[ -](\d+)(?!\d)(?:\s*(?:[–-]|and|,)\s*(\d+)(?![\d.]))?(?![.,]\d)")
ZH = re.compile(r"第(?P<s1>\s*)(?P<a>\d+)(?:\s*[–\-、]\s*(?P<b>\d+))?(?P<s2>\s*)单元(?!格)")
ZH_BARE = re.compile(r"(?<!第)(?<!第 )单元\s*(\d+)")           # 单元1: the wrong style
IDENT = re.compile(r"(?i)(?<![a-z])units?_?(\d+)|(?<![a-z])unit_(zero|one|two|three|four)\b")
STOP = set(".;:!?,|。；：！？，、\n")
AFTER_STOP, BEFORE_STOP = STOP | set(")）"), STOP | set("()（）")
OLD_NUMBERING = re.compile(r"(?i)earlier|早期")   # a sentence that explains the old numbering (0–3)


def _unit_of(word: str) -> str:
    return _UNIT_OF_KW[word.lower()]


def _clause(text: str, start: int, end: int, lo: int, hi: int) -> tuple[str, str]:
    """The text before a mention back to the clause's start, and after it to the clause's end
    (never past the mentions either side, ``lo`` and ``hi``)."""
    i = start
    while i > lo and text[i - 1] not in BEFORE_STOP:
        i -= 1
    j = end
    while j < hi and text[j] not in AFTER_STOP:
        j += 1
    return text[i:start], text[end:j]


def _mentions(text: str):
    """(start, end, numbers, problem-or-None) for every unit number in ``text``."""
    found = []
    for m in EN.finditer(text):
        found.append((m.start(), m.end(), [int(g) for g in m.groups() if g], None))
    for m in ZH.finditer(text):
        style = None if m["s1"] == " " and m["s2"] == " " else "write 第 N 单元, a space either side of N"
        found.append((m.start(), m.end(), [int(g) for g in (m["a"], m["b"]) if g], style))
    for m in ZH_BARE.finditer(text):
        found.append((m.start(), m.end(), [int(m.group(1))], "write 第 N 单元, not 单元N"))
    for m in IDENT.finditer(text):
        found.append((m.start(), m.end(), [], "a unit number in a name: key units by name, e.g. keda_zhongtu"))
    return sorted(found)


def scan_text(text: str) -> list[str]:
    """Problems in prose: a number that is no unit, a number next to another unit's title or firms,
    a Chinese mention not written 第 N 单元, a unit number inside a file or code name."""
    problems = []
    found = _mentions(text)
    for k, (start, end, numbers, style) in enumerate(found):
        line_no = text.count("\n", 0, start) + 1
        sentence = (re.split(r"[.。!?！？]\s|\n\s*\n", text[max(0, start - 200):start])[-1]
                    + re.split(r"[.。!?！？]\s|\n\s*\n", text[start:start + 200])[0])
        if OLD_NUMBERING.search(sentence):
            continue
        where = f"line {line_no}: {text[start:end]!r}"
        if style:
            problems.append(f"{where}: {style}")
        bad = [n for n in numbers if n not in NUMBER.values()]
        if bad:
            problems.append(f"{where}: there is no unit {bad[0]} (units are 1–4, as their notebook files)")
            continue
        if len(numbers) != 1:
            continue
        line = text[text.rfind("\n", 0, start) + 1:]
        warm = re.search(r"--warm (\d+):", line.split("\n", 1)[0])
        if warm and int(warm.group(1)) != numbers[0]:   # the classroom example names its unit by file prefix
            problems.append(f"{where}: on the line of --warm {warm.group(1)}, which warms unit {int(warm.group(1))}")
        lo = found[k - 1][1] if k else 0
        hi = found[k + 1][0] if k + 1 < len(found) else len(text)
        before, after = _clause(text, start, end, lo, hi)
        near = [m.group(0) for m in _KW.finditer(after)][:1] + [m.group(0) for m in _KW.finditer(before)][-1:]
        for word in near:
            unit = _unit_of(word)
            if NUMBER[unit] != numbers[0]:
                problems.append(f"{where}: next to {word!r}, which is unit {NUMBER[unit]} ({unit})")
                break
    return problems


def scan_headings(lines: list[str]) -> list[str]:
    """Markdown headings (and whole-bold title lines) that name a unit use the one style per language."""
    problems = []
    for line in lines:
        s = line.strip()
        if not (s.startswith("#") or (s.startswith("**") and s.endswith("**") and len(s) > 4)):
            continue
        for m in ZH.finditer(s):
            if not re.match(r"第 \d+ 单元 · ", s[m.start():]):
                problems.append(f"{s!r}: a Chinese heading reads 第 N 单元 · 标题")
        if ZH_BARE.search(s):
            problems.append(f"{s!r}: a Chinese heading reads 第 N 单元 · 标题, not 单元N")
        for m in EN.finditer(s):
            if not re.match(r"Unit \d+ · ", s[m.start():]):
                problems.append(f"{s!r}: an English heading reads Unit N · Title")
    return problems


def title_numbers(lines: list[str]) -> list[int]:
    """The unit numbers in the title lines of a file (its first headings)."""
    out = []
    for line in lines:
        s = line.strip()
        if s.startswith("# ") or (s.startswith("**") and s.endswith("**")):
            out += [int(m.group(1)) for m in EN.finditer(s)] + [int(m["a"]) for m in ZH.finditer(s)]
            out += [int(m.group(1)) for m in ZH_BARE.finditer(s)]
    return out


def _notebook_cells(path: Path) -> list[tuple[str, str]]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [(c["cell_type"], "".join(c["source"]) if isinstance(c["source"], list) else c["source"])
            for c in nb["cells"]]


def _text_files(root: Path):
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root)
        if any(part in SKIP_DIRS or part.endswith(".egg-info") for part in rel.parts[:-1]):
            continue
        if p.is_file() and (p.suffix in TEXT_SUFFIXES or p.name == "Makefile"):
            yield p


def scan_tree(root: Path) -> list[str]:
    """Every prose and heading problem in the repository at ``root`` (tests excepted)."""
    problems = []
    for p in _text_files(root):
        rel = p.relative_to(root)
        if p.suffix == ".ipynb":
            for i, (kind, src) in enumerate(_notebook_cells(p)):
                problems += [f"{rel} cell {i} {x}" for x in scan_text(src)]
                if kind == "markdown":
                    problems += [f"{rel} cell {i}: {x}" for x in scan_headings(src.splitlines())]
            continue
        text = p.read_text(encoding="utf-8", errors="replace")
        problems += [f"{rel} {x}" for x in scan_text(text)]
        if p.suffix == ".md":
            problems += [f"{rel}: {x}" for x in scan_headings(text.splitlines())]
    return problems


def scan_names(root: Path) -> list[str]:
    """File and folder names, and test names, that carry a unit number instead of a unit's name."""
    problems = []
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root)
        if any(part in SKIP_DIRS - {"tests"} or part.endswith(".egg-info") for part in rel.parts):
            continue
        if IDENT.search(p.name):
            problems.append(f"{rel}: a unit number in a file name")
    for p in sorted((root / "tests").glob("*.py")):
        for m in re.finditer(r"^\s*def (test_\w+)|^([A-Z][A-Z0-9_]*) = ", p.read_text(encoding="utf-8"), re.M):
            name = m.group(1) or m.group(2)
            if IDENT.search(name):
                problems.append(f"tests/{p.name}: {name} names a unit by number")
    return problems


def scan_layout(root: Path) -> list[str]:
    """Each unit's files carry its notebook's name, and the titles in them its number."""
    problems = []
    notebooks = root / "notebooks"
    numbered = {p.stem for p in notebooks.glob("0*.ipynb")} - {"00_start_here"}
    if numbered != set(NOTEBOOK.values()):
        problems.append(f"notebooks: {sorted(numbered)} are not the units' notebooks {sorted(NOTEBOOK.values())}")
    student = root / "casekit" / "_student"
    for unit, stem in NOTEBOOK.items():
        n = NUMBER[unit]
        if not stem.startswith(f"{n:02d}_"):
            problems.append(f"units.csv: {unit} is number {n} but its notebook is {stem}")
        files = [notebooks / f"{stem}.ipynb", notebooks / "exercises" / f"{stem}_exercises.ipynb"]
        files += [student / f"{stem}_exercises.ipynb"] if student.is_dir() else []
        for path in files:
            if not path.exists():
                problems.append(f"{path.relative_to(root)} is missing")
                continue
            title = [src for kind, src in _notebook_cells(path) if kind == "markdown" and "# " in src][:1]
            nums = title_numbers(title[0].splitlines()) if title else []
            if len(nums) != 2 or set(nums) != {n}:
                problems.append(f"{path.relative_to(root)}: its title names unit(s) {nums}, not unit {n} in both languages")
        for lang in ("zh", "en"):
            note = root / "teaching-notes" / f"{stem}.{lang}.md"
            if not note.exists():
                problems.append(f"teaching-notes/{note.name} is missing")
                continue
            nums = title_numbers(note.read_text(encoding="utf-8").splitlines()[:6])
            if not nums or set(nums) != {n}:
                problems.append(f"teaching-notes/{note.name}: its title names unit(s) {nums}, not unit {n}")
        case = root / "datasets" / "decision_cases" / f"{unit}.yaml"
        if not case.exists():
            problems.append(f"datasets/decision_cases/{unit}.yaml is missing")
        else:
            text = case.read_text(encoding="utf-8")
            if (yaml.safe_load(text) or {}).get("unit") != unit:
                problems.append(f"datasets/decision_cases/{unit}.yaml: `unit:` is not {unit!r}")
            first = [int(g) for g in re.findall(r"[Uu]nit (\d+)", text.splitlines()[0])]
            if first != [n]:
                problems.append(f"datasets/decision_cases/{unit}.yaml: its first line names unit(s) {first}, not {n}")
    notes = {p.name for p in (root / "teaching-notes").glob("*.md")}
    expected = {f"{stem}.{lang}.md" for stem in NOTEBOOK.values() for lang in ("zh", "en")}
    if notes != expected:
        problems.append(f"teaching-notes: {sorted(notes - expected)} should be {sorted(expected - notes)}")
    cases = {p.stem for p in (root / "datasets" / "decision_cases").glob("*.yaml")}
    if cases != set(NAMES):
        problems.append(f"datasets/decision_cases: {sorted(cases)} are not the unit names {NAMES}")
    return problems


def scan_data(root: Path) -> list[str]:
    """`unit:` in every dataset record, and every `*_unit` column, holds a unit's name; a table row
    that gives a notebook's unit number gives its file prefix."""
    problems = []
    for p in sorted((root / "datasets").glob("*.yaml")):
        unit = (yaml.safe_load(p.read_text(encoding="utf-8")) or {}).get("unit")
        if unit not in NAMES:
            problems.append(f"datasets/{p.name}: unit: {unit!r} is not a unit name {NAMES}")
    for p in sorted((root / "datasets").glob("*.csv")):
        with p.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        for col in [c for c in (rows[0] if rows else {}) if c.endswith("_unit")]:
            bad = sorted({r[col] for r in rows} - set(NAMES))
            if bad:
                problems.append(f"datasets/{p.name}: column {col} holds {bad}, not unit names")
    for p in [root / "README.md", root / "notebooks" / "00_start_here.ipynb"]:
        text = "\n".join(src for _, src in _notebook_cells(p)) if p.suffix == ".ipynb" else p.read_text(encoding="utf-8")
        for m in re.finditer(r"\|\s*(\d+)\s*\|\s*`(\d\d)_\w+`|`(\d\d)_\w+`\s*\|\s*(\d+)\s*·", text):
            shown, prefix = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
            if int(shown) != int(prefix):
                problems.append(f"{p.name}: table row gives unit {shown} for notebook {prefix}_…")
    return problems


# ------------------------------------------------------------------------------------------------
# the repository
# ------------------------------------------------------------------------------------------------
def test_every_mention_of_a_unit_number_names_the_right_unit():
    problems = scan_tree(ROOT)
    assert not problems, "\n".join(problems[:40])


def test_no_file_folder_or_test_names_a_unit_by_number():
    problems = scan_names(ROOT)
    assert not problems, "\n".join(problems)


def test_each_unit_s_files_carry_its_notebook_name_and_its_titles_its_number():
    problems = scan_layout(ROOT)
    assert not problems, "\n".join(problems)


def test_unit_keys_in_data_are_names():
    problems = scan_data(ROOT)
    assert not problems, "\n".join(problems)


def test_the_registry_numbers_the_units_as_their_files():
    assert NAMES == ["srdi_landscape", "keda_zhongtu", "qingdao_six_paths", "in_firm_cluster_costs"]
    assert [NUMBER[u] for u in NAMES] == [1, 2, 3, 4]
    assert all(NOTEBOOK[u] == f"{NUMBER[u]:02d}_{u}" for u in NAMES)
    assert units.unit_heading("keda_zhongtu", "en") == "Unit 2 · Keda & Zhongtu"
    assert units.unit_heading("keda_zhongtu", "zh") == "第 2 单元 · 科达与中涂"


# ------------------------------------------------------------------------------------------------
# what the code shows: headings, diagram labels, the classroom's flags, help and index page
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_decision_cases_are_headed_in_the_one_style(lang):
    for unit in NAMES:
        head = units.unit_heading(unit, lang)
        assert re.fullmatch(r"Unit \d · .+" if lang == "en" else r"第 \d 单元 · .+", head)
        first = decision_cases.case_markdown(unit, lang).split("\n", 1)[0]
        kind = decision_cases.KINDS[decision_cases.load_case(unit).kind][0 if lang == "zh" else 1]
        assert first == f"*{head} · {kind}*"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_diagram_labels_give_each_unit_its_number(lang):
    set_language(lang)
    for source in (diagrams.provenance_map().source, landscape_diagrams.course_map_diagram().source):
        assert scan_text(source) == []
        heads = set(re.findall(r"Unit \d · [^\"\\]+" if lang == "en" else r"第 \d 单元 · [^\"\\]+", source))
        assert heads and heads <= {units.unit_heading(u, lang) for u in NAMES}, heads


def test_classroom_flags_help_and_index_use_the_file_numbers():
    assert classroom.UNITS == tuple(NOTEBOOK[u] for u in NAMES)
    for unit in NAMES:
        n = NUMBER[unit]
        for spec in (f"{n:02d}", str(n), unit, NOTEBOOK[unit]):
            assert classroom._warm([f"{spec}:3"]) == {NOTEBOOK[unit]: 3}
    assert scan_text(classroom._parser().format_help()) == []
    assert scan_text(classroom.__doc__) == []
    for path in (handout.narrative_dir() / f"{NOTEBOOK[u]}.ipynb" for u in NAMES):
        en, zh = classroom.unit_titles(path)
        n = int(path.name[:2])
        assert en.startswith(f"Unit {n} · ") and zh.startswith(f"第 {n} 单元 · "), (en, zh)


# ------------------------------------------------------------------------------------------------
# the checks fail on the old numbering (units 0–3)
# ------------------------------------------------------------------------------------------------
OLD_PROSE = [
    "# Unit 1 · Keda and Zhongtu: two ways R&D and marketing grow capability together",
    "# 单元1 · 科达与中涂：研发与营销协同成长的两条路径",
    "# 第2单元 · 青岛家电集群与核心技术自主创新的六条路径",
    "# Unit 0 · The SRDI landscape, co-innovation, and reading claims by their source",
    "python -m casekit.classroom --lan --lang zh --warm 02:40   # 40 kernels of unit 1 ready before class",
    "3. Preferably unit 1 (Keda, Zhongtu) or unit 2 (the Qingdao appliance cluster).",
    "第 0 单元（专精特新概览）之后的第一个企业案例。",
    "如第1单元的科达自控、中涂交通",
    "like Keda and Zhongtu in unit 1",
    "title_en: Course map from unit 0 to units 1-3",
    "`teaching-notes/unit0_srdi_landscape.zh.md`",
    "    0: (\"Unit 0 · SRDI landscape\", \"第0单元 · 专精特新概览\"),",
]
NEW_PROSE = [
    "# Unit 2 · Keda and Zhongtu: two ways R&D and marketing grow capability together",
    "# 第 2 单元 · 科达与中涂：研发与营销协同成长的两条路径",
    "python -m casekit.classroom --lan --lang zh --warm 02:40   # 40 kernels of unit 2 (Keda & Zhongtu) ready",
    "3. Preferably unit 2 (Keda, Zhongtu) or unit 3 (the Qingdao appliance cluster).",
    "第 1 单元（专精特新概览）之后的第一个企业案例。如第 2 单元的科达自控、中涂交通",
    "title_en: Course map from unit 1 to units 2–4",
    "`teaching-notes/01_srdi_landscape.zh.md`",
]


@pytest.mark.parametrize("text", OLD_PROSE)
def test_the_prose_check_fails_on_the_old_numbering(text):
    assert scan_text(text) or scan_headings([text]), text


@pytest.mark.parametrize("text", NEW_PROSE)
def test_the_prose_check_passes_the_new_numbering(text):
    assert scan_text(text) == [] and scan_headings([text]) == []


def test_the_tree_checks_fail_on_the_old_layout(tmp_path):
    (tmp_path / "notebooks" / "exercises").mkdir(parents=True)
    (tmp_path / "teaching-notes").mkdir()
    (tmp_path / "datasets" / "decision_cases").mkdir(parents=True)
    (tmp_path / "tests").mkdir()
    cell = {"cell_type": "markdown", "metadata": {}, "source": ["<!-- en -->\n\n# Unit 1 · Keda and Zhongtu\n\n"
                                                                 "<!-- zh -->\n\n# 单元1 · 科达与中涂\n"]}
    nb = json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    for stem in NOTEBOOK.values():
        (tmp_path / "notebooks" / f"{stem}.ipynb").write_text(nb, encoding="utf-8")
        (tmp_path / "notebooks" / "exercises" / f"{stem}_exercises.ipynb").write_text(nb, encoding="utf-8")
    (tmp_path / "teaching-notes" / "unit1_keda_zhongtu.zh.md").write_text("# 说明（第 1 单元）\n", encoding="utf-8")
    (tmp_path / "datasets" / "decision_cases" / "unit1.yaml").write_text("# Decision case of unit 1\nunit: 1\n",
                                                                         encoding="utf-8")
    (tmp_path / "datasets" / "firms.yaml").write_text("title_en: The two case firms of unit 1\nunit: 1\n",
                                                      encoding="utf-8")
    (tmp_path / "datasets" / "course_map.csv").write_text("link,from_unit,to_unit\nx,0,1\n", encoding="utf-8")
    (tmp_path / "README.md").write_text("| `01_srdi_landscape` | 0 · SRDI landscape | 001 |\n", encoding="utf-8")
    (tmp_path / "notebooks" / "00_start_here.ipynb").write_text(nb, encoding="utf-8")
    (tmp_path / "tests" / "test_data_unit1.py").write_text("UNIT1 = []\ndef test_unit3_loads():\n    pass\n",
                                                         encoding="utf-8")
    assert scan_tree(tmp_path) and scan_names(tmp_path) and scan_layout(tmp_path) and scan_data(tmp_path)
