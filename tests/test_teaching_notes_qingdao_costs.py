"""Teaching notes of units 3 and 4, Qingdao six paths and in-firm cluster costs (issue 13): CMCC form
and fidelity to sources 003 and 004.

Each fidelity check is a small function that returns the problems it finds in a text. It runs on the
notes (no problems allowed) and on the old wording that issue 13 found wrong (problems required), so
every check is shown to fail on the text it replaced.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

NOTES = Path(__file__).resolve().parent.parent / "teaching-notes"
QINGDAO = "03_qingdao_six_paths"
COSTS = "04_in_firm_cluster_costs"
UNITS = (QINGDAO, COSTS)
LANGS = ("zh", "en")

CMCC_HEADINGS = {
    "zh": ["一、教学目的与用途", "二、启发思考题", "三、分析思路", "四、理论依据与分析",
           "五、背景信息", "六、关键要点", "七、建议课堂计划", "八、后续进展"],
    "en": ["1. Teaching purpose and use", "2. Discussion questions", "3. Analysis path",
           "4. Theory and analysis", "5. Background", "6. Key points", "7. Suggested class plan",
           "8. Epilogue"],
}
# Harvard items kept after the CMCC sections, in the same order in both languages.
HARVARD_ITEMS = {"zh": ["练习解析", "常见难点"], "en": ["Exercise analysis", "Common difficulties"]}
ANSWER_LABEL = {"zh": "**参考答案：**", "en": "**Suggested answer:**"}
KIT_LABEL = {"zh": "本套件", "en": "kit"}
CJK = re.compile(r"[\u4e00-\u9fff]")


def read(unit: str, lang: str) -> str:
    return (NOTES / f"{unit}.{lang}.md").read_text(encoding="utf-8")


def h2_headings(text: str) -> list[str]:
    return [line[3:].strip() for line in text.splitlines() if line.startswith("## ")]


def section(text: str, heading: str) -> str:
    """The body of the H2 section whose title is ``heading``, up to the next H2."""
    m = re.search(rf"^## {re.escape(heading)}\s*$(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert m, f"section {heading!r} not found"
    return m.group(1)


def sentences(text: str) -> list[str]:
    """Sentences of Chinese (split at 。！？) or English (split after . ! ? before a capital)."""
    parts = re.split(r"(?<=[。！？])|(?<=[.!?])\s+(?=[\"“*(A-Z])|\n", text)
    return [p.strip() for p in parts if p and p.strip()]


def clauses(text: str) -> list[str]:
    """Sentences cut further at semicolons, so a claim cannot borrow a word from its neighbour."""
    return [c.strip() for s in sentences(text) for c in re.split(r"[；;]", s) if c.strip()]


def lines(text: str) -> list[str]:
    return [ln for ln in text.splitlines() if ln.strip()]


# ----------------------------------------------------------------------------- fidelity checks
def check_clusters_in_general(text: str) -> list[str]:
    """004 §5 says China's clusters IN GENERAL lack the three paths, not Qingdao."""
    problems = []
    for old in ("three it lacked", "three paths it lacked", "the three Qingdao lacked",
                "另外三条缺失的路径", "青岛缺少的三条", "青岛缺了哪三条"):
        if old.lower() in text.lower():
            problems.append(f"old wording: {old}")
    general = [s for s in sentences(text) if "004 §5)" in s or "004 §5）" in s or "（004 §5" in s
               or "(004 §5" in s]
    if not any(("普遍" in s and "我国" in s) or ("in general" in s and "Chin" in s) for s in general):
        problems.append("no sentence citing 004 §5 says Chinese clusters in general lack the paths")
    return problems


def check_chips_imported(text: str) -> list[str]:
    """004 §4.1: Hisense's (China's) TV chips were all imported."""
    problems = [f"old wording: {old}" for old in
                ("neither be bought nor easily introduced", "买不来也难引进") if old in text]
    if not any("004 §4.1" in s and ("all imported" in s or "全部依赖进口" in s or "全部进口" in s)
               for s in lines(text)):
        problems.append("no passage citing 004 §4.1 says the chips were all imported")
    return problems


def check_haier_alliance_undated(text: str) -> list[str]:
    """004 §4.3 gives no date for the Haier TV alliance."""
    problems = [f"old wording: {old}" for old in ("2000s", "2000年代", "21世纪初") if old in text]
    if not any(("alliance" in s and "no date" in s)
               or ("联盟" in s and "时间" in s and ("没有给出" in s or "未给" in s))
               for s in sentences(text)):
        problems.append("no sentence says the source gives no date for Haier's TV alliance")
    return problems


REASON_WORDS = ("理由", "最佳", "reason", "best choice")
RISK_WORDS = ("风险", "risk")
BRIDGE = {"zh": "衔接", "en": "bridge"}
CANNOT_BUY = {"zh": "买不", "en": "cannot be bought"}


def check_reasons_not_risks(text: str, lang: str) -> list[str]:
    """bridge_needed (004 §3.3) and cannot_buy_key (004 §5.3) are reasons to choose a path."""
    problems = []
    for key, cite in ((BRIDGE[lang], "§3.3"), (CANNOT_BUY[lang], "§5.3")):
        hits = [s for s in clauses(text) if key in s and (cite in s or any(w in s for w in RISK_WORDS))]
        if not hits:
            problems.append(f"no sentence gives {key!r} ({cite}) as a reason")
        for s in hits:
            if not any(w in s for w in REASON_WORDS):
                problems.append(f"{key!r} not given as a reason: {s[:80]}")
    return problems


def check_alliance_mapping_labelled(text: str) -> list[str]:
    """003 never discusses alliances: calling Haier's alliance the unstable kind is the kit's mapping."""
    problems = [f"old wording: {old}" for old in ("the kind the paper calls unstable",
                                                  "也就是论文认为不稳定的那一类") if old in text]
    for s in sentences(text):
        if ("联盟" in s or "alliance" in s) and ("不稳定" in s or "unstable" in s) \
                and not ("本套件" in s or "kit" in s):
            problems.append(f"unlabelled mapping: {s[:80]}")
    if not any(("联盟" in s and "没有讨论" in s) or ("alliance" in s and ("never discusses" in s or "does not discuss" in s))
               for s in sentences(text)):
        problems.append("no sentence says source 003 does not discuss alliances")
    return problems


TWO_SIDED = re.compile(
    r"低于(它|该|某一|这一|40)[^。]*?(更贵|更高)|才(更便宜|有优势|划算)|只有在[^。]*?才"
    r"|\bbelow (which|some output|that output|the crossover|it|40)\b[^.;]*?\b(dearer|higher)\b"
    r"|\bdearer below\b|\bpays only\b|\bonly (beyond|above) (a|the|some)\b", re.I)
STATED_RELATIONS = ("A1FC", "A0FC", "A1VC", "A0VC", "C1", "C0", "Q1", "Q0", "A0C", "A1C")


def check_crossover_labelled(text: str) -> list[str]:
    """003 §3.1.1 states one side (beyond some output A0C > A1C); the other side is the kit's inference."""
    problems = []
    hits = [s for s in sentences(text) if TWO_SIDED.search(s)]
    if not hits:
        problems.append("the two-sided crossover is never stated with its kit label")
    for s in hits:
        if "本套件" not in s and "kit" not in s.lower():
            problems.append(f"two-sided crossover without the kit label: {s[:80]}")
    if "as in the source" in text:
        problems.append("old wording: as in the source")
    if not any("003 §3.1.1" in ln and all(r in ln for r in STATED_RELATIONS) for ln in lines(text)):
        problems.append("the relations 003 §3.1.1 states are not cited together")
    return problems


def check_risk_not_spread(text: str) -> list[str]:
    """003 §3.2: the in-firm cluster's risk cannot be shifted or spread."""
    problems = [f"old wording: {old}" for old in ("both spread and concentrate", "如何分散、又如何集中")
                if old in text]
    for s in clauses(text):
        if re.search(r"分散风险|spreads? (the )?risk", s) and not re.search(r"没有|不|无法|误以为|not|neither|Mistak", s):
            problems.append(f"says the in-firm cluster spreads risk: {s[:80]}")
    if not any("003 §3.2" in ln and (re.search(r"neither shifted nor spread|cannot be shifted or spread", ln)
                                     or re.search(r"(不能转嫁|无法转移)[^。]*分散", ln))
               for ln in lines(text)):
        problems.append("no passage citing 003 §3.2 says the risk cannot be shifted or spread")
    return problems


TAIL_ONLY_TERMS = ("government procurement", "credit guarantee", "政府采购", "信用担保", "政策性融资",
                   "知识产权体系")
NOT_THE_ARTICLE = ("另一篇", "不属于", "不是本文", "another article", "different article",
                   "not 003's", "none of this belongs")


def check_zhongguancun_tail(text: str) -> list[str]:
    """003's extraction opens with another article's tail (Zhongguancun SMEs): never cite it as 003."""
    problems = [f"tail content cited: {t}" for t in TAIL_ONLY_TERMS if t in text]
    mentions = [ln for ln in lines(text) if "中关村" in ln or "Zhongguancun" in ln]
    if not mentions:
        problems.append("the note does not warn about the Zhongguancun tail")
    for ln in mentions:
        if not any(m in ln for m in NOT_THE_ARTICLE):
            problems.append(f"Zhongguancun mentioned as if 003's: {ln[:80]}")
    return problems


# Old wording quoted from the notes, notebooks and datasets that issue 13 found wrong.
OLD = {
    "clusters_in_general": [
        "The three it lacked get countermeasures (004 §5).",
        "另外三条缺失的路径，论文给出了对策（004 §5）。",
    ],
    "chips_imported": [
        "Chips were called the 'grain of industry'; no Chinese TV chip existed and the technology could "
        "neither be bought nor easily introduced; Hisense could afford its own design centre.",
    ],
    "haier_alliance_undated": ["Haier (TV alliance): 2000s, allied with 12 international firms (004 §4.3)."],
    "reasons_not_risks_en": [
        "Risks: money, basic research and applied research need a bridge (§3.3); real core technology in "
        "key fields cannot be bought (§5.3).",
    ],
    "reasons_not_risks_zh": ["风险：资金、基础研究与应用研究之间需要衔接（§3.3）；关键领域的真正核心技术买不来（§5.3）。"],
    "alliance_mapping": [
        "Haier's alliance with 12 foreign firms is an inter-firm cluster, the kind the paper calls unstable.",
        "海尔与12家外国公司的联盟则属于企业间集群，也就是论文认为不稳定的那一类。",
    ],
    "crossover": [
        "1. Decompose AC = AFC + AVC and explain why innovation pays only beyond a crossover output.\n"
        "A1FC A0FC A1VC A0VC C1 C0 Q1 Q0 A0C A1C (003 §3.1.1).",
        "innovating firm: dearer below the crossover output, cheaper beyond it (as in the source)",
    ],
    "risk_not_spread": [
        "Unit 3 discusses how keeping several innovations inside one firm both spread and concentrates risk."
        " (003)",
        "企业内集群可以分散风险（003 §3.2）。",
    ],
    "zhongguancun": ["003 §4 proposes government procurement support for Zhongguancun SMEs."],
}


@pytest.mark.parametrize("old", OLD["clusters_in_general"])
def test_clusters_in_general_check_fails_on_old_wording(old):
    assert check_clusters_in_general(old)


@pytest.mark.parametrize("lang", LANGS)
def test_004_s5_speaks_of_chinese_clusters_in_general(lang):
    assert check_clusters_in_general(read(QINGDAO, lang)) == []


@pytest.mark.parametrize("old", OLD["chips_imported"])
def test_chips_check_fails_on_old_wording(old):
    assert check_chips_imported(old)


@pytest.mark.parametrize("lang", LANGS)
def test_hisense_chips_were_all_imported(lang):
    assert check_chips_imported(read(QINGDAO, lang)) == []


@pytest.mark.parametrize("old", OLD["haier_alliance_undated"])
def test_alliance_date_check_fails_on_old_wording(old):
    assert check_haier_alliance_undated(old)


@pytest.mark.parametrize("lang", LANGS)
def test_haier_tv_alliance_has_no_date(lang):
    assert check_haier_alliance_undated(read(QINGDAO, lang)) == []


@pytest.mark.parametrize("lang", LANGS)
def test_reasons_check_fails_on_old_wording(lang):
    for old in OLD[f"reasons_not_risks_{lang}"]:
        assert check_reasons_not_risks(old, lang)


@pytest.mark.parametrize("lang", LANGS)
def test_bridge_and_cannot_buy_are_reasons_to_choose(lang):
    assert check_reasons_not_risks(read(QINGDAO, lang), lang) == []


@pytest.mark.parametrize("old", OLD["alliance_mapping"])
def test_alliance_mapping_check_fails_on_old_wording(old):
    assert check_alliance_mapping_labelled(old)


@pytest.mark.parametrize("lang", LANGS)
def test_alliance_to_003_mapping_is_labelled_kit(lang):
    assert check_alliance_mapping_labelled(read(COSTS, lang)) == []


@pytest.mark.parametrize("old", OLD["crossover"])
def test_crossover_check_fails_on_old_wording(old):
    assert check_crossover_labelled(old)


@pytest.mark.parametrize("lang", LANGS)
def test_crossover_below_side_is_labelled_kit_inference(lang):
    assert check_crossover_labelled(read(COSTS, lang)) == []


@pytest.mark.parametrize("old", OLD["risk_not_spread"])
def test_risk_check_fails_on_old_wording(old):
    assert check_risk_not_spread(old)


@pytest.mark.parametrize("lang", LANGS)
def test_in_firm_risk_cannot_be_shifted_or_spread(lang):
    assert check_risk_not_spread(read(COSTS, lang)) == []


@pytest.mark.parametrize("old", OLD["zhongguancun"])
def test_zhongguancun_check_fails_on_tail_cited_as_003(old):
    assert check_zhongguancun_tail(old)


@pytest.mark.parametrize("lang", LANGS)
def test_zhongguancun_tail_never_cited_as_003(lang):
    assert check_zhongguancun_tail(read(COSTS, lang)) == []


@pytest.mark.parametrize("unit", UNITS)
def test_frame_and_numbers_say_they_are_the_kits(unit):
    """Unit 4's decision frame and cost numbers are the kit's; unit 3 says what 004 does not give."""
    zh, en = read(unit, "zh"), read(unit, "en")
    if unit == COSTS:
        assert "本套件设定的框架" in zh and "frame set by the kit" in en
        assert "示意" in zh and "illustrative" in en
    else:
        assert "资料未载" in zh and "not in the source" in en


# ----------------------------------------------------------------------------- CMCC form
@pytest.mark.parametrize("unit", UNITS)
def test_chinese_note_is_complete_not_a_digest(unit):
    zh = read(unit, "zh")
    assert len(CJK.findall(zh)) >= 5000
    for phrase in ("本节你将", "种子文献", "情景对象"):
        assert phrase not in zh


@pytest.mark.parametrize("unit", UNITS)
@pytest.mark.parametrize("lang", LANGS)
def test_cmcc_headings_in_order_then_harvard_items(unit, lang):
    heads = h2_headings(read(unit, lang))
    assert heads[:8] == CMCC_HEADINGS[lang]
    rest = heads[8:]
    positions = [next(i for i, h in enumerate(rest) if item in h) for item in HARVARD_ITEMS[lang]]
    assert positions == sorted(positions)


@pytest.mark.parametrize("unit", UNITS)
def test_both_languages_have_the_same_sections_and_citations(unit):
    zh, en = read(unit, "zh"), read(unit, "en")
    assert len(h2_headings(zh)) == len(h2_headings(en))
    for z, e in zip(h2_headings(zh), h2_headings(en)):
        zh_sub = re.findall(r"^### ", section(zh, z), re.M)
        en_sub = re.findall(r"^### ", section(en, e), re.M)
        assert len(zh_sub) == len(en_sub), (z, e)
    cites = lambda t: set(re.findall(r"00[0-4] §[\d.]*\d", t))  # noqa: E731
    assert cites(zh) == cites(en)
    # equal content, not a digest: English runs to at least half as many words as Chinese characters
    assert len(re.findall(r"[A-Za-z]+", en)) >= 0.5 * len(CJK.findall(zh))


@pytest.mark.parametrize("unit", UNITS)
@pytest.mark.parametrize("lang", LANGS)
def test_two_to_five_questions_each_with_a_suggested_answer(unit, lang):
    body = section(read(unit, lang), CMCC_HEADINGS[lang][1])
    blocks = re.split(r"^### ", body, flags=re.M)[1:]
    assert 2 <= len(blocks) <= 5
    for block in blocks:
        answer = block.split(ANSWER_LABEL[lang], 1)
        assert len(answer) == 2, block[:60]
        assert len(answer[1].strip()) > 200, block[:60]


@pytest.mark.parametrize("unit", UNITS)
@pytest.mark.parametrize("lang", LANGS)
def test_class_plan_is_timed_to_90_minutes_with_a_board_plan(unit, lang):
    body = section(read(unit, lang), CMCC_HEADINGS[lang][6])
    rows = re.findall(r"^\|\s*(\d+)[–-](\d+)\s*\|\s*(\d+)\s*\|", body, re.M)
    assert rows
    start = 0
    for a, b, length in rows:
        a, b, length = int(a), int(b), int(length)
        assert a == start and b - a == length
        start = b
    assert start == 90 and sum(int(r[2]) for r in rows) == 90
    assert ("板书" in body) if lang == "zh" else ("Board plan" in body)


@pytest.mark.parametrize("unit", UNITS)
@pytest.mark.parametrize("lang", LANGS)
def test_tools_of_the_kit_are_used_in_class(unit, lang):
    text = read(unit, lang)
    tool = {(QINGDAO, "zh"): "路径匹配顾问", (QINGDAO, "en"): "path-fit advisor",
            (COSTS, "zh"): "成本曲线探索器", (COSTS, "en"): "cost-curve explorer"}[unit, lang]
    assert tool in section(text, CMCC_HEADINGS[lang][6])
    exercises = "03_qingdao_six_paths_exercises" if unit == QINGDAO else "04_in_firm_cluster_costs_exercises"
    assert exercises in text


STANDARD_REFERENCES = {
    QINGDAO: ["Cohen, W. M., & Levinthal, D. A. (1990)", "Kim, L. (1997). *Imitation to Innovation",
            "Teece, D. J., Pisano, G., & Shuen, A. (1997)", "Porter, M. E. (1998)"],
    COSTS: ["Wright, T. P. (1936)", "Arrow, K. J. (1962)", "Panzar, J. C., & Willig, R. D. (1981)",
            "Porter, M. E. (1998)", "Teece, D. J., Pisano, G., & Shuen, A. (1997)"],
}


@pytest.mark.parametrize("unit", UNITS)
@pytest.mark.parametrize("lang", LANGS)
def test_theories_carry_standard_references(unit, lang):
    text = read(unit, lang)
    for ref in STANDARD_REFERENCES[unit]:
        assert ref in text, ref


@pytest.mark.parametrize("unit", UNITS)
@pytest.mark.parametrize("lang", LANGS)
def test_background_and_epilogue_are_cited(unit, lang):
    text = read(unit, lang)
    for heading in (CMCC_HEADINGS[lang][4], CMCC_HEADINGS[lang][7]):
        for para in re.split(r"\n\s*\n", section(text, heading).strip()):
            assert re.search(r"00[0-4]( |$| §)|`00[0-4]`", para), para[:80]
    epilogue = section(text, CMCC_HEADINGS[lang][7])
    assert ("止于" in epilogue) if lang == "zh" else ("stop" in epilogue)
