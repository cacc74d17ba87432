"""The glossary (术语表, issue 14 items 4 and 6): it covers every id a student may type, agrees with
the datasets' and the code's labels, turns answers in either language into ids, and checks the term
markers of notes and notebooks."""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

import casekit
from casekit import collaboration, glossary, landscape, schemas
from casekit.errors import CasekitError
from casekit.glossary import check_terms, normalize_answer, normalize_id, term

ROOT = Path(__file__).resolve().parent.parent
G = casekit.load_dataset("glossary")
IDS = set(G["id"].astype(str))

# Every dataset column whose values a student may type as an answer, with the dataset's own labels
# (None where the dataset carries no label for the id).
ANSWER_COLUMNS = [
    ("firms", "firm", "name_zh", "name_en"),
    ("firms", "business_model", None, None),
    ("firms", "collaboration_mode", None, None),
    ("firms", "founder_background", None, None),
    ("qingdao_firms", "firm", "name_zh", "name_en"),
    ("interviews", "department", None, None),
    ("stages", "stage", "name_zh", "name_en"),
    ("stages", "rd_activity", "rd_activity_zh", "rd_activity_en"),
    ("stages", "marketing_activity", "marketing_activity_zh", "marketing_activity_en"),
    ("stages", "interaction", "interaction_zh", "interaction_en"),
    ("stages", "capability", "capability_zh", "capability_en"),
    ("stages", "lead", None, None),
    ("evidence", "dimension", None, None),
    ("evidence", "concept", "concept_zh", "concept_en"),
    ("innovation_paths", "path", "name_zh", "name_en"),
    ("innovation_paths", "basis", "basis_zh", "basis_en"),
    ("innovation_paths", "technology_origin", None, None),
    ("qingdao_events", "path", None, None),
    ("advisor_factors", "factor", "label_zh", "label_en"),
    ("advisor_weights", "path", None, None),
    ("path_conditions", "factor", None, None),
    ("path_countermeasures", "path", None, None),
    ("path_countermeasures", "actor", None, None),
    ("co_innovation_mechanisms", "mechanism", "mechanism_name_zh", "mechanism_name_en"),
    ("co_innovation_mechanisms", "logic", "logic_name_zh", "logic_name_en"),
    ("co_innovation_mechanisms", "srdi_dimension", "dimension_name_zh", "dimension_name_en"),
    ("co_innovation_dilemmas", "dilemma", "dilemma_name_zh", "dilemma_name_en"),
    ("co_innovation_dilemmas", "path", "path_name_zh", "path_name_en"),
    ("collaboration_rules", "rule", "name_zh", "name_en"),
    ("collaboration_rules", "severity", None, None),
    ("cluster_modes", "mode", "name_zh", "name_en"),
    ("cluster_mode_examples", "mode", None, None),
    ("cluster_types", "type", "name_zh", "name_en"),
    ("cluster_advantages", "advantage", "name_zh", "name_en"),
    ("cluster_disadvantages", "disadvantage", "name_zh", "name_en"),
    ("cluster_countermeasures", "countermeasure", "name_zh", "name_en"),
    ("cluster_countermeasures", "answers_disadvantage", None, None),
    ("cluster_countermeasures", "supports_advantage", None, None),
    ("knowledge_integration_nodes", "node", "name_zh", "name_en"),
    ("srdi_ladder", "level", "name_zh", "name_en"),
    ("srdi_bottlenecks", "bottleneck", "item_zh", "item_en"),
    ("srdi_strategies", "strategy", "strategy_name_zh", "strategy_name_en"),
    ("niche_vs_leaders", "aspect", "aspect_zh", "aspect_en"),
    ("cost_scenario", "parameter", "name_zh", "name_en"),
    ("srdi_statistics", "source_type", None, None),
    ("srdi_statistics", "traceability", None, None),
    ("sources", "source_type", None, None),
]


def _labels(row, lang: str) -> set[str]:
    extra = row[f"aliases_{lang}"].split("|") + (row["zh_variants"].split("|") if lang == "zh" else [])
    return {row[lang]} | {a for a in extra if a}


# ------------------------------------------------------------------------------------------------
# the dataset
# ------------------------------------------------------------------------------------------------
def test_glossary_is_a_valid_dataset_with_the_promised_columns():
    assert "glossary" in casekit.dataset_names()
    assert schemas.validate_dataset("glossary") == []
    for col in ("id", "zh", "en", "source_term", "note_zh", "note_en", "kind", "aliases_zh", "aliases_en", "cite"):
        assert col in G.columns
    assert G["id"].is_unique
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", i) for i in G["id"])
    for col in ("kind", "zh", "en", "note_zh", "note_en", "cite"):
        assert (G[col].astype(str).str.strip() != "").all(), col
    assert G["zh"].map(lambda s: bool(re.search(r"[\u4e00-\u9fff]", s)) or s in ("AFC",)).all()


@pytest.mark.parametrize("dataset, column, zh, en", ANSWER_COLUMNS, ids=lambda v: str(v))
def test_every_answer_id_is_a_term_with_the_datasets_labels(dataset, column, zh, en):
    df = casekit.load_dataset(dataset)
    values = {str(v) for v in df[column].dropna() if str(v)}
    missing = sorted(values - IDS)
    assert not missing, f"{dataset}.{column}: ids {missing} are not in datasets/glossary.csv"
    if zh is None:
        return
    rows = G.set_index("id")
    for rec in df[[column, zh, en]].drop_duplicates().itertuples(index=False):
        i, z, e = (str(x) for x in rec)
        if not i:
            continue
        assert z in _labels(rows.loc[i], "zh"), f"{dataset}: {i} is {z!r} there but {rows.loc[i, 'zh']!r} in the glossary"
        assert e in _labels(rows.loc[i], "en"), f"{dataset}: {i} is {e!r} there but {rows.loc[i, 'en']!r} in the glossary"


def test_every_evidence_construct_has_a_term():
    ev = casekit.load_dataset("evidence")
    for z, e in ev[["construct_zh", "construct_en"]].drop_duplicates().itertuples(index=False):
        assert normalize_id(z) in IDS and normalize_id(z) == normalize_id(e), (z, e)


def test_the_codes_ids_have_labels_in_the_data():
    """Every id the code renders has its label in the data: the glossary, or (where an id means
    something else in one column, or is no kit term) that column's codebook labels."""
    from casekit import datasets

    rows = G.set_index("id")
    for key in (*collaboration.BUSINESS_MODELS, *collaboration.MODES, *collaboration.CONSTRAINTS, "rd", "marketing",
                *collaboration.SEVERITIES, *landscape.SOURCE_TYPES, *landscape.TRACEABILITY):
        assert key in IDS, key
        assert landscape.SOURCE_TYPE_LABELS.get(key, (rows.loc[key, "en"], rows.loc[key, "zh"])) == \
            (rows.loc[key, "en"], rows.loc[key, "zh"]), key
    for key in collaboration.FOUNDERS:
        en, zh = (datasets.code_label(key, lang, column="firms.founder_background") for lang in ("en", "zh"))
        assert en != key and zh != key and zh != en, key
    for name in casekit.dataset_names():
        for col, doc in datasets.metadata(name).columns.items():
            for key, lab in doc.labels.items():
                assert lab.en.strip() and lab.zh.strip(), f"{name}.{col}: {key} needs both labels"


def test_key_concepts_are_there_in_the_kits_words():
    expect = {"srdi": "专精特新", "niche_winner": "精一赢家", "co_innovation": "融通创新",
              "t_in_firm": "企业内技术创新集群", "infrastructure_sharing": "基础设施共用",
              "stage_transition_explorer": "阶段转换探索器", "debatable": "有争议", "afc": "平均固定成本",
              "avc": "平均变动成本", "ac": "平均成本", "crossover": "交叉产量"}
    for i, zh in expect.items():
        assert term(i)["zh"] == zh
    assert normalize_id("小巨人") == "little_giant" and normalize_id("little giant") == "little_giant"
    assert normalize_id("AFC") == "afc" and normalize_id("in-firm technology-innovation cluster") == "t_in_firm"


def test_variants_are_recorded_with_the_source_wording():
    # construct names keep the source's term (sources/README): the label is 001 §3.2.2's own wording,
    # and the kit's earlier 基础设施共享 is a recorded variant
    r = term("infrastructure_sharing")
    assert r["zh"] == r["source_term"] == "基础设施共用" and r["source_document"] == "001"
    assert "基础设施共享" in r["zh_variants"]
    assert "阶段演化探索器" in term("stage_transition_explorer")["zh_variants"]


def _sources_folder() -> Path | None:
    candidates = [Path(os.environ["CASEKIT_SOURCES"])] if os.environ.get("CASEKIT_SOURCES") else []
    candidates += [p / "shared" / "sources" for p in Path(__file__).resolve().parents[1:4]]
    return next((c for c in candidates if (c / "README.md").exists()), None)


def test_source_terms_occur_verbatim_in_their_document():
    folder = _sources_folder()
    if folder is None:
        pytest.skip("the source documents are not on this machine (set CASEKIT_SOURCES to their folder)")
    texts = {p.name[:3]: p.read_text(encoding="utf-8") for p in folder.glob("00*.txt")}
    with_term = G[G["source_term"].astype(str) != ""]
    assert len(with_term) > 150
    for r in with_term.itertuples():
        assert r.source_document in texts, r.id
        assert r.source_term.strip("“”") in texts[r.source_document], (r.id, r.source_term, r.source_document)


# ------------------------------------------------------------------------------------------------
# normalising answers
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("given, expected", [
    ("infrastructure_sharing", "infrastructure_sharing"),
    ("  Infrastructure_Sharing\n", "infrastructure_sharing"),
    ("infrastructure sharing", "infrastructure_sharing"),
    ("Sharing infrastructure", "infrastructure_sharing"),
    ("基础设施共用", "infrastructure_sharing"),               # the source's term, the kit's label
    (" 基础设施共享 ", "infrastructure_sharing"),             # the kit's earlier wording, a variant
    ("ｉｎｆｒａｓｔｒｕｃｔｕｒｅ＿ｓｈａｒｉｎｇ", "infrastructure_sharing"),   # full width
    ("“小巨人”", "little_giant"),
    ("基础 设施 共享", "infrastructure_sharing"),
    ("Infrastructure   Sharing", "infrastructure_sharing"),
    ("（研发深度参与式协同）".strip("（）"), "rd_deep_participation"),
    ("deep R&D participation。", "rd_deep_participation"),
    ("研发深度参与式协同", "rd_deep_participation"),
    ("deep R&D participation", "rd_deep_participation"),
    ("技术市场匹配能力", "technology_market_matching"),
    ("technology–market matching capability", "technology_market_matching"),
    ("technology-market matching capability", "technology_market_matching"),
    ("跨国并购", "cross_border_ma"),
    ("Cross-border M&A", "cross_border_ma"),
    ("顺轨性", "trajectory_following"),
    ("官产学研合作", "gov_industry_university_research"),
    ("精细化", "refined"),
    ("有争议，值得讨论", "debatable"),
    ("有争议,值得讨论", "debatable"),                       # ASCII comma for the full-width one
    ("营销（Marketing） ", "营销（Marketing）"),               # not a term: stripped, otherwise unchanged
    ("something else ", "something else"),
    ("", ""),
])
def test_normalize_id(given, expected):
    assert normalize_id(given) == expected


def test_normalize_id_leaves_non_strings_alone():
    for v in (None, 3, 2.5, True):
        assert normalize_id(v) is v


def test_every_label_and_alias_leads_back_to_its_id():
    for r in G.itertuples():
        for lab in _labels(G.set_index("id").loc[r.id], "zh") | _labels(G.set_index("id").loc[r.id], "en") | {r.id}:
            assert normalize_id(lab) == r.id, (lab, r.id)
            assert normalize_id(lab, kind=r.kind) == r.id, (lab, r.id, r.kind)


def test_kind_limits_the_match():
    assert normalize_id("研发", kind="lead") == "rd"
    assert normalize_id("研发", kind="department") == "rd"
    assert normalize_id("原始创新", kind="mechanism") == "原始创新"   # not a mechanism
    assert normalize_id("原始创新", kind="path") == "original"
    with pytest.raises(CasekitError, match="Unknown kind"):
        normalize_id("x", kind="no_such_kind")


def test_normalize_answer_goes_element_wise():
    assert normalize_answer("大企业合作") == "large_firm_cooperation"
    assert normalize_answer(["市场引领阶段", "技术拓展阶段", "营销式研发阶段"])[1:] == ["technology_expansion", "marketing_driven_rd"]
    assert normalize_answer(("原始创新", 3)) == ("original", 3)
    assert normalize_answer({"顺轨性", "penetrative"}) == {"trajectory_following", "penetrative"}
    assert normalize_answer(frozenset({"衍生性"})) == frozenset({"platform_derivative"})
    assert normalize_answer({"a": "顺轨性", "衍生性": ["渗透性"]}) == {"a": "trajectory_following",
                                                                   "platform_derivative": ["penetrative"]}
    assert normalize_answer(None) is None and normalize_answer(4.0) == 4.0


def test_exercise_solutions_that_are_ids_are_terms():
    """Every id a master's solution assigns is a glossary term, so its Chinese label is accepted too."""
    masters = sorted((ROOT / "notebooks" / "exercises").glob("*.ipynb"))
    found = set()
    for m in masters:
        for c in json.loads(m.read_text(encoding="utf-8"))["cells"]:
            for line in "".join(c["source"]).split("\n"):
                if "# SOLUTION" not in line or "load_case" in line or "q4_text" in line:
                    continue
                for s in re.findall(r"\"([a-z][a-z0-9_]{2,})\"", line.split("#")[0]):
                    if "_" in s or s in IDS:
                        found.add(s)
                    elif re.fullmatch(r"[a-z]+", s) and s not in ("zh", "en"):
                        found.add(s)
    code_names = {"source", "location", "source_type", "keda", "value", "lead", "firm", "words_10k",
                  "names_source", "claim_id", "as_of", "related_group", "actor", "path", "kind", "factor",
                  "condition", "answers_basis", "answers_disadvantage", "section", "interaction_depth",
                  "order", "little_giant_count", "year_basis", "year", "exact", "reported_by"}
    code_names |= set(casekit.dataset_names())
    missing = sorted(s for s in found - IDS if s not in code_names and not s.endswith(("_2023", "_000", "_002", "_2022")))
    assert not missing, f"solution ids missing from the glossary: {missing}"


def test_term_and_label():
    assert term("精一赢家")["id"] == "niche_winner"
    with pytest.raises(CasekitError, match="not in the glossary"):
        term("nich_winner")
    assert glossary.label("original", "zh") == term("original")["zh"]
    casekit.set_language("zh")
    assert glossary.label("afc") == "平均固定成本"
    assert glossary.label("not_a_term") == "not_a_term"


# ------------------------------------------------------------------------------------------------
# marking terms in notes and notebooks
# ------------------------------------------------------------------------------------------------
def test_check_terms_reports_unknown_ids_and_unmarked_variants():
    text = ("精一赢家[[niche_winner]] 与 [[nich_winner]]\n"
            "开放检测设备属于基础设施共享。\n"
            "旧写法基础设施共享[[infrastructure_sharing]]；原文与本套件写作基础设施共用。\n"
            "笔记本里可以把标记藏起来：基础设施共享<!-- [[infrastructure_sharing]] -->。\n"
            "用阶段演化探索器检验，判断是矛盾还是可争论。")
    problems = check_terms(text)
    got = [(p.kind, p.text, p.line) for p in problems]
    assert got == [("unknown_id", "[[nich_winner]]", 1), ("unmarked_variant", "基础设施共享", 2),
                   ("unmarked_variant", "阶段演化探索器", 5), ("unmarked_variant", "可争论", 5)]
    assert "niche_winner" in str(problems[0]) and "基础设施共用" in str(problems[1])
    assert check_terms("本套件写作基础设施共用、阶段转换探索器、有争议。") == []
    assert check_terms("可争论", ignore=("可争论",)) == []
    assert check_terms("这一点无可争议。") == []                 # "undisputed" is not the variant
    assert glossary.strip_marks("精一赢家[[niche_winner]]") == "精一赢家"


def _markdown_of(path: Path) -> str:
    if path.suffix == ".ipynb":
        nb = json.loads(path.read_text(encoding="utf-8"))
        return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    return path.read_text(encoding="utf-8")


TEXTS = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "teaching-notes").glob("*.md"))


@pytest.mark.parametrize("path", TEXTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_notes_and_notebooks_use_the_glossary_terms(path):
    problems = check_terms(_markdown_of(path))
    assert not problems, f"{path.relative_to(ROOT)}:\n" + "\n".join(f"  {p}" for p in problems)


def test_a_label_of_two_terms_is_left_for_the_check_to_reject(monkeypatch):
    monkeypatch.setattr(glossary, "_index", lambda: {"shared label": [("a_term", 1), ("b_term", 1)],
                                                      "alias": [("a_term", 2), ("b_term", 1)]})
    assert normalize_id("Shared label ") == "Shared label"      # ambiguous: unchanged
    assert normalize_id("alias") == "b_term"                    # a kit label beats another term's alias


def test_the_explorer_labels_ids_it_has_no_words_for_from_the_glossary():
    assert collaboration.term_zh("interaction") == term("interaction")["zh"]
    assert collaboration.term_zh("product_innovation") == "产品创新型"           # its own words stay
    assert collaboration.term_zh("not_an_id_at_all") == "not_an_id_at_all"
