"""The decision case that opens each unit, in the form of the China Management Case-Sharing Center
(中国管理案例共享中心, CMCC) 案例正文: title, summary with keywords, an opening that puts a
decision-maker before a decision, background, a body without commentary, an ending at the decision,
and exhibits drawn from the kit's datasets.

Each case is data (``datasets/decision_cases/<unit name>.yaml``), Chinese first with an English
twin of equal content; every paragraph carries its citation. Exhibits are rendered from
:func:`casekit.load_dataset`, never retyped.

A unit is given by its name (``"keda_zhongtu"``) or its number, the prefix of its notebook file (1–4).
Earlier casekit versions numbered the units 0–3, so 0 is refused, and a case asked for by a number
whose meaning changed (1–3) is shown with one line saying which unit it is (see :mod:`casekit.units`).

>>> from casekit import decision_cases as dc
>>> dc.case_units()
['srdi_landscape', 'keda_zhongtu', 'qingdao_six_paths', 'in_firm_cluster_costs']
>>> dc.load_case("keda_zhongtu").title_en
"Keda's leadership in 2018: keep spreading, or focus?"
>>> "关键词" in dc.case_markdown("keda_zhongtu", "zh")
True
"""
from __future__ import annotations

import html
import os
import re
import warnings
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from . import datasets as _datasets
from . import i18n, units
from ._guard import short
from ._yaml import load as _load_yaml, read_text as _read_text
from .errors import CasekitError

__all__ = [
    "DecisionCase", "DecisionPoint", "Exhibit", "Sequel", "KINDS", "cite_text", "case_units", "summary_length", "load_case", "case_markdown", "case_html", "exhibit_table",
    "show_case", "save_case",
]

DOCUMENTS = ("000", "001", "002", "003", "004")
# A citation names a source document and a place in it: a section, table, figure or the abstract.
CITE_PART = re.compile(r"\b(00[0-4])\b[^;]*?(§\s?\d|Table\s?\d|Figure\s?\d|abstract|表\s?\d|图\s?\d|摘要)")
HAN = re.compile(r"[\u3400-\u9fff]")
# YAML folds long lines with a space; Chinese text must not keep those spaces.
_WIDE = "\u3000-\u303f\u3400-\u9fff\uff00-\uffef“”‘’—…·"
_ZH_GAP = re.compile(rf"(?<=[{_WIDE}])\s+|\s+(?=[{_WIDE}])")


def summary_length(text: str) -> int:
    """Characters of a Chinese summary as the CMCC limit counts them: everything but whitespace."""
    return len(re.sub(r"\s", "", text))


def _tidy_zh(text: str) -> str:
    return _ZH_GAP.sub("", text).strip()


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _tidy(cls, data):
        if isinstance(data, dict):
            data = {k: _tidy_zh(v) if isinstance(v, str) and (k == "zh" or k.endswith("_zh")) else v
                    for k, v in data.items()}
        return data


class Paragraph(_Strict):
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)
    cite: str = Field(min_length=3)

    @model_validator(mode="after")
    def _cited(self):
        if not CITE_PART.search(self.cite):
            raise ValueError(f"cite {self.cite!r} must name a document (000–004) and a section, table or figure")
        return self


class Section(_Strict):
    id: str
    heading_zh: str
    heading_en: str
    paragraphs: list[Paragraph] = Field(min_length=1)


class Column(_Strict):
    column: str  # a column of the dataset, or a base name with _zh/_en twins
    zh: str
    en: str


class Exhibit(_Strict):
    id: str
    dataset: str
    caption_zh: str
    caption_en: str
    columns: list[Column] = Field(min_length=1)
    where: dict[str, list[Any]] = {}  # keep rows whose column value is in the list
    at_most: dict[str, float] = {}  # keep rows whose numeric column is <= the value
    note_zh: str = ""
    note_en: str = ""


_ID = r"^[a-z][a-z0-9_]*$"


class Option(_Strict):
    id: str = Field(pattern=_ID)
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class DecisionPoint(_Strict):
    """A question the class answers before the reveal: a decision (what would you do) or a
    prediction (what will the explorer or the data show). ``taken`` and ``after_*`` are what
    happened, or what the explorer shows; they are shown only after the reveal."""

    id: str = Field(pattern=_ID)
    kind: Literal["decision", "prediction"]
    question_zh: str = Field(min_length=1)
    question_en: str = Field(min_length=1)
    options: list[Option] = Field(min_length=2, max_length=6)
    taken: str | None = None
    after_zh: str = ""
    after_en: str = ""

    @model_validator(mode="after")
    def _options(self):
        ids = [o.id for o in self.options]
        if len(set(ids)) != len(ids):
            raise ValueError(f"option ids must be unique; {self.id} repeats one: {ids}")
        if self.taken is not None and self.taken not in ids:
            raise ValueError(f"taken {self.taken!r} is not one of the options {ids}")
        if bool(self.after_zh) != bool(self.after_en):
            raise ValueError("after_zh and after_en come together")
        return self


class Sequel(_Strict):
    """The B case (后续进展): what happened after the decision, shown only when asked."""

    title_zh: str = Field(min_length=1)
    title_en: str = Field(min_length=1)
    sections: list[Section] = Field(min_length=1)
    exhibits: list[Exhibit] = []


KINDS = {"case": ("决策案例", "Decision case"), "short_case": ("教学短案", "Short case"),
         "analysis_exercise": ("分析练习", "Analysis exercise")}


class DecisionCase(_Strict):
    """One unit's decision case (``datasets/decision_cases/<unit name>.yaml``)."""

    unit: str  # the unit's name, the same as the file's
    kind: Literal["case", "short_case", "analysis_exercise"] = "case"
    title_zh: str
    title_en: str
    summary_zh: str
    summary_en: str
    keywords_zh: list[str] = Field(min_length=3, max_length=5)
    keywords_en: list[str] = Field(min_length=3, max_length=5)
    frame_note_zh: str = ""
    frame_note_en: str = ""
    sections: list[Section] = Field(min_length=4)
    exhibits: list[Exhibit] = Field(min_length=1)
    sequel: Sequel | None = None
    decision_points: list[DecisionPoint] = []
    outcome_terms_zh: list[str] = []
    outcome_terms_en: list[str] = []

    @model_validator(mode="after")
    def _limits(self):
        n = summary_length(self.summary_zh)
        if n > 300:
            raise ValueError(f"summary_zh has {n} characters; the CMCC form allows at most 300")
        if len(self.keywords_zh) != len(self.keywords_en):
            raise ValueError("keywords_zh and keywords_en must have the same number of keywords")
        if bool(self.frame_note_zh) != bool(self.frame_note_en):
            raise ValueError("frame_note_zh and frame_note_en come together")
        if self.kind != "analysis_exercise" and self.sequel is None:
            raise ValueError(f"a {self.kind} needs its sequel (the B case: what happened after the decision)")
        ids = [p.id for p in self.decision_points]
        if len(set(ids)) != len(ids):
            raise ValueError(f"decision point ids must be unique: {ids}")
        for attr in ("sections", "exhibits"):
            seen = [x.id for x in getattr(self, attr)] + ([x.id for x in getattr(self.sequel, attr)] if self.sequel else [])
            dup = sorted({i for i in seen if seen.count(i) > 1})
            if dup:
                raise ValueError(f"{attr} ids must be unique across the A and B case; repeated: {dup}")
        return self

    def decision_point(self, point_id: str) -> DecisionPoint:
        for p in self.decision_points:
            if p.id == point_id:
                return p
        raise CasekitError(f"The {self.unit} case has no decision point {point_id!r}; "
                           f"it has {[p.id for p in self.decision_points]}.")


def case_units() -> list[str]:
    """The names of the units that have a decision case, in teaching order."""
    return units.unit_names()


def _check_unit(unit: Any) -> str:
    return units.find_unit(unit)   # a name or a number 1–4; anything else gets the list of units


def _check_lang(lang: str | None) -> str:
    lang = lang or i18n.get_language()
    if lang not in ("zh", "en"):
        raise CasekitError(f"Language {short(lang)} is not available; choose 'zh' or 'en'. "
                           f"没有语言 {short(lang)}；请选 'zh'（中文）或 'en'（英文）。")
    return lang


@lru_cache(maxsize=None)
def _load(name: str) -> DecisionCase:
    # Read through the datasets folder the loader uses, so the cases travel with the data.
    path = _datasets.DATA_DIR / "decision_cases" / f"{name}.yaml"
    raw = _read_case_file(path, name)
    try:
        case = DecisionCase.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        where = where if len(where) <= 100 else where[:99] + "…"
        msg = first["msg"] if len(first["msg"]) <= 200 else first["msg"][:199] + "…"
        raise CasekitError(i18n.t(
            f"The decision case for unit {name} is malformed at {where}: {msg}. Fix it in "
            f"datasets/decision_cases/{name}.yaml.",
            f"单元 {name} 的决策案例在 {where} 处有误：{msg}。请在 datasets/decision_cases/{name}.yaml 中修正。")) from None
    if case.unit != name:
        raise CasekitError(f"datasets/decision_cases/{name}.yaml says unit {case.unit!r}; it must say {name}.")
    return case


_MAX_CASE_BYTES = 2_000_000   # the longest case is about 90 kB


def _read_case_file(path: Path, name: str) -> Any:
    """The parsed YAML of a decision case file: a regular UTF-8 file (not a pipe, a device, a folder
    or a dangling link), no key given twice in a mapping, no aliases, nesting bounded."""
    where = f"datasets/decision_cases/{name}.yaml"
    try:
        text = _read_text(path, limit=_MAX_CASE_BYTES, what=("decision case file", "决策案例文件"),
                          hint=(f"Fix {where} or restore it from the kit.", f"请修正 {where}，或从套件中恢复它。"))
        return _load_yaml(text, what=(where, f"{where} "))
    except CasekitError as exc:
        raise CasekitError(i18n.t(f"The decision case for unit {name} could not be read: {exc}",
                                  f"单元 {name} 的决策案例无法读取：{exc}")) from None


def load_case(unit: str | int) -> DecisionCase:
    """The validated decision case of ``unit``: its name (``"keda_zhongtu"``) or its number (1–4).

    A number whose meaning changed (1–3; earlier versions numbered the units 0–3) also gives a
    warning that says which unit it is; the name gives none.
    """
    name = _check_unit(unit)
    note = units.renumbering_note(unit)
    if note:
        warnings.warn(note, UserWarning, stacklevel=2)
    return _load(name)


def _cell_text(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _check_selection(exhibit: Exhibit, df: pd.DataFrame) -> None:
    """An exhibit's ``where`` and ``at_most`` name columns of its dataset (and ``where`` lists values)."""
    for field, selection in (("where", exhibit.where), ("at_most", exhibit.at_most)):
        for col, value in (selection.items() if isinstance(selection, dict) else [(selection, None)]):
            if not isinstance(col, str) or col not in df.columns:
                cols = ", ".join(map(str, df.columns))
                cols = cols if len(cols) <= 200 else cols[:199] + "…"
                raise CasekitError(i18n.t(
                    f"Exhibit {short(exhibit.id, 40)}: {field} names {short(col, 40)}, which is not a column of the "
                    f"dataset {exhibit.dataset!r}. Use one of its columns: {cols}.",
                    f"附录 {short(exhibit.id, 40)}：{field} 中的 {short(col, 40)} 不是数据集 {exhibit.dataset!r} 的列。"
                    f"请用其中的列：{cols}。"))
            if field == "where" and not isinstance(value, (list, tuple, set)):
                raise CasekitError(i18n.t(
                    f"Exhibit {short(exhibit.id, 40)}: where {col} takes a list of values, e.g. [keda], not "
                    f"{short(value, 40)}.",
                    f"附录 {short(exhibit.id, 40)}：where 中的 {col} 应是取值列表，例如 [keda]，而不是 {short(value, 40)}。"))


def _exhibit_table(i: int, exhibit: Exhibit, lang: str, memo: dict | None) -> pd.DataFrame:
    """:func:`exhibit_table` of the ``i``-th exhibit, built once per ``memo`` (one shown case's: its
    HTML and Markdown share it)."""
    if memo is None:
        return exhibit_table(exhibit, lang)
    key = ("exhibit", i, exhibit.id, exhibit.dataset, lang)
    if key not in memo:
        memo[key] = exhibit_table(exhibit, lang)
    return memo[key]


def exhibit_table(exhibit: Exhibit, lang: str | None = None) -> pd.DataFrame:
    """The rows and columns an exhibit shows, from its dataset, with headers in ``lang``."""
    if not isinstance(exhibit, Exhibit):
        raise CasekitError(i18n.t(
            f"exhibit_table() takes an exhibit of a decision case, e.g. load_case('keda_zhongtu').exhibits[0], "
            f"not {short(exhibit, 40)}.",
            f"exhibit_table() 需要决策案例的一个附录，例如 load_case('keda_zhongtu').exhibits[0]，而不是 {short(exhibit, 40)}。"))
    lang = _check_lang(lang)
    df = _datasets.bare(_datasets.load_dataset(exhibit.dataset))   # the rows it shows; the provenance is cited below
    _check_selection(exhibit, df)
    for col, values in exhibit.where.items():
        df = df[df[col].astype(str).isin([str(v) for v in values])]
    for col, limit in exhibit.at_most.items():
        df = df[pd.to_numeric(df[col], errors="coerce") <= limit]
    out = {}
    names = []
    for c in exhibit.columns:
        name = f"{c.column}_{lang}" if f"{c.column}_{lang}" in df.columns else c.column
        if name not in df.columns:
            raise CasekitError(f"Exhibit {exhibit.id!r}: dataset {exhibit.dataset!r} has no column {c.column!r}.")
        names.append(name)
    # ids (a qualifier, a source type) as their labels from the glossary and the dataset's codebook
    shown = _datasets.label_codes(df[list(dict.fromkeys(names))], lang, dataset=exhibit.dataset)
    for c, name in zip(exhibit.columns, names):
        out[c.zh if lang == "zh" else c.en] = [_cell_text(v) for v in shown[name]]
    if not out[next(iter(out))]:
        raise CasekitError(f"Exhibit {exhibit.id!r} selects no rows of {exhibit.dataset!r}.")
    return pd.DataFrame(out)


_LABELS = {
    "summary": ("摘要", "Summary"),
    "keywords": ("关键词", "Keywords"),
    "exhibits": ("附录", "Exhibits"),
    "exhibit": ("附录", "Exhibit"),
    "source": ("出处", "Source"),
    "frame": ("资料说明", "About the sources"),
    "notes": ("注释", "Notes"),
    "documents": ("资料", "Sources"),
    "decision": ("决策问题", "The decision"),
    "prediction": ("预测", "Prediction"),
    "sequel_kicker": ("{heading} · B 案例（后续进展）", "{heading} · Case B (what happened next)"),
    "sequel_kicker_exercise": ("{heading} · 分析练习 · 揭晓", "{heading} · Analysis exercise · the reveal"),
    "taken": ("实际的选择", "What was chosen"),
    "borne_out": ("探索器的结果", "What the explorer shows"),
}

# The source documents as a reader of each language knows them (../shared/sources/README.md).
DOCUMENT_NAMES = {
    "000": ("王东升、霍奇、薛海燕：国家级“小巨人”企业研发营销协同与自主创新能力的双案例研究（科达自控、中涂交通）",
            "Wang Dongsheng, Huo Qi and Xue Haiyan: a dual case study of R&D–marketing collaboration and "
            "independent-innovation capability in national little giants (Keda, Zhongtu)"),
    "001": ("胡昊：数字化转型视角下融通创新驱动专精特新中小企业发展，《电子商务评论》14(4)，2025",
            "Hu Hao: co-innovation driving SRDI SMEs, a digital-transformation view, E-Commerce Letters 14(4), 2025"),
    "002": ("网络文章：“小巨人”企业的创新瓶颈与升级策略（厂商博客，未注明日期，统计多无出处）",
            "Web article on little giants' innovation bottlenecks and upgrades (vendor blog, undated, statistics mostly unsourced)"),
    "003": ("韩颖、杨雪：企业内技术创新集群，《技术经济》2005 年第 9 期",
            "Han Ying and Yang Xue: in-firm technology-innovation clusters, Technology Economics 2005 no. 9"),
    "004": ("大企业集群核心技术自主创新的路径：以青岛家电产业集群为例（约 2009—2010 年）",
            "Independent-innovation paths for core technology in large-enterprise clusters: the Qingdao appliance "
            "cluster (about 2009–2010)"),
}

# What a citation says besides places, in Chinese.
_CITE_ZH = [
    (re.compile(r"\(frame set by the kit\)"), "（本套件设定的框架）"),
    (re.compile(r"\(statistics\)"), "（统计）"),
    (re.compile(r"\(table of structural shortcomings\)"), "（结构性短板一表）"),
    (re.compile(r"\(kit's reading\)"), "（本套件的解读）"),
    (re.compile(r"\(kit's inference\)"), "（本套件的推论）"),
    (re.compile(r"\bTables?\s?(\d)"), r"表\1"),
    (re.compile(r"\bFigures?\s?(\d)"), r"图\1"),
    (re.compile(r"\babstract\b"), "摘要"),
    (re.compile(r"\band\b"), "和"),
    (re.compile(r"\s*;\s*"), "；"),
    (re.compile(r"\s*,\s*"), "，"),
]
_CITE_EN = [
    (re.compile(r"表\s?(\d)"), r"Table \1"),
    (re.compile(r"图\s?(\d)"), r"Figure \1"),
    (re.compile(r"摘要"), "abstract"),
    (re.compile(r"\s*；\s*"), "; "),
    (re.compile(r"\s*，\s*"), ", "),
    (re.compile(r"（"), " ("),
    (re.compile(r"）"), ")"),
]


def cite_text(cite: str, lang: str) -> str:
    """A citation as a reader of ``lang`` reads it: "000 §4.1; Table 3" is "资料000 §4.1；表3" in Chinese."""
    rules = _CITE_ZH if lang == "zh" else _CITE_EN
    out = cite.strip()
    for pattern, repl in rules:
        out = pattern.sub(repl, out)
    word = "资料" if lang == "zh" else "source "
    out = re.sub(r"\b(00[0-4])\b", lambda m: word + m.group(1), out)
    return re.sub(r"\s*[(（]", "（", out).replace(")", "）") if lang == "zh" else out


def _lab(key: str, lang: str) -> str:
    zh, en = _LABELS[key]
    return zh if lang == "zh" else en


def _where(dataset: str) -> str:
    src = _datasets.metadata(dataset).source
    if any(doc in src.location for doc in src.documents):
        return src.location
    return f"{', '.join(src.documents)} {src.location}"


def _source_line(dataset: str, lang: str) -> str:
    """Where an exhibit's rows come from, as a reader of ``lang`` reads it; a place described only in
    English (a dataset's provenance note) is left out of the Chinese line, its documents kept."""
    where = _where(dataset)
    if lang == "zh" and re.search(r"[A-Za-z]{3,}", re.sub(r"\b(Tables?|Figures?|abstract)\b", "", where)):
        docs = sorted(set(re.findall(r"\b(00[0-4])\b", where)))
        return "；".join("资料" + d for d in docs) if docs else ""
    return cite_text(where, lang)


def _md_cell(value: str) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _kicker(case: DecisionCase, lang: str, part: str = "A") -> str:
    heading = units.unit_heading(case.unit, lang)
    if part == "B":
        key = "sequel_kicker_exercise" if case.kind == "analysis_exercise" else "sequel_kicker"
        return _lab(key, lang).format(heading=heading)
    kind = KINDS[case.kind][0 if lang == "zh" else 1]
    return f"{heading} · {kind}"


def _check_part(part: str) -> str:
    key = str(part).strip().upper()
    if key not in ("A", "B"):
        raise CasekitError(f"part is 'A' (the case up to the decision) or 'B' (what happened next), not {part!r}. "
                           f"part 可取 'A'（决策之前的案例）或 'B'（后续进展），收到的是 {part!r}。")
    return key


class _Doc:
    """The parts of a case page in one language, shared by the Markdown and HTML forms."""

    def __init__(self, case: DecisionCase, lang: str, part: str):
        self.case, self.lang, self.part = case, lang, part
        self.notes: list[str] = []   # endnotes, numbered in the order first cited

    def g(self, obj: Any, field: str) -> str:
        return getattr(obj, f"{field}_{self.lang}")

    def note(self, cite: str) -> int:
        text = cite_text(cite, self.lang)
        if text not in self.notes:
            self.notes.append(text)
        return self.notes.index(text) + 1

    def documents(self) -> list[str]:
        used = sorted({d for n in self.notes for d in re.findall(r"(00[0-4])", n)})
        i = 0 if self.lang == "zh" else 1
        word = "资料" if self.lang == "zh" else "Source "
        sep = "：" if self.lang == "zh" else ": "
        return [f"{word}{d}{sep}{DOCUMENT_NAMES[d][i]}" for d in used]

    def sections(self) -> list[Section]:
        return self.case.sections if self.part == "A" else self.case.sequel.sections

    def exhibits(self) -> list[Exhibit]:
        return self.case.exhibits if self.part == "A" else self.case.sequel.exhibits

    def title(self) -> str:
        return self.g(self.case if self.part == "A" else self.case.sequel, "title")

    def points(self) -> list[DecisionPoint]:
        return [p for p in self.case.decision_points if p.kind == "decision"]


def _sequel_of(name: str) -> DecisionCase:
    case = _load(name)
    if case.sequel is None:
        raise CasekitError(f"The {name} unit has no part B (what happened next); its conclusions are in the "
                           f"notebook. {name} 单元没有 B 部分（后续进展），结论见笔记本。")
    return case


def _markdown(name: str, lang: str, note: str = "", part: str = "A", memo: dict | None = None) -> str:
    case = _sequel_of(name) if part == "B" else _load(name)
    d = _Doc(case, lang, part)
    sep = "；" if lang == "zh" else "; "
    colon = "：" if lang == "zh" else ": "
    lines = [f"> {note}", ""] if note else []
    lines += [f"*{_kicker(case, lang, part)}*", "", f"# {d.title()}", ""]
    if part == "A":
        lines += [f"**{_lab('summary', lang)}**{colon}{d.g(case, 'summary')}", ""]
        lines += [f"**{_lab('keywords', lang)}**{colon}{sep.join(d.g(case, 'keywords'))}", ""]
        if case.frame_note_en:
            lines += [f"> **{_lab('frame', lang)}**{colon}{d.g(case, 'frame_note')}", ""]
    for s in d.sections():
        lines += [f"## {d.g(s, 'heading')}", ""]
        for p in s.paragraphs:
            lines += [f"{getattr(p, lang)}<sup>[{d.note(p.cite)}]</sup>", ""]
    if part == "A" and d.points():
        lines += [f"## {_lab('decision', lang)}", ""]
        for p in d.points():
            lines += [f"**{d.g(p, 'question')}**", ""] + [f"- {getattr(o, lang)}" for o in p.options] + [""]
    if part == "B":
        for p in case.decision_points:
            if p.taken or p.after_en:
                lines += [f"**{d.g(p, 'question')}**", ""]
                if p.taken:
                    chosen = next(getattr(o, lang) for o in p.options if o.id == p.taken)
                    key = "taken" if p.kind == "decision" else "borne_out"
                    lines += [f"- {_lab(key, lang)}{colon}{chosen}"]
                if p.after_en:
                    lines += [f"- {d.g(p, 'after')}"]
                lines += [""]
    if d.exhibits():
        lines += [f"## {_lab('exhibits', lang)}", ""]
    for i, ex in enumerate(d.exhibits(), 1):
        df = _exhibit_table(i, ex, lang, memo)
        lines += [f"**{_lab('exhibit', lang)} {i}　{d.g(ex, 'caption')}**", ""]
        lines.append("| " + " | ".join(_md_cell(c) for c in df.columns) + " |")
        lines.append("|" + "---|" * len(df.columns))
        for row in df.itertuples(index=False):
            lines.append("| " + " | ".join(_md_cell(v) for v in row) + " |")
        lines.append("")
        src = _source_line(ex.dataset, lang)
        exnote = d.g(ex, "note")
        where = (f"（{src}）。" if lang == "zh" else f" ({src}).") if src else ("。" if lang == "zh" else ".")
        lines += [f"*{_lab('source', lang)}{colon}`{ex.dataset}`{where}{' ' + exnote if exnote and lang == 'en' else exnote}*", ""]
    lines += [f"## {_lab('notes', lang)}", ""] + [f"{i}. {n}" for i, n in enumerate(d.notes, 1)] + [""]
    lines += [f"**{_lab('documents', lang)}**", ""] + [f"- {x}" for x in d.documents()] + [""]
    return "\n".join(lines).rstrip() + "\n"


def case_markdown(unit: str | int, lang: str | None = None, part: str = "A") -> str:
    """The case as Markdown in ``lang`` (default: the current language), exhibits as tables.

    ``part="A"`` (default) is the case up to the decision; ``part="B"`` is what happened next (the
    B case, 后续进展), for after the class has decided. ``unit`` is a name or a number (1–4); a number
    whose meaning changed (1–3) puts one line on top saying which unit it is.
    """
    name, lang, part = _check_unit(unit), _check_lang(lang), _check_part(part)
    return _markdown(name, lang, units.renumbering_note(unit, lang), part)


_CSS = """
.ck-case{max-width:100%;line-height:1.7;font-size:15px;overflow-wrap:anywhere}
.ck-case h1{font-size:1.5em;margin:.2em 0 .5em}.ck-case h2{font-size:1.2em;margin:1.1em 0 .4em}
.ck-case .ck-kicker{color:#666;font-size:.9em}.ck-case sup.ck-cite{color:#777;font-size:.75em}
.ck-case .ck-frame{border-left:4px solid #c9a227;background:#fbf6e6;padding:.5em .8em;margin:.6em 0}
.ck-case .ck-decision{border-left:4px solid #0b5cad;background:#eef4fb;padding:.5em .8em;margin:.8em 0}
.ck-case .ck-wrap{max-width:100%;overflow-x:auto}
.ck-case table{border-collapse:collapse;width:100%;table-layout:auto;font-size:.9em;margin:.3em 0}
/* JupyterLab right-aligns table cells with a more specific rule; prose reads from the left */
.ck-case table th,.ck-case table td{border:1px solid #ccc;padding:4px 6px;text-align:left!important;vertical-align:top;
 white-space:normal;overflow-wrap:normal;word-break:normal;min-width:5em;max-width:24em}
.ck-case th{background:#f2f2f2}.ck-case .ck-src,.ck-case .ck-notes{color:#555;font-size:.88em}
"""


def case_html(unit: str | int, lang: str | None = None, *, standalone: bool = False, part: str = "A") -> str:
    """The case as HTML in ``lang``; ``standalone=True`` gives a whole page (for a handout file).

    ``part`` is "A" (default: up to the decision) or "B" (what happened next). ``unit`` is a name or a
    number (1–4); a number whose meaning changed (1–3) puts one line on top saying which unit it is.
    """
    name, lang, part = _check_unit(unit), _check_lang(lang), _check_part(part)
    return _html(name, lang, units.renumbering_note(unit, lang), standalone=standalone, part=part)


def _html(name: str, lang: str, note: str = "", *, standalone: bool = False, part: str = "A",
          memo: dict | None = None) -> str:
    case = _sequel_of(name) if part == "B" else _load(name)
    d = _Doc(case, lang, part)
    e = html.escape
    g = lambda obj, field: e(d.g(obj, field))  # noqa: E731
    colon = "：" if lang == "zh" else ": "
    sep = "；" if lang == "zh" else "; "
    out = [f'<div class="ck-case ck-part-{part.lower()}" lang="{"zh-CN" if lang == "zh" else "en"}">']
    if note:
        out.append(f'<div class="ck-frame ck-renumbered" role="note">{e(note)}</div>')
    out += [f'<div class="ck-kicker">{e(_kicker(case, lang, part))}</div>', f"<h1>{e(d.title())}</h1>"]
    if part == "A":
        out += [f"<p><b>{_lab('summary', lang)}</b>{colon}{g(case, 'summary')}</p>",
                f"<p><b>{_lab('keywords', lang)}</b>{colon}{e(sep.join(d.g(case, 'keywords')))}</p>"]
        if case.frame_note_en:
            out.append(f'<div class="ck-frame"><b>{_lab("frame", lang)}</b>{colon}{g(case, "frame_note")}</div>')
    for s in d.sections():
        out.append(f"<h2>{g(s, 'heading')}</h2>")
        for p in s.paragraphs:
            n = d.note(p.cite)
            out.append(f'<p>{e(getattr(p, lang))}<sup class="ck-cite"><a href="#ck-n-{name}-{part}-{n}" '
                       f'title="{e(d.notes[n - 1])}">[{n}]</a></sup></p>')
    if part == "A" and d.points():
        out.append(f'<div class="ck-decision"><h2>{_lab("decision", lang)}</h2>')
        for p in d.points():
            out.append(f"<p><b>{g(p, 'question')}</b></p><ul>"
                       + "".join(f"<li>{e(getattr(o, lang))}</li>" for o in p.options) + "</ul>")
        out.append("</div>")
    if part == "B":
        shown = [p for p in case.decision_points if p.taken or p.after_en]
        if shown:
            out.append('<div class="ck-decision">')
        for p in shown:
            out.append(f"<p><b>{g(p, 'question')}</b></p><ul>")
            if p.taken:
                chosen = next(getattr(o, lang) for o in p.options if o.id == p.taken)
                key = "taken" if p.kind == "decision" else "borne_out"
                out.append(f"<li>{_lab(key, lang)}{colon}{e(chosen)}</li>")
            if p.after_en:
                out.append(f"<li>{g(p, 'after')}</li>")
            out.append("</ul>")
        if shown:
            out.append("</div>")
    if d.exhibits():
        out.append(f"<h2>{_lab('exhibits', lang)}</h2>")
    for i, ex in enumerate(d.exhibits(), 1):
        df = _exhibit_table(i, ex, lang, memo)
        out.append(f"<p><b>{_lab('exhibit', lang)} {i}　{g(ex, 'caption')}</b></p>")
        out.append('<div class="ck-wrap">' + df.to_html(index=False, border=0, escape=True) + "</div>")
        src = e(_source_line(ex.dataset, lang))
        exnote = g(ex, "note")
        where = (f"（{src}）。" if lang == "zh" else f" ({src}).") if src else ("。" if lang == "zh" else ".")
        out.append(f'<p class="ck-src">{_lab("source", lang)}{colon}<code>{e(ex.dataset)}</code>{where}'
                   f"{' ' + exnote if exnote and lang == 'en' else exnote}</p>")
    out.append(f'<h2>{_lab("notes", lang)}</h2><ol class="ck-notes">'
               + "".join(f'<li id="ck-n-{name}-{part}-{i}">{e(n)}</li>' for i, n in enumerate(d.notes, 1)) + "</ol>")
    out.append(f'<p class="ck-notes"><b>{_lab("documents", lang)}</b></p><ul class="ck-notes">'
               + "".join(f"<li>{e(x)}</li>" for x in d.documents()) + "</ul>")
    out.append("</div>")
    body = "<style>" + _CSS + "</style>\n" + "\n".join(out)
    if not standalone:
        return body
    title = e(d.title())
    return (f'<!DOCTYPE html>\n<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title></head>'
            f'<body style="max-width:50em;margin:2em auto;padding:0 1em;font-family:sans-serif">\n{body}\n</body></html>\n')


class _CaseView:
    """What :func:`show_case` returns: shown as HTML in a notebook, as Markdown elsewhere.

    A notebook asks for all three forms of the one view (HTML, Markdown, plain text): the exhibit
    tables are built once for the view, and the Markdown, which is also its plain text, once."""

    def __init__(self, unit: str, lang: str, note: str = "", part: str = "A"):
        self.unit, self.lang, self.note, self.part = unit, lang, note, part
        self._memo: dict = {}

    def _repr_html_(self) -> str:
        return _html(self.unit, self.lang, self.note, part=self.part, memo=self._memo)

    def _repr_markdown_(self) -> str:
        if "markdown" not in self._memo:
            self._memo["markdown"] = _markdown(self.unit, self.lang, self.note, self.part, memo=self._memo)
        return self._memo["markdown"]

    def __repr__(self) -> str:
        return self._repr_markdown_()


def show_case(unit: str | int, lang: str | None = None, part: str = "A") -> _CaseView:
    """Show the decision case of ``unit`` in the current language (or ``lang``).

    ``unit`` is the unit's name (``"keda_zhongtu"``) or its number, the prefix of its notebook file
    (1–4). Earlier casekit versions numbered the units 0–3: 0 gets a message listing the units, and
    a number whose meaning changed (1–3) shows the unit with that number now, under one line saying so.
    ``part="A"`` (default) is the case up to the decision; ``part="B"`` is what happened next, for after
    the class has decided (the notebooks show it behind a "what happened" control: :mod:`casekit.reveal`).
    In a notebook it renders as HTML with the exhibits as tables.
    """
    name, lang, part = _check_unit(unit), _check_lang(lang), _check_part(part)
    if part == "B":
        _sequel_of(name)
    return _CaseView(name, lang, units.renumbering_note(unit, lang), part)


def save_case(unit: str | int, path: str | Path, lang: str | None = None, part: str = "A") -> Path:
    """Write the case as a handout: ``.html`` (a whole page) or ``.md``. Returns the path written.

    ``unit`` is a name or a number (1–4), as for :func:`show_case`; a number whose meaning changed
    (1–3) puts the same line on top of the handout. ``part="B"`` writes what happened next (hand it
    out after the class has decided).
    """
    name, lang, part = _check_unit(unit), _check_lang(lang), _check_part(part)
    note = units.renumbering_note(unit, lang)
    path = _handout_path(path)
    if path.suffix.lower() in (".html", ".htm"):
        text = _html(name, lang, note, standalone=True, part=part)
    else:
        text = _markdown(name, lang, note, part)   # part B without a sequel is refused inside
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CasekitError(i18n.t(
            f"Cannot write {short(str(path), 80)}: {exc.strerror or exc}. Save into a folder you can write to.",
            f"无法写入 {short(str(path), 80)}：{exc.strerror or exc}。请保存到你可写的文件夹。")) from None
    return path


def _handout_path(path: Any) -> Path:
    """Where :func:`save_case` may write: a .html/.md path in an existing folder, not a folder itself,
    a device or a pipe, nor a link that is broken or leads out of its folder (writing follows links).
    Checked before the case is rendered."""
    t = i18n.t
    example = "'keda_case.html'"
    if not isinstance(path, (str, Path)) or not str(path).strip():
        raise CasekitError(t(f"save_case() writes to a file path ending in .html or .md, e.g. {example}; "
                             f"{short(path, 40)} is not one.",
                             f"save_case() 需要以 .html 或 .md 结尾的文件路径，例如 {example}；{short(path, 40)} 不是。"))
    text = str(path)
    if "\x00" in text or len(text) > 1024 or any(len(p.encode("utf-8", "surrogateescape")) > 255
                                                 for p in Path(text).parts):
        raise CasekitError(t(f"{short(text, 40)} is not a usable file path (a NUL or a name too long); use a short path "
                             f"such as {example}.",
                             f"{short(text, 40)} 不是可用的文件路径（含 NUL 或名字过长）；请用较短的路径，例如 {example}。"))
    p = Path(text).expanduser()
    shown = short(str(p), 80)
    if p.suffix.lower() not in (".html", ".htm", ".md", ".markdown"):
        suffix = short(p.suffix, 20) if p.suffix else "a file without a suffix"
        raise CasekitError(t(f"save_case writes .html or .md, not {suffix}; use a path such as {example}.",
                             f"save_case 只写 .html 或 .md，不写 {suffix}；请用例如 {example} 的路径。"))
    folder = p.parent
    if os.path.islink(folder) and not folder.exists():
        raise CasekitError(t(f"The folder {short(str(folder), 80)} is a link to {short(os.readlink(folder), 60)}, which "
                             "does not exist; create that folder or choose another path.",
                             f"文件夹 {short(str(folder), 80)} 是指向 {short(os.readlink(folder), 60)} 的链接，而目标不存在；"
                             "请先创建该文件夹，或换一个路径。"))
    if folder.exists() and not folder.is_dir():
        raise CasekitError(t(f"{short(str(folder), 80)} is a file, not a folder; save into a folder, e.g. "
                             "'handouts/keda_case.html'.",
                             f"{short(str(folder), 80)} 是文件，不是文件夹；请保存到文件夹中，例如 'handouts/keda_case.html'。"))
    if not folder.exists():
        raise CasekitError(t(f"The folder {short(str(folder), 80)} does not exist; create it or choose another path.",
                             f"文件夹 {short(str(folder), 80)} 不存在；请先创建，或换一个路径。"))
    if os.path.islink(p):
        target = short(os.readlink(p), 60)
        if not p.exists():
            raise CasekitError(t(f"{shown} is a link to {target}, which does not exist; remove the link or choose another "
                                 "file name.",
                                 f"{shown} 是指向 {target} 的链接，而目标不存在；请删除该链接，或换一个文件名。"))
        if not p.resolve().is_relative_to(folder.resolve()):
            raise CasekitError(t(f"{shown} is a link to {target}, outside its folder: saving would overwrite that file. "
                                 "Remove the link or choose another file name.",
                                 f"{shown} 是指向文件夹外 {target} 的链接：保存会覆盖那个文件。请删除该链接，或换一个文件名。"))
    if p.is_dir():
        raise CasekitError(t(f"{shown} is a folder; give a file name inside it, e.g. {short(str(p / 'case.html'), 80)}.",
                             f"{shown} 是文件夹；请给出其中的文件名，例如 {short(str(p / 'case.html'), 80)}。"))
    if p.exists() and not p.is_file():
        raise CasekitError(t(f"{shown} is a device or a pipe, not a file; choose another file name such as {example}.",
                             f"{shown} 是设备或管道，不是文件；请换一个文件名，例如 {example}。"))
    return p
