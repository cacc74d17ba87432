"""The decision case that opens each unit (CMCC 案例正文 form): shape, citations, bilingual twins,
exhibits rendered from the data, paraphrase of the sources, rendering and handouts, friendly errors."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml

import casekit
from casekit import datasets as ds
from casekit import decision_cases as dc
from casekit import units

UNITS = units.unit_names()
CASE_DIR = Path(__file__).resolve().parent.parent / "datasets" / "decision_cases"


def _sources() -> dict[str, str] | None:
    folders = [Path(os.environ["CASEKIT_SOURCES"])] if os.environ.get("CASEKIT_SOURCES") else []
    # the workspace keeps them in shared/sources beside the clone (or beside the worktrees' folder)
    folders += [parent / "shared" / "sources" for parent in Path(__file__).resolve().parents]
    for f in folders:
        files = sorted(f.glob("00[0-4]_*.txt"))
        if len(files) == 5:
            return {p.name[:3]: p.read_text(encoding="utf-8") for p in files}
    return None


def _texts(case: dc.DecisionCase, lang: str) -> list[str]:
    out = [getattr(case, f"title_{lang}"), getattr(case, f"summary_{lang}"), getattr(case, f"frame_note_{lang}")]
    for s in case.sections:
        out.append(getattr(s, f"heading_{lang}"))
        out += [getattr(p, lang) for p in s.paragraphs]
    for e in case.exhibits:
        out += [getattr(e, f"caption_{lang}"), getattr(e, f"note_{lang}")]
    return [t for t in out if t]


@pytest.mark.parametrize("unit", UNITS)
def test_case_file_is_valid_and_in_cmcc_form(unit):
    raw = yaml.safe_load((CASE_DIR / f"{unit}.yaml").read_text(encoding="utf-8"))
    case = dc.DecisionCase.model_validate(raw)
    assert case.unit == unit
    assert dc.summary_length(case.summary_zh) <= 300
    assert 3 <= len(case.keywords_zh) <= 5 and len(case.keywords_en) == len(case.keywords_zh)
    ids = [s.id for s in case.sections]
    # an opening with the decision-maker, background, a body, what is unknown, and an ending at the decision
    assert ids[0] == "opening" and ids[1] in ("background", "concepts") and ids[-1] == "decision"
    assert "unknowns" in ids
    ending = case.sections[-1].paragraphs[-1]
    assert ending.zh.rstrip().endswith("？") and ending.en.rstrip().endswith("?")


def test_summary_limit_and_keyword_count_are_enforced():
    raw = yaml.safe_load((CASE_DIR / "keda_zhongtu.yaml").read_text(encoding="utf-8"))
    with pytest.raises(ValueError, match="at most 300"):
        dc.DecisionCase.model_validate({**raw, "summary_zh": "字" * 301})
    with pytest.raises(ValueError):
        dc.DecisionCase.model_validate({**raw, "keywords_zh": ["一", "二"], "keywords_en": ["a", "b"]})
    with pytest.raises(ValueError):
        dc.DecisionCase.model_validate({**raw, "keywords_en": raw["keywords_en"][:3]})


@pytest.mark.parametrize("unit", UNITS)
def test_every_paragraph_cites_an_existing_document_and_a_place_in_it(unit):
    known = set(casekit.load_dataset("sources").document.astype(str))
    assert known == {"000", "001", "002", "003", "004"}
    for s in dc.load_case(unit).sections:
        for p in s.paragraphs:
            docs = set(re.findall(r"\b(\d{3})\b", p.cite))
            assert docs and docs <= known, p.cite
            assert re.search(r"§\s?\d|Table\s?\d|Figure\s?\d|abstract", p.cite), p.cite


def test_uncited_paragraph_is_rejected():
    with pytest.raises(ValueError, match="must name a document"):
        dc.Paragraph(zh="一段话。", en="A paragraph.", cite="the kit")
    with pytest.raises(ValueError, match="must name a document"):
        dc.Paragraph(zh="一段话。", en="A paragraph.", cite="000")  # no section, table or figure


@pytest.mark.parametrize("unit", UNITS)
def test_chinese_and_english_are_twins(unit):
    case = dc.load_case(unit)
    zh, en = dc.case_markdown(unit, "zh"), dc.case_markdown(unit, "en")
    assert zh.count("\n## ") == en.count("\n## ") and zh.count("\n\n") == en.count("\n\n")
    for s in case.sections:
        for p in s.paragraphs:
            # the same years and the same exhibit references in both languages
            assert set(re.findall(r"(?<!\d)(?:19|20)\d\d(?!\d)", p.zh)) == set(re.findall(r"(?<!\d)(?:19|20)\d\d(?![\ds])", p.en)), p.en[:60]
            assert re.findall(r"附录\s?(\d)", p.zh) == re.findall(r"Exhibit\s?(\d)", p.en), p.en[:60]
            assert 0.5 < len(p.en) / (2.2 * len(p.zh)) < 2, p.en[:60]  # equal content, not a digest
    for t in _texts(case, "zh"):
        assert not re.search(r"[\u4e00-\u9fff，。；：] +[\u4e00-\u9fff]", t), t[:40]  # no folded-line spaces


@pytest.mark.parametrize("unit", UNITS)
def test_exhibits_render_from_their_datasets(unit):
    names = set(casekit.dataset_names())
    case = dc.load_case(unit)
    for ex in case.exhibits:
        assert ex.dataset in names
        for lang in ("zh", "en"):
            df = dc.exhibit_table(ex, lang)
            assert len(df) >= 1 and list(df.columns) == [getattr(c, lang) for c in ex.columns]
            assert (df.map(len) > 0).any().all(), (ex.id, lang)  # no column is empty throughout


def test_exhibit_filters_select_by_data(monkeypatch):
    case = dc.load_case("keda_zhongtu")
    firms = {e.id: e for e in case.sequel.exhibits}["firms_at_study"]   # the firms as studied: case B
    assert list(dc.exhibit_table(firms, "en")["IP items / patents"]) == ["301", "47"]
    real = ds.load_dataset

    def changed(name):  # the exhibit shows whatever the dataset holds, not a retyped copy
        df = real(name).copy()
        if name == "firms":
            df["ip_count"] = [302, 48]
        return df

    monkeypatch.setattr(ds, "load_dataset", changed)
    assert list(dc.exhibit_table(firms, "en")["IP items / patents"]) == ["302", "48"]
    monkeypatch.undo()
    stages = {e.id: e for e in case.exhibits}["keda_stages"]
    df = dc.exhibit_table(stages, "en")
    assert list(df["To"]) == ["2007", "2017"]  # the case ends in 2018: no later stage is shown
    assert "R&D-driven marketing stage" in set(df["Stage"]) and "laboratory R&D" in set(df["R&D"])
    zh = dc.exhibit_table(stages, "zh")
    assert "研发式营销阶段" in set(zh["阶段"])


def test_cases_stop_at_the_decision():
    # what the firms did next belongs to the teaching note, not the case
    keda = " ".join(_texts(dc.load_case("keda_zhongtu"), "zh") + _texts(dc.load_case("keda_zhongtu"), "en"))
    for later in ("无人值守", "科达版", "一体两翼", "Keda version", "unmanned"):
        assert later not in keda
    qingdao = dc.load_case("qingdao_six_paths")
    hisense = " ".join(_texts(qingdao, "zh") + _texts(qingdao, "en"))
    for later in ("信芯", "ASIC", "Xinxin", "上海"):
        assert later not in hisense
    ev = {e.id: e for e in qingdao.exhibits}["cluster_precedents"]
    assert not any("信芯" in t or "ASIC" in t for t in dc.exhibit_table(ev, "zh").iloc[:, 0])


@pytest.mark.parametrize("unit", UNITS)
def test_every_unit_has_one_provenance_box_and_the_analysis_exercises_say_the_frame_is_the_kits(unit):
    case = dc.load_case(unit)
    assert case.frame_note_zh and case.frame_note_en   # what the case rests on, in one box
    for lang, word in (("zh", "资料说明"), ("en", "About the sources")):
        assert word in dc.case_markdown(unit, lang).split("## ")[0]
    if case.kind == "analysis_exercise":
        assert "本套件" in case.frame_note_zh and "框架" in case.frame_note_zh
        assert "kit" in case.frame_note_en and "frame" in case.frame_note_en
        for lang in ("zh", "en"):   # an analysis exercise is not called a case
            title = getattr(case, f"title_{lang}")
            assert "案例" not in title and "case" not in title.lower()


def test_cost_case_labels_its_cost_numbers_illustrative_and_the_crossover_as_inference():
    case = dc.load_case("in_firm_cluster_costs")
    ex = {e.id: e for e in case.exhibits}["cost_parameters"]
    assert casekit.metadata(ex.dataset).illustrative
    assert "示意" in ex.caption_zh and "Illustrative" in ex.caption_en
    unknown = case.sections[[s.id for s in case.sections].index("unknowns")].paragraphs[0]
    assert "本套件的推论" in unknown.zh and "kit's inference" in unknown.en


@pytest.mark.parametrize("unit", UNITS)
def test_case_sentences_are_not_copied_from_the_sources(unit):
    src = _sources()
    if src is None:
        pytest.skip("sources not available on this machine (set CASEKIT_SOURCES to their folder)")
    drop = re.compile(r"[\s\u3000-\u303f\uff00-\uffef，。、；：？！“”‘’（）《》【】—…·,.;:?!\"'()\[\]<>\-]+")
    cjk = "".join(drop.sub("", t) for t in src.values())
    words = [" ".join(re.findall(r"[A-Za-z]+", t)).lower() for t in src.values()]
    case = dc.load_case(unit)
    for t in _texts(case, "zh"):
        s = drop.sub("", t)
        for i in range(len(s) - 15):  # no run of 16 characters copied from a source
            w = s[i:i + 16]
            assert not (re.search(r"[\u4e00-\u9fff]", w) and w in cjk), w
    for t in _texts(case, "en"):
        ws = re.findall(r"[A-Za-z]+", t.lower())
        for i in range(len(ws) - 9):  # no run of 10 English words copied from a source
            run = " ".join(ws[i:i + 10])
            assert not any(run in w for w in words), run


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("unit", UNITS)
def test_show_case_renders_in_the_current_language(unit, lang):
    case = dc.load_case(unit)
    casekit.set_language(lang)
    view = casekit.show_case(unit)
    html_text, md = view._repr_html_(), view._repr_markdown_()
    title = getattr(case, f"title_{lang}")
    other = getattr(case, f"title_{'en' if lang == 'zh' else 'zh'}")
    import html as _html
    assert _html.escape(title) in html_text and other not in html_text and _html.escape(other) not in html_text
    assert title in md and ("关键词" in md) == (lang == "zh") and ("Keywords" in md) == (lang == "en")
    assert html_text.count("<table") == len(case.exhibits)
    # long text wraps inside a ~848-px output area instead of running off the side
    assert "overflow-wrap:anywhere" in html_text and "max-width:100%" in html_text


def test_show_case_lang_argument_and_exported_name():
    assert casekit.show_case is dc.show_case
    casekit.set_language("en")
    assert dc.load_case("qingdao_six_paths").title_zh in casekit.show_case("qingdao_six_paths", lang="zh")._repr_html_()


@pytest.mark.parametrize("bad", [7, -1, "x", "1", 1.0, None, True, "unit1", 0])
def test_bad_unit_gets_a_clear_message(bad):
    for lang in ("en", "zh"):
        casekit.set_language(lang)
        for call in (lambda: casekit.show_case(bad), lambda: dc.case_markdown(bad, "en")):
            with pytest.raises(casekit.CasekitError) as exc:
                call()
            msg = str(exc.value)   # both languages, the units listed by number and name
            assert "numbered 1–4 as their notebook files" in msg and "与笔记本文件 01–04 一致" in msg
            assert "1 srdi_landscape · 2 keda_zhongtu · 3 qingdao_six_paths · 4 in_firm_cluster_costs" in msg
            assert len(msg) <= 500


def test_0_says_the_units_are_numbered_as_their_files():
    with pytest.raises(casekit.CasekitError, match=r"There is no unit 0: .*earlier casekit versions numbered them 0–3"):
        casekit.show_case(0)
    with pytest.raises(casekit.CasekitError, match="没有第 0 单元"):
        dc.save_case(0, "never-written.md")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_unit_is_shown_by_name_or_by_its_file_number(lang):
    casekit.set_language(lang)
    for number, name in enumerate(UNITS, 1):
        by_name, by_number = casekit.show_case(name), casekit.show_case(number)
        title = dc.load_case(name).title_en if lang == "en" else dc.load_case(name).title_zh
        assert title in by_number._repr_markdown_() and title in by_name._repr_markdown_()
        head = units.unit_heading(name)   # "Unit 2 · Keda & Zhongtu" / "第 2 单元 · 科达与中涂"
        assert by_name._repr_markdown_().startswith(f"*{head} · ")
        assert "早期版本" not in by_name._repr_html_() and "earlier casekit" not in by_name._repr_html_()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_number_whose_meaning_changed_shows_one_bilingual_line_on_top(lang):
    casekit.set_language(lang)
    for number in (1, 2, 3):
        name, was = UNITS[number - 1], UNITS[number]   # old unit N is today's unit N + 1
        md = casekit.show_case(number)._repr_markdown_()
        first, rest = md.split("\n", 1)
        assert first.startswith("> ") and "earlier casekit versions" in first and "早期版本" in first
        assert units.unit_title(name, "en") in first and units.unit_title(was, "en") in first
        assert units.unit_title(name, "zh") in first and units.unit_title(was, "zh") in first
        assert f'"{name}"' in first and "earlier casekit" not in rest
        assert first.index("This is Unit") < first.index("这是第") if lang == "en" else \
            first.index("这是第") < first.index("This is Unit")
        html_text = casekit.show_case(number)._repr_html_()
        assert html_text.index("ck-renumbered\"") < html_text.index("class=\"ck-kicker\"")
    assert "ck-renumbered" not in casekit.show_case(4)._repr_html_()   # 4 meant no unit before


def test_a_number_whose_meaning_changed_warns_where_nothing_is_shown(tmp_path):
    with pytest.warns(UserWarning, match="in earlier casekit versions unit 2 was Qingdao six paths"):
        assert dc.load_case(2).unit == "keda_zhongtu"
    md = dc.save_case(1, tmp_path / "case.md", lang="en").read_text(encoding="utf-8")
    assert md.startswith("> This is Unit 1 · SRDI landscape") and "Keda & Zhongtu" in md.split("\n")[0]


def test_bad_language_gets_a_clear_message():
    with pytest.raises(casekit.CasekitError, match="'zh' or 'en'"):
        dc.case_markdown("keda_zhongtu", "fr")


def test_save_case_writes_a_handout(tmp_path):
    html_path = dc.save_case("keda_zhongtu", tmp_path / "keda.html", lang="zh")
    text = html_path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and 'lang="zh-CN"' in text
    assert dc.load_case("keda_zhongtu").title_zh in text and "第 2 单元 · 科达与中涂 · 决策案例" in text
    assert 'charset="utf-8"' in text
    md = dc.save_case("in_firm_cluster_costs", tmp_path / "costs.md", lang="en").read_text(encoding="utf-8")
    assert md == dc.case_markdown("in_firm_cluster_costs", "en")
    assert md.startswith("*Unit 4 · In-firm cluster costs · Analysis exercise*")
    with pytest.raises(casekit.CasekitError, match=r"\.html or \.md"):
        dc.save_case("keda_zhongtu", tmp_path / "keda.pdf")
    with pytest.raises(casekit.CasekitError, match="does not exist"):
        dc.save_case("keda_zhongtu", tmp_path / "nowhere" / "keda.md")


def test_malformed_case_file_gets_a_clear_message(tmp_path, monkeypatch):
    folder = tmp_path / "decision_cases"
    folder.mkdir()
    raw = yaml.safe_load((CASE_DIR / "keda_zhongtu.yaml").read_text(encoding="utf-8"))
    raw["sections"][0]["paragraphs"][0]["cite"] = "somewhere"
    (folder / "keda_zhongtu.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    monkeypatch.setattr(ds, "DATA_DIR", tmp_path)
    dc._load.cache_clear()
    try:
        with pytest.raises(casekit.CasekitError, match=r"unit keda_zhongtu is malformed at sections\.0\.paragraphs\.0"):
            dc.load_case("keda_zhongtu")
        with pytest.raises(casekit.CasekitError, match="could not be read"):
            dc.load_case("qingdao_six_paths")
    finally:
        monkeypatch.undo()
        dc._load.cache_clear()
    assert dc.load_case("keda_zhongtu").unit == "keda_zhongtu"


@pytest.mark.parametrize("unit", UNITS)
def test_citations_are_numbered_endnotes_in_the_readers_language(unit):
    case = dc.load_case(unit)
    for lang in ("zh", "en"):
        for part in ("A", "B") if case.sequel else ("A",):
            md = dc.case_markdown(unit, lang, part=part)
            body, notes = md.split(f"\n## {'注释' if lang == 'zh' else 'Notes'}\n")
            marks = [int(n) for n in re.findall(r"<sup>\[(\d+)\]</sup>", body)]
            listed = re.findall(r"^(\d+)\. ", notes, re.M)
            assert marks and sorted(set(marks)) == list(range(1, len(listed) + 1))   # every note cited, none missing
            words = re.findall(r"[A-Za-z]{3,}", notes) if lang == "zh" else re.findall(r"[\u3400-\u9fff]", notes)
            assert not words, (unit, lang, part, words[:5])
            assert "[000" not in body and "[001" not in body   # no bracketed raw citations in the text
            html_text = dc.case_html(unit, lang, part=part)
            assert html_text.count('class="ck-cite"') == len(marks)


def test_cite_text_reads_as_each_language_writes_it():
    assert dc.cite_text("000 §4.1.2; Table 3; Figure 3", "zh") == "资料000 §4.1.2；表3；图3"
    assert dc.cite_text("003 §2; §3.1.1 (frame set by the kit)", "zh") == "资料003 §2；§3.1.1（本套件设定的框架）"
    assert dc.cite_text("000 表3；§4.1", "en") == "source 000 Table 3; §4.1"


@pytest.mark.parametrize("unit", UNITS)
def test_chinese_exhibits_read_as_chinese_labels_not_codes(unit):
    case = dc.load_case(unit)
    shown = list(case.exhibits) + (list(case.sequel.exhibits) if case.sequel else [])
    for ex in shown:
        df = dc.exhibit_table(ex, "zh")
        for col in df.columns:
            assert not re.search(r"[A-Za-z]{3,}", col), (ex.id, col)
            for v in df[col]:
                text = str(v)
                assert not re.fullmatch(r"[a-z]+(_[a-z0-9]+)+|True|False|nan|None", text), (ex.id, col, text)
                assert not re.search(r"\b(more_than|peer_reviewed|unsourced|less_than)\b", text), (ex.id, text)
        for t in (ex.caption_zh, ex.note_zh):
            assert not re.search(r"[A-Za-z]{3,}", re.sub(r"`[^`]+`", "", t)), (ex.id, t[:80])


def test_a_case_without_its_sequel_is_refused_but_an_analysis_exercise_may_go_without():
    raw = yaml.safe_load((CASE_DIR / "keda_zhongtu.yaml").read_text(encoding="utf-8"))
    without = {k: v for k, v in raw.items() if k != "sequel"}
    with pytest.raises(ValueError, match="needs its sequel"):
        dc.DecisionCase.model_validate(without)
    assert dc.DecisionCase.model_validate({**without, "kind": "analysis_exercise"}).sequel is None
