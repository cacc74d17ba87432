"""The bundled datasets: names, loading with provenance, codebooks, display tables.

>>> import casekit
>>> "stages" in casekit.dataset_names()
True
>>> df = casekit.load_dataset("stages")
>>> df.attrs["source"]["documents"]
['000']
"""
from __future__ import annotations

import difflib
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from . import i18n
from .errors import CasekitError

__all__ = ["DATA_DIR", "dataset_names", "load_dataset", "codebook", "table", "metadata", "catalog", "DatasetMeta"]

# datasets/ sits beside the package (the kit is installed editable, from its repository).
DATA_DIR = Path(__file__).resolve().parent.parent / "datasets"

SourceType = Literal["peer_reviewed", "open_access_journal", "vendor_blog", "mixed", "illustrative", "kit"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ColumnDoc(_Strict):
    dtype: Literal["string", "category", "ordered", "int", "float", "bool"] = "string"
    en: str = Field(min_length=1)
    zh: str = Field(min_length=1)
    categories: list[Any] | None = None

    @model_validator(mode="after")
    def _ordered_needs_categories(self):
        if self.dtype == "ordered" and not self.categories:
            raise ValueError("dtype 'ordered' needs a 'categories' list giving the order")
        return self


class Source(_Strict):
    documents: list[str] = Field(min_length=1)
    citation_en: str = Field(min_length=1)
    citation_zh: str = Field(min_length=1)
    location: str = Field(min_length=1)
    source_type: SourceType


class Quirk(_Strict):
    id: str
    en: str
    zh: str


class DatasetMeta(_Strict):
    """The provenance record and codebook of one dataset (``datasets/NAME.yaml``)."""

    title_en: str
    title_zh: str
    description_en: str
    description_zh: str
    unit: int = Field(ge=0, le=3)
    source: Source
    illustrative: bool = False
    columns: dict[str, ColumnDoc]
    quirks: list[Quirk] = []


def dataset_names() -> list[str]:
    """The names :func:`load_dataset` accepts, sorted."""
    return sorted(p.stem for p in DATA_DIR.glob("*.csv") if (DATA_DIR / f"{p.stem}.yaml").exists())


def _check_name(name: Any) -> str:
    if isinstance(name, pd.DataFrame):
        raise CasekitError(
            "load_dataset() takes a dataset *name* (a string such as 'stages'), but it was given a "
            "DataFrame. You already have the data: use that DataFrame directly. "
            f"Available names: {', '.join(dataset_names())}."
        )
    if not isinstance(name, str):
        raise CasekitError(
            f"A dataset name is a string, not {type(name).__name__}. "
            f"Available names: {', '.join(dataset_names())}."
        )
    names = dataset_names()
    key = name.strip().lower().removesuffix(".csv")
    if key not in names:
        close = difflib.get_close_matches(key, names, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise CasekitError(
            f"There is no dataset called {name!r}.{hint} Available names: {', '.join(names)}."
        )
    return key


@lru_cache(maxsize=None)
def metadata(name: str) -> DatasetMeta:
    """The validated provenance record and codebook of a dataset."""
    key = _check_name(name)
    path = DATA_DIR / f"{key}.yaml"
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return DatasetMeta.model_validate(raw)
    except (yaml.YAMLError, ValidationError) as exc:
        raise CasekitError(f"The provenance file {path.name} is malformed: {exc}") from None


@lru_cache(maxsize=None)
def _read(key: str) -> pd.DataFrame:
    meta = metadata(key)
    df = pd.read_csv(DATA_DIR / f"{key}.csv", dtype=str, keep_default_na=False, encoding="utf-8")
    for col, doc in meta.columns.items():
        if col not in df.columns:
            continue
        s = df[col]
        if doc.dtype == "int":
            df[col] = pd.to_numeric(s.replace("", None)).astype("Int64")
        elif doc.dtype == "float":
            df[col] = pd.to_numeric(s.replace("", None)).astype("Float64")
        elif doc.dtype == "bool":
            df[col] = s.str.lower().map({"true": True, "false": False, "1": True, "0": False, "": pd.NA}).astype("boolean")
        elif doc.dtype == "category":
            df[col] = s.astype("category")
        elif doc.dtype == "ordered":
            cats = [str(c) for c in doc.categories]
            stray = sorted(set(s) - set(cats) - {""})
            if stray:
                raise CasekitError(
                    f"{key}.csv column {col!r} has values {stray} outside the order its codebook "
                    f"declares ({cats}). Fix the csv or add them to 'categories' in {key}.yaml."
                )
            df[col] = pd.Categorical(s.replace("", None), categories=cats, ordered=True)
    return df


def load_dataset(name: str) -> pd.DataFrame:
    """Load a bundled dataset as a new DataFrame.

    ``df.attrs["source"]`` holds the provenance (documents, citation, table/figure/section, source
    type, whether any value is illustrative), ``df.attrs["codebook"]`` one bilingual line per
    column and ``df.attrs["quirks"]`` the inconsistencies in the source that the data keeps as
    printed. Ids are categories (ordered where order means something), so ``sort_values`` and
    ``groupby`` do the expected thing.
    """
    key = _check_name(name)
    meta = metadata(key)
    df = _read(key).copy()
    df.attrs = {
        "name": key,
        "title": {"en": meta.title_en, "zh": meta.title_zh},
        "source": {**meta.source.model_dump(), "illustrative": meta.illustrative},
        "codebook": {c: {"en": d.en, "zh": d.zh} for c, d in meta.columns.items()},
        "quirks": [q.model_dump() for q in meta.quirks],
    }
    return df


def codebook(name: str) -> pd.DataFrame:
    """One line per column of a dataset, in the current language, with its type."""
    meta = metadata(name)
    lang = i18n.get_language()
    rows = [
        {"column": c, "type": d.dtype, "description": d.zh if lang == "zh" else d.en}
        for c, d in meta.columns.items()
    ]
    out = pd.DataFrame(rows)
    if lang == "zh":
        out.columns = ["列", "类型", "说明"]
    return out


def table(data: str | pd.DataFrame, columns: list[str] | None = None) -> pd.DataFrame:
    """A display copy of a dataset in the current language.

    Keeps language-neutral columns, keeps only the ``*_zh`` or ``*_en`` twin of each bilingual
    column (renamed without the suffix) and, in Chinese, renames headers from the codebook.
    """
    df = load_dataset(data) if isinstance(data, str) else data
    cb = df.attrs.get("codebook", {})
    lang = i18n.get_language()
    other = "en" if lang == "zh" else "zh"
    keep: dict[str, str] = {}
    for col in df.columns:
        if col.endswith(f"_{other}") and f"{col[:-3]}_{lang}" in df.columns:
            continue
        if f"{col}_{lang}" in df.columns and f"{col}_{other}" in df.columns:
            continue   # an id with its labels beside it: show the label (under the id's name)
        base = col[:-3] if col.endswith(f"_{lang}") and f"{col[:-3]}_{other}" in df.columns else col
        keep[col] = base
    out = df[list(keep)].rename(columns=keep)
    from .tables import label_codes   # labels, not codes (its own key column keeps its ids)

    out = label_codes(out, lang, skip=tuple(df.columns[:1]))
    if columns is not None:
        missing = [c for c in columns if c not in out.columns]
        if missing:
            raise CasekitError(
                f"The column(s) {missing} are not in the table. The table contains these columns: "
                f"{', '.join(out.columns)}."
            )
        out = out[columns]
    if lang == "zh":
        heads = {}
        for col, base in keep.items():
            doc = cb.get(col)
            if doc and base in out.columns:
                heads[base] = _short(doc["zh"])
        out = out.rename(columns=heads)
    out.attrs = dict(df.attrs)
    return out


def catalog() -> pd.DataFrame:
    """Every bundled dataset with its title, size and provenance, in the current language."""
    zh = i18n.get_language() == "zh"
    rows = []
    for name in dataset_names():
        meta = metadata(name)
        rows.append({
            "dataset": name,
            "unit": meta.unit,
            "title": meta.title_zh if zh else meta.title_en,
            "rows": len(_read(name)),
            "documents": ", ".join(meta.source.documents),
            "location": meta.source.location,
            "source_type": meta.source.source_type,
            "illustrative": meta.illustrative,
        })
    out = pd.DataFrame(rows)
    if zh and len(out):
        out.columns = ["数据集", "单元", "标题", "行数", "来源文献", "位置", "来源类型", "含示意数值"]
    return out


def _short(desc: str) -> str:
    # Codebook lines are sentences; a header wants the part before the first punctuation.
    for sep in ("（", "(", "：", ":", "，", ",", "。", "；"):
        desc = desc.split(sep)[0]
    return desc.strip() or desc
