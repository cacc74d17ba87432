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
import re
import warnings
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from . import datasets as _datasets
from . import i18n, units
from .errors import CasekitError

__all__ = [
    "DecisionCase", "Exhibit", "case_units", "summary_length", "load_case", "case_markdown", "case_html", "exhibit_table",
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


class DecisionCase(_Strict):
    """One unit's decision case (``datasets/decision_cases/<unit name>.yaml``)."""

    unit: str  # the unit's name, the same as the file's
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

    @model_validator(mode="after")
    def _limits(self):
        n = summary_length(self.summary_zh)
        if n > 300:
            raise ValueError(f"summary_zh has {n} characters; the CMCC form allows at most 300")
        if len(self.keywords_zh) != len(self.keywords_en):
            raise ValueError("keywords_zh and keywords_en must have the same number of keywords")
        return self


def case_units() -> list[str]:
    """The names of the units that have a decision case, in teaching order."""
    return units.unit_names()


def _check_unit(unit: Any) -> str:
    return units.find_unit(unit)   # a name or a number 1–4; anything else gets the list of units


def _check_lang(lang: str | None) -> str:
    lang = lang or i18n.get_language()
    if lang not in ("zh", "en"):
        raise CasekitError(f"Language {lang!r} is not available; choose 'zh' or 'en'.")
    return lang


@lru_cache(maxsize=None)
def _load(name: str) -> DecisionCase:
    # Read through the datasets folder the loader uses, so the cases travel with the data.
    path = _datasets.DATA_DIR / "decision_cases" / f"{name}.yaml"
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CasekitError(f"The decision case for unit {name} could not be read ({path}): {exc}") from None
    try:
        case = DecisionCase.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise CasekitError(f"The decision case for unit {name} is malformed at {where}: {first['msg']}") from None
    if case.unit != name:
        raise CasekitError(f"datasets/decision_cases/{name}.yaml says unit {case.unit!r}; it must say {name}.")
    return case


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


def exhibit_table(exhibit: Exhibit, lang: str | None = None) -> pd.DataFrame:
    """The rows and columns an exhibit shows, from its dataset, with headers in ``lang``."""
    lang = _check_lang(lang)
    df = _datasets.load_dataset(exhibit.dataset)
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
    "frame": ("说明", "Note"),
    "unit": ("{heading} · 决策案例", "{heading} · Decision case"),
}


def _lab(key: str, lang: str) -> str:
    zh, en = _LABELS[key]
    return zh if lang == "zh" else en


def _where(dataset: str) -> str:
    src = _datasets.metadata(dataset).source
    if any(doc in src.location for doc in src.documents):
        return src.location
    return f"{', '.join(src.documents)} {src.location}"


def _md_cell(value: str) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _kicker(case: DecisionCase, lang: str) -> str:
    return _lab("unit", lang).format(heading=units.unit_heading(case.unit, lang))


def case_markdown(unit: str | int, lang: str | None = None) -> str:
    """The case as Markdown in ``lang`` (default: the current language), exhibits as tables.

    ``unit`` is a name or a number (1–4); a number whose meaning changed (1–3) puts one line on top
    saying which unit it is.
    """
    name, lang = _check_unit(unit), _check_lang(lang)
    return _markdown(name, lang, units.renumbering_note(unit, lang))


def _markdown(name: str, lang: str, note: str = "") -> str:
    case = _load(name)
    g = lambda obj, field: getattr(obj, f"{field}_{lang}")  # noqa: E731
    sep = "；" if lang == "zh" else "; "
    colon = "：" if lang == "zh" else ": "
    lines = [f"> {note}", ""] if note else []
    lines += [f"*{_kicker(case, lang)}*", "", f"# {g(case, 'title')}", ""]
    lines += [f"**{_lab('summary', lang)}**{colon}{g(case, 'summary')}", ""]
    lines += [f"**{_lab('keywords', lang)}**{colon}{sep.join(g(case, 'keywords'))}", ""]
    if case.frame_note_en:
        lines += [f"> **{_lab('frame', lang)}**{colon}{g(case, 'frame_note')}", ""]
    for s in case.sections:
        lines += [f"## {g(s, 'heading')}", ""]
        for p in s.paragraphs:
            lines += [f"{getattr(p, lang)} [{p.cite}]", ""]
    lines += [f"## {_lab('exhibits', lang)}", ""]
    for i, ex in enumerate(case.exhibits, 1):
        df = exhibit_table(ex, lang)
        lines += [f"**{_lab('exhibit', lang)} {i}　{g(ex, 'caption')}**", ""]
        lines.append("| " + " | ".join(_md_cell(c) for c in df.columns) + " |")
        lines.append("|" + "---|" * len(df.columns))
        for row in df.itertuples(index=False):
            lines.append("| " + " | ".join(_md_cell(v) for v in row) + " |")
        lines.append("")
        src = _where(ex.dataset)
        note = g(ex, "note")
        lines += [f"*{_lab('source', lang)}{colon}`{ex.dataset}` ({src}).{' ' + note if note else ''}*", ""]
    return "\n".join(lines).rstrip() + "\n"


_CSS = """
.ck-case{max-width:100%;line-height:1.65;font-size:14px;overflow-wrap:anywhere}
.ck-case h1{font-size:1.5em;margin:.2em 0 .5em}.ck-case h2{font-size:1.2em;margin:1.1em 0 .4em}
.ck-case .ck-kicker{color:#666;font-size:.9em}.ck-case .ck-cite{color:#777;font-size:.85em;white-space:nowrap}
.ck-case .ck-frame{border-left:4px solid #c9a227;background:#fbf6e6;padding:.5em .8em;margin:.6em 0}
.ck-case .ck-wrap{max-width:100%;overflow-x:auto}
.ck-case table{border-collapse:collapse;width:100%;table-layout:auto;font-size:.9em;margin:.3em 0}
/* JupyterLab right-aligns table cells with a more specific rule; prose reads from the left */
.ck-case table th,.ck-case table td{border:1px solid #ccc;padding:4px 6px;text-align:left!important;vertical-align:top;
 white-space:normal;overflow-wrap:anywhere;max-width:24em}
.ck-case th{background:#f2f2f2}.ck-case .ck-src{color:#666;font-size:.85em}
"""


def case_html(unit: str | int, lang: str | None = None, *, standalone: bool = False) -> str:
    """The case as HTML in ``lang``; ``standalone=True`` gives a whole page (for a handout file).

    ``unit`` is a name or a number (1–4); a number whose meaning changed (1–3) puts one line on top
    saying which unit it is.
    """
    name, lang = _check_unit(unit), _check_lang(lang)
    return _html(name, lang, units.renumbering_note(unit, lang), standalone=standalone)


def _html(name: str, lang: str, note: str = "", *, standalone: bool = False) -> str:
    case = _load(name)
    e = html.escape
    g = lambda obj, field: e(getattr(obj, f"{field}_{lang}"))  # noqa: E731
    colon = "：" if lang == "zh" else ": "
    sep = "；" if lang == "zh" else "; "
    out = [f'<div class="ck-case" lang="{"zh-CN" if lang == "zh" else "en"}">']
    if note:
        out.append(f'<div class="ck-frame ck-renumbered" role="note">{e(note)}</div>')
    out += [f'<div class="ck-kicker">{e(_kicker(case, lang))}</div>',
           f"<h1>{g(case, 'title')}</h1>",
           f"<p><b>{_lab('summary', lang)}</b>{colon}{g(case, 'summary')}</p>",
           f"<p><b>{_lab('keywords', lang)}</b>{colon}{e(sep.join(getattr(case, 'keywords_' + lang)))}</p>"]
    if case.frame_note_en:
        out.append(f'<div class="ck-frame"><b>{_lab("frame", lang)}</b>{colon}{g(case, "frame_note")}</div>')
    for s in case.sections:
        out.append(f"<h2>{g(s, 'heading')}</h2>")
        for p in s.paragraphs:
            out.append(f'<p>{e(getattr(p, lang))} <span class="ck-cite">[{e(p.cite)}]</span></p>')
    out.append(f"<h2>{_lab('exhibits', lang)}</h2>")
    for i, ex in enumerate(case.exhibits, 1):
        df = exhibit_table(ex, lang)
        out.append(f"<p><b>{_lab('exhibit', lang)} {i}　{g(ex, 'caption')}</b></p>")
        out.append('<div class="ck-wrap">' + df.to_html(index=False, border=0, escape=True) + "</div>")
        src = e(_where(ex.dataset))
        note = g(ex, "note")
        out.append(f'<p class="ck-src">{_lab("source", lang)}{colon}<code>{e(ex.dataset)}</code> ({src}).'
                   f"{' ' + note if note else ''}</p>")
    out.append("</div>")
    body = "<style>" + _CSS + "</style>\n" + "\n".join(out)
    if not standalone:
        return body
    title = g(case, "title")
    return (f'<!DOCTYPE html>\n<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title></head>'
            f'<body style="max-width:50em;margin:2em auto;padding:0 1em;font-family:sans-serif">\n{body}\n</body></html>\n')


class _CaseView:
    """What :func:`show_case` returns: shown as HTML in a notebook, as Markdown elsewhere."""

    def __init__(self, unit: str, lang: str, note: str = ""):
        self.unit, self.lang, self.note = unit, lang, note

    def _repr_html_(self) -> str:
        return _html(self.unit, self.lang, self.note)

    def _repr_markdown_(self) -> str:
        return _markdown(self.unit, self.lang, self.note)

    def __repr__(self) -> str:
        return _markdown(self.unit, self.lang, self.note)


def show_case(unit: str | int, lang: str | None = None) -> _CaseView:
    """Show the decision case of ``unit`` in the current language (or ``lang``).

    ``unit`` is the unit's name (``"keda_zhongtu"``) or its number, the prefix of its notebook file
    (1–4). Earlier casekit versions numbered the units 0–3: 0 gets a message listing the units, and
    a number whose meaning changed (1–3) shows the unit with that number now, under one line saying so.
    In a notebook it renders as HTML with the exhibits as tables; ``casekit.set_language("zh")``
    and run again for Chinese.
    """
    name, lang = _check_unit(unit), _check_lang(lang)
    return _CaseView(name, lang, units.renumbering_note(unit, lang))


def save_case(unit: str | int, path: str | Path, lang: str | None = None) -> Path:
    """Write the case as a handout: ``.html`` (a whole page) or ``.md``. Returns the path written.

    ``unit`` is a name or a number (1–4), as for :func:`show_case`; a number whose meaning changed
    (1–3) puts the same line on top of the handout.
    """
    name, lang = _check_unit(unit), _check_lang(lang)
    note = units.renumbering_note(unit, lang)
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".html", ".htm"):
        text = _html(name, lang, note, standalone=True)
    elif suffix in (".md", ".markdown"):
        text = _markdown(name, lang, note)
    else:
        raise CasekitError(f"save_case writes .html or .md, not {path.suffix or 'a file without a suffix'!r}.")
    if path.parent and not path.parent.exists():
        raise CasekitError(f"The folder {path.parent} does not exist; create it or choose another path.")
    path.write_text(text, encoding="utf-8")
    return path
