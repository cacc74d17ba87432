"""Row schemas of the public data contract, and cross-reference checks.

The bundled data is validated by ``tests/test_datasets.py`` through :func:`validate_dataset` and
:func:`check_cross_references`; a problem is reported with the dataset, row, column, value and
what is allowed, all problems at once.
"""
from __future__ import annotations

import re
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from . import datasets as _data   # called through the module: tests swap its functions
from ._guard import short
from .errors import CasekitError

__all__ = ["ROW_SCHEMAS", "validate_dataset", "check_cross_references", "validate_all"]

_ID = re.compile(r"^[a-z][a-z0-9_]*$")
Text = Field(min_length=1)


class _Row(BaseModel):
    # Contract rows may carry extra columns (datasets grow); the named ones must be right.
    model_config = ConfigDict(extra="allow")
    cite: str = Text


def _id(v: str) -> str:
    if not _ID.match(v):
        raise ValueError("ids are lowercase ascii snake_case, e.g. 'keda'")
    return v


class FirmRow(_Row):
    firm: Literal["keda", "zhongtu"]
    name_zh: str = Text
    name_en: str = Text
    founded: str = Field(pattern=r"^\d{4}-\d{2}$")
    ip_count: int = Field(ge=0)
    business_model: Literal["product_innovation", "customer_relationship"]
    collaboration_mode: Literal["technology_oriented", "market_oriented"]


class InterviewRow(_Row):
    firm: Literal["keda", "zhongtu"]
    department: Literal["executives", "rd", "sales"]
    person_times: int = Field(ge=0)
    minutes: float = Field(ge=0)
    words_10k: float = Field(ge=0)


class StageRow(_Row):
    firm: Literal["keda", "zhongtu"]
    order: int = Field(ge=1, le=3)
    name_zh: str = Text
    name_en: str = Text
    start_year: int = Field(ge=1990, le=2030)
    end_year: int = Field(ge=1990, le=2030)
    rd_activity_zh: str = Text
    rd_activity_en: str = Text
    marketing_activity_zh: str = Text
    marketing_activity_en: str = Text
    interaction_zh: str = Text
    interaction_en: str = Text
    interaction_depth: int = Field(ge=1, le=3)
    lead: Literal["rd", "marketing"]
    capability_zh: str = Text
    capability_en: str = Text


class EvidenceRow(_Row):
    firm: Literal["keda", "zhongtu"]
    stage_order: int = Field(ge=1, le=3)
    dimension: Literal["rd", "marketing", "interaction", "capability"]
    construct_zh: str = Text
    construct_en: str = Text
    concept_zh: str = Text
    concept_en: str = Text
    summary_en: str = Text
    summary_zh: str = Text


class PathRow(_Row):
    path: Literal["original", "absorption", "gov_industry_university_research", "large_firm_cooperation",
                  "transnational_alliance", "cross_border_ma"]
    order: int = Field(ge=1, le=6)
    name_zh: str = Text
    name_en: str = Text
    used_in_qingdao: bool


class EventRow(_Row):
    firm: str
    path: str
    year: int = Field(ge=1949, le=2030)
    event_zh: str = Text
    event_en: str = Text

    _firm = field_validator("firm", "path")(_id)


class StatisticRow(_Row):
    source: str = Text
    claim_zh: str = Text
    claim_en: str = Text
    value: float
    unit: str = Text
    as_of: str
    source_type: Literal["peer_reviewed", "open_access_journal", "vendor_blog"]


ROW_SCHEMAS: dict[str, type[_Row]] = {
    "firms": FirmRow,
    "interviews": InterviewRow,
    "stages": StageRow,
    "evidence": EvidenceRow,
    "innovation_paths": PathRow,
    "qingdao_events": EventRow,
    "srdi_statistics": StatisticRow,
}


def _records(df: pd.DataFrame) -> list[dict]:
    out = []
    for rec in df.astype(object).to_dict(orient="records"):
        out.append({k: (None if (v is pd.NA or (isinstance(v, float) and v != v)) else v) for k, v in rec.items()})
    return out


def validate_dataset(name: str, df: pd.DataFrame | None = None) -> list[str]:
    """Problems in one dataset as readable lines (empty list: valid).

    Every csv column must have a bilingual codebook line; contract datasets are checked row by row.
    """
    df = _data.load_dataset(name) if df is None else df
    meta = _data.metadata(name)
    problems = []
    undocumented = [c for c in df.columns if c not in meta.columns]
    if undocumented:
        problems.append(f"{name}: columns without a codebook line: {undocumented}")
    unknown = [c for c in meta.columns if c not in df.columns]
    if unknown:
        problems.append(f"{name}: codebook lines for missing columns: {unknown}")
    if "cite" not in df.columns:
        problems.append(f"{name}: no 'cite' column: every row must name its source")
    elif (df["cite"].astype(str).str.strip() == "").any():
        problems.append(f"{name}: rows {list(df.index[df['cite'].astype(str).str.strip() == ''])} have an empty cite")
    schema = ROW_SCHEMAS.get(name)
    if schema is not None:
        for i, rec in enumerate(_records(df)):
            try:
                schema.model_validate(rec)
            except ValidationError as exc:
                for err in exc.errors():
                    col = ".".join(str(p) for p in err["loc"])
                    problems.append(f"{name} row {i}: column {col!r} value {short(err.get('input'), 60)}: {err['msg']}")
    return problems


def check_cross_references() -> list[str]:
    """Problems in references between datasets (a stage's firm exists, an event's path exists ...)."""
    names = set(_data.dataset_names())
    problems: list[str] = []

    def refs(child: str, col: str, parent: str, pcol: str) -> None:
        if child not in names or parent not in names:
            return
        c, p = _data.load_dataset(child), _data.load_dataset(parent)
        if col not in c.columns:
            return
        bad = sorted(set(c[col].astype(str)) - set(p[pcol].astype(str)))
        if bad:
            problems.append(f"{child}.{col} refers to {bad}, which are not in {parent}.{pcol}")

    refs("stages", "firm", "firms", "firm")
    refs("interviews", "firm", "firms", "firm")
    refs("evidence", "firm", "firms", "firm")
    refs("qingdao_events", "path", "innovation_paths", "path")
    for child, col in (("course_map", "from_unit"), ("course_map", "to_unit"), ("cluster_mode_examples", "kit_unit")):
        refs(child, col, "units", "unit")   # units are named, never numbered, in data
    if "evidence" in names and "stages" in names:
        ev, st = _data.load_dataset("evidence"), _data.load_dataset("stages")
        have = set(zip(st["firm"].astype(str), st["order"].astype(int)))
        bad = sorted({(f, int(o)) for f, o in zip(ev["firm"].astype(str), ev["stage_order"]) } - have)
        if bad:
            problems.append(f"evidence refers to (firm, stage) pairs not in stages: {bad}")
    if "qingdao_events" in names and "qingdao_firms" in names:
        refs("qingdao_events", "firm", "qingdao_firms", "firm")
    return problems


def validate_all() -> None:
    """Validate every bundled dataset; raise one CasekitError listing every problem."""
    problems = [p for n in _data.dataset_names() for p in validate_dataset(n)] + check_cross_references()
    if problems:
        raise CasekitError("The bundled data has problems:\n" + "\n".join(f"- {p}" for p in problems))


from ._guard import protect as _protect  # noqa: E402

_protect(globals(), __all__)
