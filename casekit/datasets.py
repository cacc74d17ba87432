"""The bundled datasets: names, loading with provenance, codebooks, display tables.

>>> import casekit
>>> "stages" in casekit.dataset_names()
True
>>> df = casekit.load_dataset("stages")
>>> df.attrs["source"]["documents"]
['000']
"""
from __future__ import annotations

import csv
import difflib
import os
import re
import time
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from . import i18n
from ._guard import protect, short
from ._readonly import freeze
from ._yaml import parse as _parse_yaml
from .errors import CasekitError

__all__ = ["DATA_DIR", "dataset_names", "load_dataset", "codebook", "table", "metadata", "catalog", "DatasetMeta",
           "code_labels", "code_label", "column_labels", "label_codes"]


def _data_dir() -> Path:
    """The top-level ``datasets/`` is the one source: a wheel or ``pip install .`` carries it as
    ``casekit/_data`` (pyproject's package-dir mapping); a clone (editable install) reads it in place."""
    shipped = Path(str(resources.files("casekit") / "_data"))
    return shipped if shipped.is_dir() else Path(__file__).resolve().parent.parent / "datasets"


DATA_DIR = _data_dir()

SourceType = Literal["peer_reviewed", "open_access_journal", "vendor_blog", "mixed", "illustrative", "kit"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Label(_Strict):
    en: str = Field(min_length=1)
    zh: str = Field(min_length=1)


class ColumnDoc(_Strict):
    dtype: Literal["string", "category", "ordered", "int", "float", "bool"] = "string"
    en: str = Field(min_length=1)
    zh: str = Field(min_length=1)
    categories: list[Any] | None = None
    #: Labels of this column's codes where they are not the glossary's (a code that means something
    #: else here, such as ``sales`` founders, not the sales department) or not glossary terms at all.
    labels: dict[str, Label] = {}

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
    unit: str  # the name of the unit that uses it most (a row of units.csv)
    source: Source
    illustrative: bool = False
    columns: dict[str, ColumnDoc]
    quirks: list[Quirk] = []

    @model_validator(mode="after")
    def _known_unit(self):
        names = _unit_names()
        if self.unit not in names:
            raise ValueError(f"unit {self.unit!r} is not a unit name; use one of {list(names)} (units.csv)")
        return self


def _unit_names() -> tuple[str, ...]:
    # The unit registry is itself a dataset whose record names a unit, so it is read directly here
    # (once per version of the file: every dataset's record is checked against it).
    path = DATA_DIR / "units.csv"
    try:
        st = path.stat()
    except OSError:
        return ()
    return _unit_names_of(path, st.st_mtime_ns, st.st_size)


@lru_cache(maxsize=8)
def _unit_names_of(path: Path, mtime_ns: int, size: int) -> tuple[str, ...]:
    try:
        return tuple(pd.read_csv(path, dtype=str, encoding="utf-8")["unit"])
    except (OSError, KeyError, ValueError):
        return ()


def dataset_names() -> list[str]:
    """The names :func:`load_dataset` accepts, sorted."""
    # The kit asks this on every load (130 times in unit 01): the folder is listed again only when
    # its modification time says an entry was added, removed or renamed (one stat, not a listing).
    # A folder changed in the last two seconds is listed afresh each time ("racy git"): a file system
    # may stamp two quick changes with the same coarse time.
    try:
        st = os.stat(DATA_DIR)
    except OSError:
        return []
    if time.time_ns() - st.st_mtime_ns < 2_000_000_000:
        return list(_names_in.__wrapped__(str(DATA_DIR), st.st_mtime_ns, st.st_ino))
    return list(_names_in(str(DATA_DIR), st.st_mtime_ns, st.st_ino))


@lru_cache(maxsize=4)
def _names_in(folder: str, mtime_ns: int, inode: int) -> tuple[str, ...]:
    # One listing of the folder, not a glob and a stat per file.
    # An entry listed exists, unless it is a link (a dangling one does not): only links are checked.
    try:
        with os.scandir(folder) as it:
            entries = {e.name: e.is_symlink() for e in it}
    except OSError:
        return ()
    names = []
    for e in entries:
        if e.endswith(".csv"):
            stem = e[:-4] or e     # as Path(".csv").stem, which is ".csv"
            link = entries.get(f"{stem}.yaml")
            if link is not None and (not link or os.path.exists(os.path.join(folder, f"{stem}.yaml"))):
                names.append(stem)
    return tuple(sorted(names))


def _check_name(name: Any) -> str:
    if isinstance(name, pd.DataFrame):
        raise CasekitError(i18n.t(
            "load_dataset() takes a dataset *name* (a string such as 'stages'), but it was given a "
            "DataFrame. You already have the data: use that DataFrame directly. "
            "List the names with casekit.dataset_names().",
            "load_dataset() 需要数据集的*名称*（如 'stages' 这样的字符串），收到的却是 DataFrame。"
            "数据已经在手上，直接使用这个 DataFrame 即可。全部名称可用 casekit.dataset_names() 列出。"))
    if not isinstance(name, str):
        raise CasekitError(i18n.t(
            f"A dataset name is a string such as 'stages', not {type(name).__name__} ({short(name, 40)}). "
            "List the names with casekit.dataset_names().",
            f"数据集名称应为字符串，例如 'stages'，而不是 {type(name).__name__}（{short(name, 40)}）。"
            "全部名称可用 casekit.dataset_names() 列出。"))
    names = dataset_names()
    key = name.strip().lower().removesuffix(".csv")
    if key not in names:
        close = difflib.get_close_matches(key, names, n=1) if len(key) <= 100 else []
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise CasekitError(i18n.t(
            f"There is no dataset called {short(name, 60)}.{hint} Available names include {_some_names(names)}; "
            "list them all with casekit.dataset_names().",
            f"没有名为 {short(name, 60)} 的数据集。{hint} 可用的名称包括 {_some_names(names)}；"
            "全部名称可用 casekit.dataset_names() 列出。"))
    return key


def _some_names(names: list[str], limit: int = 200) -> str:
    """As many names as fit in ``limit`` characters (a message stays short as datasets are added)."""
    out: list[str] = []
    for n in names:
        if len(", ".join(out + [n])) > limit:
            out.append("…")
            break
        out.append(n)
    return ", ".join(out)


def metadata(name: str) -> DatasetMeta:
    """The validated provenance record and codebook of a dataset."""
    return _metadata(_check_name(name))   # checked first: a DataFrame or a list is not hashable


@lru_cache(maxsize=None)
def _metadata(key: str) -> DatasetMeta:
    path = DATA_DIR / f"{key}.yaml"
    try:
        raw = _parse_yaml(path.read_text(encoding="utf-8"))   # StrictLoader's reading: no key twice
        return DatasetMeta.model_validate(raw)
    except (yaml.YAMLError, ValidationError) as exc:
        raise CasekitError(f"The provenance file {path.name} is malformed: {exc}") from None


@lru_cache(maxsize=None)
def _read(key: str) -> pd.DataFrame:
    meta = _metadata(key)
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

    The provenance, codebook and quirks are read-only and shared by every table made from the
    dataset (pandas would otherwise deep-copy them into every column and slice): to keep notes of
    your own, copy one (``dict(df.attrs["source"])``) or add a key of your own to ``df.attrs``.
    """
    key = _check_name(name)
    df = _read(key).copy()
    df.attrs = _attrs(key)
    return df


@lru_cache(maxsize=None)
def _attrs(key: str) -> dict[str, Any]:
    """A dataset's ``attrs``, made once: read-only and shared, so pandas does not deep-copy them
    into every column and slice taken from the table (see casekit._readonly)."""
    meta = _metadata(key)
    return freeze({
        "name": key,
        "title": {"en": meta.title_en, "zh": meta.title_zh},
        "source": {**meta.source.model_dump(), "illustrative": meta.illustrative},
        "codebook": {c: {"en": d.en, "zh": d.zh} for c, d in meta.columns.items()},
        "quirks": [q.model_dump() for q in meta.quirks],
    })


def codebook(name: str) -> pd.DataFrame:
    """One line per column of a dataset, in the current language, with its type.

    ``name`` may also be a DataFrame that :func:`load_dataset` returned (its ``attrs`` name it).
    """
    if isinstance(name, pd.DataFrame) and isinstance(name.attrs.get("name"), str):
        name = name.attrs["name"]
    elif isinstance(name, pd.DataFrame):
        raise CasekitError(i18n.t(
            "codebook() takes a dataset name such as 'stages' (or a table load_dataset() returned); this "
            "DataFrame does not say which dataset it is. Pass the name; list them with casekit.dataset_names().",
            "codebook() 需要数据集名称，例如 'stages'（或 load_dataset() 返回的表）；这个 DataFrame 没有标明"
            "来自哪个数据集。请传入名称，全部名称可用 casekit.dataset_names() 列出。"))
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
    if isinstance(data, str):
        df = load_dataset(data)
    elif isinstance(data, pd.DataFrame):
        df = data
    else:
        raise CasekitError(i18n.t(
            f"table() takes a dataset name such as 'stages' or a DataFrame, not {type(data).__name__} "
            f"({short(data, 40)}). List the names with casekit.dataset_names().",
            f"table() 需要数据集名称（如 'stages'）或 DataFrame，而不是 {type(data).__name__}（{short(data, 40)}）。"
            "全部名称可用 casekit.dataset_names() 列出。"))
    if isinstance(columns, str):       # one column: "firm" means ["firm"], not ['f', 'i', 'r', 'm']
        columns = [columns]
    elif columns is not None and not isinstance(columns, (list, tuple, pd.Index)):
        raise CasekitError(i18n.t(
            f"columns is a list of column names, e.g. ['firm', 'name'], not {short(columns, 40)}.",
            f"columns 应为列名列表，例如 ['firm', 'name']，而不是 {short(columns, 40)}。"))
    cb = df.attrs.get("codebook", {})
    if not isinstance(cb, dict):
        cb = {}
    lang = i18n.get_language()
    other = "en" if lang == "zh" else "zh"
    keep: dict[str, str] = {}
    names = {str(c) for c in df.columns}
    for col in df.columns:
        c = str(col)               # a column may be named by a number
        if c.endswith(f"_{other}") and f"{c[:-3]}_{lang}" in names:
            continue
        if f"{c}_{lang}" in names and f"{c}_{other}" in names:
            continue   # an id with its labels beside it: show the label (under the id's name)
        keep[col] = c[:-3] if c.endswith(f"_{lang}") and f"{c[:-3]}_{other}" in names else col
    out = df[list(keep)].rename(columns=keep)
    if columns is not None:   # chosen first: only the columns shown are labelled
        have = list(out.columns)
        missing = [short(c, 40) for c in columns if not any(c is h or (type(c) is type(h) and c == h) for h in have)]
        if missing:
            listed = ", ".join(map(str, have))
            listed = listed if len(listed) < 300 else listed[:299] + "…"
            raise CasekitError(i18n.t(
                f"The column(s) {', '.join(missing[:5])} are not in the table. The table contains these columns "
                f"(use some of them): {listed}.",
                f"表中没有列 {', '.join(missing[:5])}。表中的列如下（请从中选用）：{listed}。"))
        out = out[list(columns)]
    # labels, not codes; the dataset's own key column shows its ids, which a reader types, beside them
    key = str(df.columns[0]) if len(df.columns) else None
    out = label_codes(out, lang, key=key if key in out.columns else None,
                      dataset=df.attrs.get("name") if isinstance(df.attrs.get("name"), str) else None)
    if lang == "zh":
        heads = {}
        for col, base in keep.items():
            doc = cb.get(col) if isinstance(col, str) else None
            if doc and base in out.columns:
                heads[base] = _named_columns(_short(doc["zh"]), cb, col)
        out = out.rename(columns=heads)
    out.index = _labelled_index(out.index, lang, cb, df.attrs.get("name"))
    ids = _labels("")
    if not any(isinstance(c, str) and c in cb for c in out.columns):   # columns that are ids (an unstacked table)
        out.columns = [ids[c][1 if lang == "zh" else 0] if isinstance(c, str) and c in ids else c for c in out.columns]
    out.columns.name = _header(df.columns.name, lang, cb, frozenset(map(str, df.columns)))
    out.attrs = dict(df.attrs)
    return out


def _header(name: Any, lang: str, cb: dict, values: frozenset = frozenset()) -> Any:
    """An index's or a column axis's name as a header: the codebook's words in Chinese."""
    if not isinstance(name, str) or lang != "zh":
        return name
    doc = cb.get(name)
    if isinstance(doc, dict) and "zh" in doc:
        return _short(doc["zh"])
    label = code_label(name, lang)
    return label if label != name else (_any_codebook_header(name, values) or name)


@lru_cache(maxsize=None)
def _any_codebook_header(column: str, values: frozenset = frozenset()) -> str | None:
    """The Chinese header of a column of this name in a table that lost its dataset: from the codebook
    of a dataset whose column holds these ``values`` (an index's), else the one most codebooks give."""
    heads = []
    for n in _datasets_with(column):
        doc = _metadata(n).columns.get(column)
        if doc is None:
            continue
        if values and values <= set(_read(n)[column].astype(str)):
            return _short(doc.zh)
        heads.append(_short(doc.zh))
    return max(heads, key=heads.count) if heads else None


def _labelled_index(index: pd.Index, lang: str, cb: dict, dataset: Any) -> pd.Index:
    """A grouped table's index (``firm``, ``path`` × ``actor`` ...) shown as labels, like its columns."""
    if isinstance(index, pd.RangeIndex):
        return index
    frame = index.to_frame(index=False)
    names = [f"level_{i}" if n is None else n for i, n in enumerate(index.names)]
    frame.columns = names
    shown = label_codes(frame, lang, dataset=dataset if isinstance(dataset, str) else None)
    if isinstance(index, pd.MultiIndex):
        out = pd.MultiIndex.from_frame(shown)
    else:
        out = pd.Index(shown.iloc[:, 0])
    out.names = [_header(n, lang, cb, frozenset(map(str, index.get_level_values(i).dropna().unique())))
                 for i, n in enumerate(index.names)]
    return out


# --------------------------------------------------------------------------------------------
# Labels, not codes: a display table shows "产品创新型", not "product_innovation"
# --------------------------------------------------------------------------------------------
@lru_cache(maxsize=None)
def _term_labels() -> dict[str, tuple[str, str]]:
    """Every id the kit names, with its (English, Chinese) label: the glossary (术语表) first, then
    the id column of every dataset that has ``name_en`` and ``name_zh`` (firms, paths, examples ...).

    Labels are plain text, so the csv files are read for just these columns with the csv module:
    a notebook's first labelled table no longer loads, types and validates every dataset that has
    names (0.08 s of each kernel). A file the csv module cannot read cleanly is read as before, so
    :func:`_read` says what is wrong with it."""
    out: dict[str, tuple[str, str]] = {}
    glossary = _plain_columns("glossary", ("id", "en", "zh"))
    if glossary is None:
        g = _read("glossary")
        glossary = list(zip(g["id"].astype(str), g["en"].astype(str), g["zh"].astype(str)))
    for i, en, zh in glossary:
        out[i] = (en, zh)
    for name in dataset_names():
        rows = _plain_columns(name, (None, "name_en", "name_zh"))   # [] for a table without names
        if rows is None:
            df = _read(name)
            if not {"name_en", "name_zh"} <= set(df.columns):
                continue
            rows = zip(df.iloc[:, 0].astype(str), df["name_en"], df["name_zh"])
        for k, en, zh in rows:
            out.setdefault(k, (str(en), str(zh)))
    return out


def _plain_columns(key: str, wanted: tuple[str | None, ...]) -> list[tuple[str, ...]] | None:
    """The text of columns ``wanted`` (None: the first column) of ``key``'s csv, row by row, read
    with the csv module; [] when the file lacks one of them; None when the file is not a clean csv
    (a row of the wrong length, bad encoding, unreadable), for the caller to read it the usual way."""
    try:
        with open(DATA_DIR / f"{key}.csv", encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            header = next(reader, [])
            if not header or any(w is not None and w not in header for w in wanted):
                return []
            at = [0 if w is None else header.index(w) for w in wanted]
            rows = []
            for row in reader:
                if len(row) != len(header):
                    return None
                rows.append(tuple(row[j] for j in at))
            return rows
    except (OSError, UnicodeDecodeError, csv.Error):
        return None


def _datasets_with(column: str) -> list[str]:
    """The datasets whose csv has a column of this name (or whose first line cannot be read: they are
    read as before, to say what is wrong). A codebook describes exactly its csv's columns, so only
    these can label such a column; the other provenance files are not parsed for it (reading all 35
    took 0.03 s the first time a table without a dataset was labelled)."""
    return [n for n in dataset_names() if column in _headers().get(n, (column,))]


@lru_cache(maxsize=None)
def _headers() -> dict[str, tuple[str, ...]]:
    """Each dataset's csv header (absent: the first line could not be read as one)."""
    out = {}
    for n in dataset_names():
        try:
            with open(DATA_DIR / f"{n}.csv", encoding="utf-8-sig", newline="") as fh:
                out[n] = tuple(next(csv.reader(fh), []))
        except (OSError, UnicodeDecodeError, csv.Error):
            pass
    return out


@lru_cache(maxsize=None)
def _column_labels(column: str) -> dict[str, tuple[str, str]]:
    """The codebook's own labels for ``column`` (``"dataset.column"``, or a bare column name: every
    dataset's codebook labels for a column of that name)."""
    dataset, _, col = column.rpartition(".")
    out: dict[str, tuple[str, str]] = {}
    for name in [_check_name(dataset)] if dataset else _datasets_with(col):
        doc = _metadata(name).columns.get(col)
        if doc is not None:
            for k, lab in doc.labels.items():
                out.setdefault(str(k), (lab.en, lab.zh))
    return out


def column_labels(column: str) -> dict[str, tuple[str, str]]:
    """The codebook's own labels of one column (``"srdi_statistics.related_group"``): id -> (English, Chinese)."""
    return dict(_column_labels(column))


def code_labels(column: str | None = None) -> dict[str, tuple[str, str]]:
    """id -> (English, Chinese) label for every id the kit names (the glossary's terms, then the ids
    of datasets that carry ``name_en``/``name_zh``); with ``column`` (``"firms.founder_background"``
    or ``"founder_background"``), that column's codebook labels come first."""
    return dict(_labels(column or ""))


@lru_cache(maxsize=None)
def _labels(column: str) -> dict[str, tuple[str, str]]:
    """:func:`code_labels`, made once per column and shared by the kit's own code, which only reads it
    (every display table asked for a fresh copy of all the kit's labels, once per column)."""
    terms = _term_labels()
    return {**terms, **_column_labels(column)} if column else terms


def code_label(code: str, lang: str | None = None, column: str | None = None) -> str:
    """The label of one id in the current (or given) language; the id itself when it has none.

    >>> code_label("product_innovation", "zh")
    '产品创新型'
    >>> code_label("sales", "en", column="firms.founder_background")
    'sales founders'
    """
    pair = _column_labels(column).get(code) if column else None
    pair = pair or _term_labels().get(code)
    if pair is None:
        return code
    return pair[1] if (lang or i18n.get_language()) == "zh" else pair[0]


def label_codes(df: pd.DataFrame, lang: str, skip: tuple[str, ...] = (), key: str | None = None,
                dataset: str | None = None) -> pd.DataFrame:
    """``df`` with every id column (all its values, or all parts of ``a;b`` lists, are known ids)
    shown as labels in ``lang``; columns in ``skip`` keep their ids. ``key`` names the column of ids
    a reader types (a dataset's own key): in Chinese it shows "标签 (id)", the id beside its label.
    ``dataset`` names the dataset, so its codebook's own labels come first."""
    k = 1 if lang == "zh" else 0
    sep = "；" if lang == "zh" else "; "
    out = df.copy()
    src = bare(df)
    for j, col in enumerate(src.columns):
        column = src.iloc[:, j]
        if col in skip or column.dtype.kind in "biufcmM":
            continue
        terms = _labels(f"{dataset}.{col}" if dataset else str(col))
        values = column.dropna().astype(str)
        parts = [p for v in values.unique() for p in v.split(";") if p]
        if not parts or any(p not in terms for p in parts):
            continue
        if col == key:
            if lang != "zh":
                continue
            out.isetitem(j, column.map(
                lambda v: v if pd.isna(v) or str(v) not in terms else f"{terms[str(v)][1]} ({v})"))
            continue
        out.isetitem(j, column.map(
            lambda v, terms=terms: v if pd.isna(v) else sep.join(terms[p][k] for p in str(v).split(";") if p)))
    return out


def bare(df: pd.DataFrame) -> pd.DataFrame:
    """``df``'s data without its ``attrs`` (not copied: pandas copies on write). pandas deep-copies
    a frame's attrs (a dataset's provenance and codebook) into every column and every result taken
    from it; code that only reads columns works on this and skips those copies. Internal."""
    return pd.DataFrame(df) if df.attrs else df


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """``df.to_dict("records")``, the same values (pandas' missing value as None), made in one pass
    over the table instead of one Series per column (0.2 ms instead of 0.7 ms for a 21-column
    table; a diagram builder asks once per group). Internal."""
    cols = list(df.columns)
    na = pd.NA
    return [dict(zip(cols, [None if v is na else v for v in row]))
            for row in df.to_numpy(dtype=object).tolist()]


def catalog() -> pd.DataFrame:
    """Every bundled dataset with its title, size and provenance, in the current language."""
    zh = i18n.get_language() == "zh"
    rows = []
    for name in dataset_names():
        meta = _metadata(name)
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


def _named_columns(head: str, cb: dict, own: str) -> str:
    """A Chinese header that names another column by its id ("ip_count的口径") names it by that
    column's header instead ("表1中的知识产权数量的口径"): a reader never meets the id."""
    for other, doc in cb.items():
        if other != own and isinstance(other, str) and "_" in other and other in head \
                and isinstance(doc, dict) and isinstance(doc.get("zh"), str):
            head = re.sub(rf"(?<![A-Za-z0-9_]){re.escape(other)}(?![A-Za-z0-9_])", _short(doc["zh"]), head)
    return head


def _short(desc: str) -> str:
    # Codebook lines are sentences; a header wants the part before the first punctuation.
    for sep in ("（", "(", "：", ":", "，", ",", "。", "；"):
        desc = desc.split(sep)[0]
    return desc.strip() or desc


def _cache_clear() -> None:
    _unit_names_of.cache_clear()
    _metadata.cache_clear()
    _term_labels.cache_clear()
    _column_labels.cache_clear()
    _labels.cache_clear()
    _attrs.cache_clear()
    _any_codebook_header.cache_clear()
    _headers.cache_clear()


metadata.cache_clear = _cache_clear   # type: ignore[attr-defined]  (tests clear it)
protect(globals(), [n for n in __all__ if n != "DatasetMeta"])
