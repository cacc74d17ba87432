"""Teaching notes: one Chinese and one English file per unit, to the CMCC 案例使用说明 standard.

The structural tests run over all four units. The layout they expect: `teaching-notes/<unit>.zh.md` and
`<unit>.en.md`; level-2 headings (`## `) that contain, in this order, 教学目的与用途 / Teaching purpose and use,
启发思考题 / Discussion questions, 分析思路 / Analysis path, 理论依据与分析 / Theory and analysis, 背景信息 /
Background, 关键要点 / Key points, 建议课堂计划 / Suggested class plan, 后续进展 / Epilogue, then the kept Harvard
items 练习解析 / Exercise analysis and 常见难点 / Common difficulties; each discussion question a level-3 heading
(`### `) followed by 参考答案 / Suggested answer; the class plan a table whose rows start `| 0–10 |` and run
without gaps to 90, with a board plan (板书). The fidelity tests pin the readings a source check found
in the old notes (issue 13): each fails on the old wording and passes only when the note says what the
source says, or labels the kit's own reading as such.

The case-instructor review (CMCC 案例使用说明 norms) adds the rest, at the end of this file:

* every written (manual) question of every exercise master carries a marking guide in its
  ``# BEGIN QUESTION`` cell (``casekit.rubric``: three levels, full / partial / none, and a bilingual model
  answer), and each note quotes its unit's levels and model answer in the language of the note;
* each note gathers source quirks, the kit's readings and extraction glitches in one section, 资料说明 /
  About the sources, and names the kit ("本套件") at most 8 times in Chinese; the board plan spends no room on
  source quirks;
* no discussion question names the outcome (the case file's ``outcome_terms``), the synopsis keeps the A case
  apart from the B case (后续进展), and the class plan decides before it reveals;
* the notes call the material what it is: 教学短案 / short case (Qingdao), 分析练习 / analysis exercise
  (the SRDI landscape and the in-firm cost units).
"""
import re
from pathlib import Path

import pytest

NOTES = Path(__file__).resolve().parent.parent / "teaching-notes"
# The notes carry their unit's notebook name (its number is the prefix).
UNITS = [
    "01_srdi_landscape",
    "02_keda_zhongtu",
    "03_qingdao_six_paths",
    "04_in_firm_cluster_costs",
]

# The CMCC sections, in order, as (Chinese key phrase, English key phrase).
CMCC = [
    ("教学目的与用途", "teaching purpose and use"),
    ("启发思考题", "discussion questions"),
    ("分析思路", "analysis path"),
    ("理论依据与分析", "theory and analysis"),
    ("背景信息", "background"),
    ("关键要点", "key points"),
    ("建议课堂计划", "suggested class plan"),
    ("后续进展", "epilogue"),
]
# Harvard items kept after the CMCC sections.
HARVARD = [("练习解析", "exercise analysis"), ("常见难点", "common difficulties")]

CJK = re.compile(r"[\u4e00-\u9fff]")
WORD = re.compile(r"[A-Za-z]+")
CITATION = re.compile(r"\b00[0-4] ?(§|Table|Figure|表|图)")
MINUTES = re.compile(r"^\|\s*(\d+)\s*[–-]\s*(\d+)\s*\|", re.M)


def read(unit, lang):
    path = NOTES / f"{unit}.{lang}.md"
    assert path.is_file(), f"missing teaching note {path.name}"
    return path.read_text(encoding="utf-8")


def sections(text):
    """(heading, body) for each level-2 heading, in order."""
    parts = re.split(r"^## +(.+)$", text, flags=re.M)
    return [(parts[i].strip(), parts[i + 1]) for i in range(1, len(parts), 2)]


def section(text, key):
    found = [body for head, body in sections(text) if key in head.lower()]
    assert found, f"no section whose heading contains {key!r}"
    return found[0]


def paragraphs(text):
    """Blocks of text between blank lines, headings dropped, line breaks joined (no space for Chinese)."""
    blocks = []
    for block in re.split(r"\n\s*\n|\n(?=\s*(?:- |\d+\. |\|))", text):
        lines = [line.strip() for line in block.splitlines() if line.strip() and not line.lstrip().startswith("#")]
        joined = ""
        for line in lines:
            sep = "" if not joined or (CJK.match(joined[-1]) or CJK.match(line[0])) else " "
            joined += sep + line
        if joined:
            blocks.append(joined)
    return blocks


def cmcc_positions(text, lang):
    heads = [h.lower() for h, _ in sections(text)]
    keys = [zh if lang == "zh" else en for zh, en in CMCC + HARVARD]
    positions = []
    for key in keys:
        hits = [i for i, h in enumerate(heads) if key in h]
        assert hits, f"{lang}: no section heading contains {key!r}; headings are {heads}"
        positions.append(hits[0])
    return positions


# --- structure, all units ----------------------------------------------------------------------


@pytest.mark.parametrize("unit", UNITS)
def test_both_languages_exist(unit):
    assert (NOTES / f"{unit}.zh.md").is_file()
    assert (NOTES / f"{unit}.en.md").is_file()
    assert not (NOTES / f"{unit}.md").exists(), "the old single-file note should be gone (git mv to .en.md)"


@pytest.mark.parametrize("unit", UNITS)
def test_chinese_note_is_complete(unit):
    n = len(CJK.findall(read(unit, "zh")))
    assert n >= 5000, f"{unit}.zh.md has {n} Chinese characters; the standard asks for at least 5,000"


@pytest.mark.parametrize("unit", UNITS)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_cmcc_sections_in_order(unit, lang):
    positions = cmcc_positions(read(unit, lang), lang)
    assert positions == sorted(positions), f"{unit}.{lang}: CMCC sections out of order"


@pytest.mark.parametrize("unit", UNITS)
def test_languages_have_the_same_sections(unit):
    zh, en = read(unit, "zh"), read(unit, "en")
    assert len(sections(zh)) == len(sections(en))
    assert cmcc_positions(zh, "zh") == cmcc_positions(en, "en")


@pytest.mark.parametrize("unit", UNITS)
def test_english_is_of_comparable_length(unit):
    zh_chars = len(CJK.findall(read(unit, "zh")))
    en_words = len(WORD.findall(read(unit, "en")))
    assert en_words >= 0.5 * zh_chars, f"{unit}: {en_words} English words against {zh_chars} Chinese characters"


@pytest.mark.parametrize("unit", UNITS)
@pytest.mark.parametrize(
    "lang,key,answer",
    [("zh", "启发思考题", "参考答案"), ("en", "discussion questions", "suggested answer")],
    ids=["zh", "en"],
)
def test_discussion_questions_have_answers(unit, lang, key, answer):
    body = section(read(unit, lang), key)
    questions = re.split(r"^### +", body, flags=re.M)[1:]
    assert 2 <= len(questions) <= 5, f"{unit}.{lang}: {len(questions)} discussion questions; the standard asks for 2–5"
    for q in questions:
        assert answer in q.lower(), f"{unit}.{lang}: question without a {answer!r}: {q.splitlines()[0]}"


@pytest.mark.parametrize("unit", UNITS)
@pytest.mark.parametrize("lang,key", [("zh", "建议课堂计划"), ("en", "suggested class plan")], ids=["zh", "en"])
def test_class_plan_adds_up_to_90_minutes(unit, lang, key):
    body = section(read(unit, lang), key)
    slots = [(int(a), int(b)) for a, b in MINUTES.findall(body)]
    assert slots, f"{unit}.{lang}: no timed rows (| 0–10 | …) in the class plan"
    assert slots[0][0] == 0 and slots[-1][1] == 90, f"{unit}.{lang}: plan runs {slots[0][0]}–{slots[-1][1]}"
    for (a, b), (c, _) in zip(slots, slots[1:]):
        assert b == c, f"{unit}.{lang}: gap or overlap between {a}–{b} and the next row"
    assert sum(b - a for a, b in slots) == 90
    assert "板书" in body if lang == "zh" else "board plan" in body.lower()


@pytest.mark.parametrize("unit", UNITS)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_notes_cite_sources(unit, lang):
    n = len(CITATION.findall(read(unit, lang)))
    assert n >= 15, f"{unit}.{lang}: only {n} citations of the form '000 §…' / 'Table' / 'Figure'"


# --- fidelity, units 1 and 2 -------------------------------------------------------------------


def test_capability_progression_is_labelled_the_kits_reading():
    # Old Keda–Zhongtu note, exercise Q3: "the capabilities build on each other (000 §5, 能力进阶)" graded as a finding.
    for lang, label in [("zh", r"本套件[^。]{0,30}解读"), ("en", r"kit's reading")]:
        text = read("02_keda_zhongtu", lang)
        hits = [p for p in paragraphs(text) if "能力进阶" in p]
        assert hits, f"{lang}: the note never discusses the axis label 能力进阶与演化"
        for p in hits:
            assert re.search(label, p), f"{lang}: 能力进阶 appears without being labelled the kit's reading:\n{p}"
        assert "build on each other" not in text


def test_tiers_are_not_called_an_error_and_the_ladder_is_the_kits():
    # Old SRDI-landscape note §8: "Treating the three tiers as separate programmes rather than a ladder" as a difficulty.
    en, zh = read("01_srdi_landscape", "en"), read("01_srdi_landscape", "zh")
    assert "rather than a ladder" not in en
    assert "把三个层级当成互不相关的项目" not in zh
    for p in paragraphs(en):
        if "separate" in p and "programme" in p:
            assert "not wrong" in p or "not making an error" in p, p
    for p in paragraphs(zh):
        if "独立的认定项目" in p:
            assert "不算错" in p or "不是错误" in p, p
    assert any("ladder" in p and "kit's" in p for p in paragraphs(en))
    assert any("阶梯" in p and "本套件" in p for p in paragraphs(zh))


def test_founders_from_research_institutes_fit_keda_only():
    en, zh = read("02_keda_zhongtu", "en"), read("02_keda_zhongtu", "zh")
    assert "fits Keda only" in en and "Zhongtu was founded by a sales team (000 Table 4, §4.2.1)" in en
    assert "只适用于科达" in zh and "中涂是销售团队创业（000 表 4、§4.2.1）" in zh


@pytest.mark.parametrize("unit", ["01_srdi_landscape", "02_keda_zhongtu"])
def test_niche_winners_technology_is_often_weak(unit):
    en, zh = read(unit, "en"), read(unit, "zh")
    assert "dominate a narrow segment" not in en
    assert re.search(r"weak[^.]*\(000 §1\)|\(000 §1\)[^.]*weak", en), "en: 000 §1's weak technology is not stated"
    assert re.search(r"技术实力不强[^。]*000 §1", zh), "zh: 000 §1 的“技术实力不强”未写明"
    for p in paragraphs(en):
        if "through their own technology" in p:
            assert "weak" in p, f"the old reading is repeated without the correction: {p}"
    for p in paragraphs(zh):
        if "靠自有技术" in p:
            assert "技术实力不强" in p, f"the old reading is repeated without the correction: {p}"


def test_vendor_blog_names_sources_that_cannot_be_checked():
    # Old SRDI-landscape synopsis: "an undated vendor article with precise percentages and no sources".
    en, zh = read("01_srdi_landscape", "en"), read("01_srdi_landscape", "zh")
    assert "percentages and no sources" not in en and "精确百分比却不注出处" not in zh
    assert re.search(r"7 of 002's 30 claims name a source that cannot be checked", en)
    assert "7 个点了出处但无法核对" in zh
    assert "vendor blog" in en and "厂商博客" in zh


def test_source_quirks_are_flagged_not_fixed():
    en, zh = read("02_keda_zhongtu", "en"), read("02_keda_zhongtu", "zh")
    # §4.1.3 calls 2018–2022 the market expansion stage; the kit keeps it and flags it.
    p = next(p for p in paragraphs(en) if "§4.1.3 opens" in p)
    assert "market expansion stage" in p and "market-leading stage" in p and "rather than correcting" in p
    p = next(p for p in paragraphs(zh) if "§4.1.3 一开头" in p)
    assert "市场拓展阶段" in p and "引领市场阶段" in p and "不替来源改正" in p
    # Zhongtu's first two stages share 2016; Table 2 against the method text; "近20年" against 22 and 26 years.
    assert "share that year" in en and "共用 2016 年" in zh
    for text in (en, zh):
        for figure in ("19.8", "18.8", "15.5", "15.3"):
            assert figure in text
    assert re.search(r"近20年.{0,120}22 years.{0,80}26", en, re.S)
    assert re.search(r"近 ?20 ?年.{0,80}22 年.{0,60}26 年", zh, re.S)


@pytest.mark.parametrize("path", sorted(NOTES.glob("*.md")) if (NOTES := Path(__file__).resolve().parent.parent
                                                                / "teaching-notes").is_dir() else [],
                         ids=lambda p: p.name)
def test_notes_mark_their_key_terms_and_every_mark_is_in_the_glossary(path):
    """Key terms carry a [[term_id]] marker (in an HTML comment, invisible when rendered) at their
    first plain-text use; every marker names a glossary term and no replaced variant is unmarked."""
    from casekit.glossary import check_terms

    text = path.read_text(encoding="utf-8")
    assert len(re.findall(r"\[\[\s*\w+\s*\]\]", text)) >= 8, f"{path.name}: key terms are not marked"
    assert check_terms(text) == []



# --- rubrics, sources section, hindsight (case-instructor review) ----------------------------------

ROOT = NOTES.parent
MASTERS = sorted((ROOT / "notebooks" / "exercises").glob("0*_exercises.ipynb"))
LEVEL_WORDS = [("满分", "full"), ("部分", "partial"), ("不得分", "none")]
ABOUT = {"zh": "资料说明", "en": "about the sources"}
# Outcome words a discussion question must not use, besides the case file's own outcome_terms.
HINDSIGHT = {
    "02_keda_zhongtu": {"zh": ["煤炭", "煤矿", "智慧矿山", "智能矿山"], "en": ["coal", "smart min", "smart-min"]},
    "03_qingdao_six_paths": {"zh": ["信芯", "ASIC", "设计中心"], "en": ["Xinxin", "ASIC", "design centre"]},
}
CASE_NAME = {"01_srdi_landscape": "srdi_landscape", "02_keda_zhongtu": "keda_zhongtu",
             "03_qingdao_six_paths": "qingdao_six_paths", "04_in_firm_cluster_costs": "in_firm_cluster_costs"}


def _written_questions():
    from casekit.instructor.masters import parse_master

    return [(m.stem, q) for m in MASTERS for q in parse_master(m).questions if q.manual]


def _flat(text):
    """Text with line breaks and runs of spaces joined, markers and blockquote marks dropped."""
    text = re.sub(r"<!--.*?-->", "", text)
    text = re.sub(r"^\s*>\s?", "", text, flags=re.M)
    return re.sub(r"\s+", " ", text).strip()


def _parts(bilingual, sep):
    """(zh, en) of a rubric text written Chinese first, then English, split at the first ``sep``."""
    zh, _, en = bilingual.partition(sep)
    return zh.strip(), en.strip()


def _outcome_terms(unit, lang, extra=True):
    import yaml

    path = ROOT / "datasets" / "decision_cases" / f"{CASE_NAME[unit]}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    own = HINDSIGHT.get(unit, {}).get(lang, []) if extra else []
    return [str(x) for x in data.get(f"outcome_terms_{lang}") or []] + own


def test_every_master_has_one_written_question():
    found = {name for name, _ in _written_questions()}
    assert len(MASTERS) == 5 and found == {m.stem for m in MASTERS}


@pytest.mark.parametrize("name,question", _written_questions(), ids=lambda v: getattr(v, "name", v))
def test_written_questions_carry_a_three_level_rubric_and_a_model_answer(name, question):
    levels = question.rubric.get("levels") or []
    assert len(levels) == 3, f"{name} {question.name}: {len(levels)} rubric levels, want full / partial / none"
    points = [lv["points"] for lv in levels]
    assert points[0] == question.points and 0 < points[1] < points[0] and points[2] == 0, points
    for lv, (zh, en) in zip(levels, LEVEL_WORDS):
        assert zh in lv["label"] and en in lv["label"].lower(), lv["label"]
        d_zh, d_en = _parts(lv["description"], "\n")
        assert len(CJK.findall(d_zh)) >= 15 and not CJK.search(d_en) and len(WORD.findall(d_en)) >= 8, lv
    m_zh, m_en = _parts(question.rubric.get("model_answer", ""), "\n\n")
    assert len(CJK.findall(m_zh)) >= 100, f"{name}: the model answer has no Chinese part"
    assert len(WORD.findall(m_en)) >= 60 and not CJK.search(m_en.replace("§", "")) or "“" in m_en, \
        f"{name}: the model answer has no English part after the Chinese one"


@pytest.mark.parametrize("unit", UNITS)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_notes_quote_their_units_rubric_and_model_answer(unit, lang):
    text = _flat(section(read(unit, lang), "练习解析" if lang == "zh" else "exercise analysis"))
    written = [q for name, q in _written_questions() if name == f"{unit}_exercises"]
    assert len(written) == 1
    q = written[0]
    for lv in q.rubric["levels"]:
        quote = _parts(lv["description"], "\n")[0 if lang == "zh" else 1]
        assert _flat(quote) in text, f"{unit}.{lang}: the rubric level {lv['label']!r} is not quoted"
    model = _parts(q.rubric["model_answer"], "\n\n")[0 if lang == "zh" else 1]
    assert _flat(model) in text, f"{unit}.{lang}: the model answer is not quoted"


@pytest.mark.parametrize("unit", UNITS)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_each_note_gathers_its_source_notes_in_one_section(unit, lang):
    text = read(unit, lang)
    heads = [h.lower() for h, _ in sections(text)]
    about = [i for i, h in enumerate(heads) if ABOUT[lang] in h]
    assert len(about) == 1, f"{unit}.{lang}: want one section headed {ABOUT[lang]!r}; headings are {heads}"
    cmcc = cmcc_positions(text, lang)
    assert about[0] > max(cmcc), f"{unit}.{lang}: the sources section should follow the teaching sections"
    body = section(text, ABOUT[lang])
    assert len(body) > 400 and re.search(r"(?<!\d)00[0-4](?!\d)", body)


@pytest.mark.parametrize("unit", UNITS)
def test_chinese_notes_name_the_kit_sparingly(unit):
    n = read(unit, "zh").count("本套件")
    assert n <= 8, f"{unit}.zh.md names 本套件 {n} times; say it once in 资料说明 and let the rest teach"


QUIRK_WORDS = {"zh": ["19.8", "18.8", "笔误", "出入", "推算", "未给时间", "右引号", "中关村"],
               "en": ["19.8", "18.8", "slip", "discrepanc", "derived", "no date in the source", "quotation mark",
                      "Zhongguancun"]}


@pytest.mark.parametrize("unit", UNITS)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_board_plan_spends_no_room_on_source_quirks(unit, lang):
    plan = section(read(unit, lang), "建议课堂计划" if lang == "zh" else "suggested class plan")
    board = re.split(r"板书|board plan", plan, flags=re.I)[-1]
    left = [w for w in QUIRK_WORDS[lang] if w.lower() in board.lower()]
    assert not left, f"{unit}.{lang}: the board plan spends room on {left}"


@pytest.mark.parametrize("lang,words", [("zh", ["中关村", "右引号"]), ("en", ["Zhongguancun", "quotation mark"])])
def test_extraction_glitches_are_told_once_in_the_sources_section(lang, words):
    text = read("04_in_firm_cluster_costs", lang)
    about = section(text, ABOUT[lang])
    rest = text.replace(about, "")
    for w in words:
        assert w in about and w not in rest, f"04.{lang}: {w!r} belongs in the sources section only"


@pytest.mark.parametrize("unit", UNITS)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_discussion_questions_do_not_name_the_outcome(unit, lang):
    body = section(read(unit, lang), "启发思考题" if lang == "zh" else "discussion questions")
    questions = re.findall(r"^### +(.+)$", body, flags=re.M)
    terms = _outcome_terms(unit, lang)
    for q in questions:
        named = [t for t in terms if t.lower() in q.lower()]
        assert not named, f"{unit}.{lang}: the question {q!r} names the outcome: {named}"


def test_hindsight_check_fails_on_the_old_keda_question():
    old = "### 思考题 1：2018 年，如果你是科达的董事长，你会守住 T 型战略，还是收缩到煤炭行业的智慧矿山？理由是什么？"
    q = re.findall(r"^### +(.+)$", old, flags=re.M)[0]
    assert [t for t in _outcome_terms("02_keda_zhongtu", "zh") if t in q]


B_PART = {"zh": r"\*\*B (?:案例|部分)\*\*", "en": r"\*\*(?:Case|Part) B\*\*"}


@pytest.mark.parametrize("unit", ["02_keda_zhongtu", "03_qingdao_six_paths"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_synopsis_keeps_case_a_apart_from_case_b(unit, lang):
    synopsis = re.split(r"^### ", section(read(unit, lang), "教学目的与用途" if lang == "zh"
                                          else "teaching purpose and use"), flags=re.M)
    body = next(s for s in synopsis if s.startswith(("（四）", "1.4")))
    parts = re.split(B_PART[lang], body)
    assert len(parts) == 2, f"{unit}.{lang}: the synopsis should describe case A, then case B in its own paragraph"
    a_part = _flat(parts[0])
    # case A may name coal among the industries Keda served; the case file's outcome terms may not appear
    named = [t for t in _outcome_terms(unit, lang, extra=False)
             if re.search(rf"(?<![\d]){re.escape(t)}(?![\d])", a_part)]
    assert not named, f"{unit}.{lang}: the case-A synopsis names the outcome: {named}"


DECIDE = {"zh": ("表决", "放出 B"), "en": ("Decision", "Release")}
ANALYSE = {"02_keda_zhongtu": ("探索器", "explorer"), "03_qingdao_six_paths": ("顾问", "advisor")}


@pytest.mark.parametrize("unit", ["02_keda_zhongtu", "03_qingdao_six_paths"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_class_plan_decides_then_reveals_then_analyses(unit, lang):
    plan = section(read(unit, lang), "建议课堂计划" if lang == "zh" else "suggested class plan")
    rows = [r for r in plan.splitlines() if MINUTES.match(r)]
    vote = next(i for i, r in enumerate(rows) if DECIDE[lang][0] in r)
    reveal = next(i for i, r in enumerate(rows) if DECIDE[lang][1] in r)
    tool = ANALYSE[unit][0 if lang == "zh" else 1]
    analyse = [i for i, r in enumerate(rows) if tool in r]
    assert vote < reveal < max(analyse), f"{unit}.{lang}: rows {vote}, {reveal}, {analyse}"
    assert not any(w in " ".join(rows[:reveal]) for w in _outcome_terms(unit, lang) if not w.isdigit()), \
        f"{unit}.{lang}: the plan names the outcome before case B is released"


MATERIAL = {
    "01_srdi_landscape": ("分析练习", "analysis exercise"),
    "02_keda_zhongtu": ("B 案例", "case B"),
    "03_qingdao_six_paths": ("教学短案", "short case"),
    "04_in_firm_cluster_costs": ("分析练习", "analysis exercise"),
}


@pytest.mark.parametrize("unit", UNITS)
def test_notes_call_the_material_what_it_is(unit):
    zh, en = read(unit, "zh"), read(unit, "en")
    want_zh, want_en = MATERIAL[unit]
    assert want_zh in zh.split("\n", 1)[0] + section(zh, "教学目的与用途")
    assert want_en in (en.split("\n", 1)[0] + section(en, "teaching purpose and use")).lower() or want_en in en
    if unit != "02_keda_zhongtu":
        # only unit 2 is a full decision case; the others say what they are instead
        for line in zh.splitlines():
            assert "决策案例" not in line or "不是决策案例" in line, line
        assert "decision case" not in en.replace("not a decision case", "")
