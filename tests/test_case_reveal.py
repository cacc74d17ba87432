"""The A/B split of the cases (issue 24): nothing above the reveal names the outcome.

Each case names its outcome terms as data (``outcome_terms_zh/en`` in
``datasets/decision_cases/<unit>.yaml``): phrases that say what the firm did after the decision,
later stages, post-decision years, the framework's verdict. The tests run each narrative notebook
up to its reveal cell from a fresh kernel, in each language, and scan the markdown a reader sees and
every output (and widget state) for those terms; the case A text, the decision points' questions
and options, and the teaching notes' discussion questions are scanned too. Then the reveal itself:
it shows case B when pressed, asks once when no decision was made, and the decision panel keeps a
student's answers.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import nbformat
import pytest

import casekit
from casekit import decision_cases as dc
from casekit import reveal
from casekit.language import order_text

from notebook_runner import execute

ROOT = Path(__file__).resolve().parent.parent
CASES = [u for u in dc.case_units() if dc.load_case(u).sequel is not None]   # all four: cases and analysis exercises
NOTEBOOK = {u: ROOT / "notebooks" / f"{casekit.units.unit_notebook(u)}.ipynb" for u in dc.case_units()}
HAN = re.compile(r"[\u3400-\u9fff]")


def terms(unit: str, lang: str) -> list[str]:
    return getattr(dc.load_case(unit), f"outcome_terms_{lang}")


def named(text: str, unit: str, lang: str) -> list[str]:
    low = text.lower()
    return [t for t in terms(unit, lang) if t.lower() in low]


def test_the_case_units_are_cases_and_the_analysis_units_say_what_they_are():
    kinds = {u: dc.load_case(u).kind for u in dc.case_units()}
    assert kinds == {"srdi_landscape": "analysis_exercise", "keda_zhongtu": "case",
                     "qingdao_six_paths": "short_case", "in_firm_cluster_costs": "analysis_exercise"}
    for unit, kind in kinds.items():
        zh, en = dc.case_markdown(unit, "zh"), dc.case_markdown(unit, "en")
        assert dc.KINDS[kind][0] in zh.split("\n# ")[0] and dc.KINDS[kind][1] in en.split("\n# ")[0]


@pytest.mark.parametrize("unit", dc.case_units())
def test_every_unit_has_a_decision_and_a_prediction_in_both_languages(unit):
    case = dc.load_case(unit)
    assert {p.kind for p in case.decision_points} == {"decision", "prediction"}
    for p in case.decision_points:
        assert HAN.search(p.question_zh) and not HAN.search(p.question_en)
        for o in p.options:
            assert HAN.search(o.zh) and not HAN.search(o.en)


@pytest.mark.parametrize("unit", CASES)
def test_case_a_and_the_questions_do_not_name_the_outcome(unit):
    case = dc.load_case(unit)
    assert case.outcome_terms_zh and case.outcome_terms_en
    for lang in ("zh", "en"):
        text = dc.case_markdown(unit, lang, part="A")
        assert not named(text, unit, lang), f"case A ({lang}) names the outcome"
        for p in case.decision_points:
            asked = getattr(p, f"question_{lang}") + " ".join(getattr(o, lang) for o in p.options)
            assert not named(asked, unit, lang), f"decision point {p.id} ({lang}) names the outcome"
        # the B case is where the outcome is told
        assert named(dc.case_markdown(unit, lang, part="B"), unit, lang)


def _note_questions(unit: str, lang: str) -> list[str]:
    text = (ROOT / "teaching-notes" / f"{casekit.units.unit_notebook(unit)}.{lang}.md").read_text(encoding="utf-8")
    head = r"^## [^\n]*(启发思考题|思考题)" if lang == "zh" else r"^## [^\n]*(Discussion questions|Questions for discussion)"
    m = re.search(head + r"[^\n]*$(.*?)(?=^## )", text, re.S | re.M)
    assert m, f"{unit}.{lang}: no discussion-question section"
    return re.findall(r"^###\s+(.*)$", m.group(2), re.M)


@pytest.mark.parametrize("unit", CASES)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_notes_discussion_questions_do_not_name_the_outcome(unit, lang):
    questions = _note_questions(unit, lang)
    assert questions
    for q in questions:
        assert not named(q, unit, lang), f"note question {q!r} names the outcome"


@pytest.mark.parametrize("unit", CASES)
def test_the_word_paper_stays_out_of_the_case_bodies(unit):
    case = dc.load_case(unit)
    for part in (case.sections, case.sequel.sections):
        for s in part:
            for p in s.paragraphs:
                assert "论文" not in p.zh and "文章" not in p.zh, p.zh[:60]
                assert not re.search(r"\bthe (paper|article)\b", p.en, re.I), p.en[:60]


def _above_reveal(unit: str, lang: str, tmp_path: Path) -> tuple[nbformat.NotebookNode, int]:
    nb = nbformat.read(NOTEBOOK[unit], as_version=4)
    cut = next(i for i, c in enumerate(nb.cells) if reveal.REVEAL_TAG in c.metadata.get("tags", []))
    nb.cells = nb.cells[:cut + 1]
    old = os.environ.get("CASEKIT_LANG")
    os.environ["CASEKIT_LANG"] = lang   # the kernel nbclient starts inherits it
    try:
        execute(nb, f"{NOTEBOOK[unit].name} up to the reveal ({lang})", tmp_path, store_widget_state=True)
    finally:
        os.environ["CASEKIT_LANG"] = old or "en"
    return nb, cut


@pytest.fixture(scope="module", params=[(u, lang) for u in CASES for lang in ("zh", "en")],
                ids=lambda p: f"{p[0]}-{p[1]}")
def executed(request, tmp_path_factory):
    unit, lang = request.param
    nb, cut = _above_reveal(unit, lang, tmp_path_factory.mktemp(f"reveal-{unit}-{lang}"))
    return unit, lang, nb, cut


def test_nothing_a_reader_sees_above_the_reveal_names_the_outcome(executed):
    unit, lang, nb, cut = executed
    seen = []
    for cell in nb.cells[:cut + 1]:
        if cell.cell_type == "markdown":
            first = order_text(cell.source, lang)
            seen.append(first)
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            seen += [str(data.get(k, "")) for k in ("text/html", "text/plain", "text/markdown")]
            seen.append(str(out.get("text", "")))
    widgets = json.dumps(nb.metadata.get("widgets", {}), ensure_ascii=False)
    for text in seen + [widgets]:
        hits = named(text, unit, lang)
        assert not hits, f"{unit} ({lang}) shows {hits} above the reveal: …{text[:200]}…"
    # and the case itself was shown, in that language
    assert any(dc.load_case(unit).title_zh[:8] in s for s in seen) if lang == "zh" else \
        any(dc.load_case(unit).title_en[:12] in s for s in seen)


def test_the_reveal_hides_what_follows_until_pressed_and_then_shows_case_b():
    decided = reveal.decide("keda_zhongtu")
    shown = reveal.what_happened("keda_zhongtu", decided)
    assert f".celltag_{reveal.SEQUEL_TAG}{{display:none" in shown.body.value
    shown.button.click()   # no decision yet: asked once, nothing shown
    assert not shown.revealed and "celltag" in shown.body.value
    shown.button.click()
    assert shown.revealed and "display:none" not in shown.body.value and "{display:block!important}" in shown.body.value
    assert dc.load_case("keda_zhongtu").sequel.title_en in shown.body.value
    assert named(shown.body.value, "keda_zhongtu", "en")


def test_a_decision_made_first_reveals_at_one_press_and_follows_the_language():
    decided = reveal.decide("keda_zhongtu")
    decision = next(p for p in decided.panels if p.point.kind == "decision")
    decision.buttons[0].click()
    shown = reveal.what_happened("keda_zhongtu", decided)
    shown.button.click()
    assert shown.revealed
    casekit.set_language("zh")
    assert dc.load_case("keda_zhongtu").sequel.title_zh in shown.body.value
    assert "你的决策" in decision.question.value


def test_the_decision_panel_keeps_a_students_answers_across_kernels(tmp_path, monkeypatch):
    monkeypatch.setenv("CASEKIT_CONFIG_DIR", str(tmp_path))
    monkeypatch.delenv("CASEKIT_CLASSROOM", raising=False)
    panel = reveal.decide("qingdao_six_paths")
    first = panel.panels[0]
    first.buttons[1].click()
    first.reason.value = "<script>alert(1)</script> 因为资源有限"
    again = reveal.decide("qingdao_six_paths")
    assert again.panels[0].option == first.point.options[1].id
    assert again.panels[0].reason.value.endswith("因为资源有限")
    assert "Saved on this computer" in first.status.value
    first.reason.value = "字" * 1000   # an essay is cut to a sentence's room, with a message
    assert len(first.reason.value) == reveal.REASON_LIMIT


def test_in_the_classroom_answers_stay_in_the_page(tmp_path, monkeypatch):
    monkeypatch.setenv("CASEKIT_CONFIG_DIR", str(tmp_path))
    monkeypatch.setenv("CASEKIT_CLASSROOM", "1")
    panel = reveal.decide("keda_zhongtu")
    panel.panels[0].buttons[0].click()
    assert not (tmp_path / "answers.json").exists()
    assert panel.answers()[panel.panels[0].point.id]["option"] == panel.panels[0].point.options[0].id


def test_an_unreadable_answers_file_loses_nothing_and_says_nothing_alarming(tmp_path, monkeypatch):
    monkeypatch.setenv("CASEKIT_CONFIG_DIR", str(tmp_path))
    monkeypatch.delenv("CASEKIT_CLASSROOM", raising=False)
    (tmp_path / "answers.json").write_text("{not json", encoding="utf-8")
    panel = reveal.decide("keda_zhongtu")
    assert all(p.option is None for p in panel.panels)
    panel.panels[0].buttons[0].click()
    assert json.loads((tmp_path / "answers.json").read_text(encoding="utf-8"))["keda_zhongtu"]


def test_an_analysis_exercises_reveal_is_called_what_it_is_and_a_bad_part_is_explained():
    assert "Analysis exercise · the reveal" in dc.case_markdown("in_firm_cluster_costs", "en", part="B")
    assert "分析练习 · 揭晓" in dc.case_markdown("srdi_landscape", "zh", part="B")
    assert "B 案例（后续进展）" in dc.case_markdown("keda_zhongtu", "zh", part="B")
    with pytest.raises(casekit.CasekitError, match="part is 'A'"):
        dc.case_markdown("keda_zhongtu", "en", part="C")


def test_every_narrative_notebook_decides_before_its_reveal_and_analyses_after():
    for unit in dc.case_units():
        nb = nbformat.read(NOTEBOOK[unit], as_version=4)
        tags = [c.metadata.get("tags", []) for c in nb.cells]
        sources = [c.source for c in nb.cells]
        cut = next(i for i, t in enumerate(tags) if reveal.REVEAL_TAG in t)
        decide = next(i for i, s in enumerate(sources) if f'reveal.decide("{unit}")' in s)
        case = next(i for i, s in enumerate(sources) if f'show_case("{unit}")' in s)
        assert case < decide < cut < len(nb.cells) - 5, unit
        # the unit's tools (explorers, advisors, lenses) all come after the reveal
        for i, s in enumerate(sources[:cut]):
            assert not re.search(r"explore\(|advisor\(|lens\(|Explorer\(", s), (unit, i)
