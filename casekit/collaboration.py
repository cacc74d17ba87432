"""Unit 2: R&D–marketing collaboration stages as data, the framework's propositions as rules, and
an evaluator for alternative stage sequences (source 000: Keda and Zhongtu).

A :class:`Case` is a business model, a collaboration mode and an ordered list of :class:`Stage`
objects. The bundled cases live in ``datasets/cases/*.yaml``; an instructor's third firm is a YAML
file in the same schema, read with :func:`load_case` (strict: unknown keys and unknown ids are
reported all at once). Alternatives are new cases made with the methods of :class:`Case`
(``reorder``, ``skip``, ``repeat``, ``change``, ``move_boundary``, ``borrow``, ``with_business_model``
...), and :func:`evaluate` compares one with the actual case.

>>> from casekit import collaboration as co
>>> keda = co.actual_case("keda")
>>> co.evaluate(keda).verdict
'consistent'
>>> alt = keda.skip(2)                       # Keda jumps from one-way feedback to deep participation
>>> result = co.evaluate(alt)
>>> result.verdict
'contradicts'
>>> result.capabilities_not_formed
['trend_judgment', 'rule_building']
"""
from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Callable, Iterable, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from .datasets import DATA_DIR, code_label, load_dataset
from .errors import CasekitError
from ._guard import protect, protect_methods, short
from ._yaml import StrictLoader, StrictYAMLError, read_text
from .i18n import get_language, t

__all__ = [
    "Stage", "Case", "Finding", "StageOutcome", "Change", "Evaluation", "Catalog",
    "catalog", "case_names", "actual_case", "load_case", "validate", "evaluate", "rules", "RULE_CHECKS",
    "SEVERITIES", "BUSINESS_MODELS", "MODES",
]

CASES_DIR = DATA_DIR / "cases"
BUSINESS_MODELS = ("product_innovation", "customer_relationship")
MODES = ("technology_oriented", "market_oriented")
FOUNDERS = ("technical", "sales", "mixed")
CONSTRAINTS = ("strong", "weak")
#: Severity of a finding -> (English, Chinese) label, from the glossary (kind ``severity``).
SEVERITIES = {k: (code_label(k, "en"), code_label(k, "zh")) for k in ("contradicts", "debatable")}


def _label_pair(key: str, column: str | None = None) -> tuple[str, str]:
    """(English, Chinese) for an id, from the data: the codebook's labels of ``column`` (a founder
    background ``sales`` is "sales founders", not the sales department), else the glossary's terms,
    else the id."""
    return code_label(key, "en", column), code_label(key, "zh", column)


def term(key: str, column: str | None = None) -> str:
    """Display label of an id (business model, mode, side ...) in the current language; ``column``
    (e.g. ``"founder_background"``) says which column's codes it is, where that changes its meaning."""
    en, zh = _label_pair(key, column)
    return t(en, zh)


# --------------------------------------------------------------------------------------------
# The catalogue: activities, interactions and capabilities, read from the stages/firms datasets.
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Option:
    """An activity, interaction or capability the explorer offers (labels from the data)."""

    id: str
    kind: str  # "rd", "marketing", "interaction" or "capability"
    level: int  # stage level it comes from; for interactions the depth
    mode: str | None  # technology_oriented / market_oriented; None for a third firm's own activity
    name_en: str
    name_zh: str
    lead: str | None = None  # interactions: which side leads
    cross_industry: bool = False  # marketing activities that spread across many industries
    origin: str = ""  # firm:stage the option comes from

    @property
    def name(self) -> str:
        return self.name_zh if get_language() == "zh" else self.name_en


@dataclass(frozen=True)
class Catalog:
    options: dict[str, Option]
    ladders: dict[str, tuple[str, ...]]  # mode -> capability ids in order
    mode_of_model: dict[str, str]  # business model -> mode
    lead_of_mode: dict[str, str]  # mode -> leading side
    max_cross_industry_years: int  # longest cross-industry stage in the cases (Keda 2008-2017)

    def of_kind(self, kind: str) -> list[Option]:
        return [o for o in self.options.values() if o.kind == kind]

    def interaction_for(self, depth: int, lead: str) -> Option | None:
        for o in self.of_kind("interaction"):
            if o.level == depth and o.lead == lead:
                return o
        return None

    def capability_for(self, depth: int, lead: str) -> str | None:
        mode = {v: k for k, v in self.lead_of_mode.items()}.get(lead)
        ladder = self.ladders.get(mode or "", ())
        return ladder[depth - 1] if 1 <= depth <= len(ladder) else None

    def label(self, oid: str | None) -> str:
        if oid is None:
            return "—"
        o = self.options.get(oid)
        return o.name if o else term(oid)


@lru_cache(maxsize=1)
def catalog() -> Catalog:
    """Activities, interactions and capabilities of the two cases (``stages`` and ``firms`` data)."""
    st = load_dataset("stages")
    firms = load_dataset("firms").set_index("firm")
    opts: dict[str, Option] = {}
    ladders: dict[str, list[str]] = {}
    lead_of_mode: dict[str, str] = {}
    longest = 0
    for r in st.sort_values(["firm", "order"]).itertuples():
        mode = str(firms.loc[r.firm, "collaboration_mode"])
        origin = f"{r.firm}:{r.stage}"
        lvl = int(r.order)
        opts[r.rd_activity] = Option(r.rd_activity, "rd", lvl, mode, r.rd_activity_en, r.rd_activity_zh, origin=origin)
        opts[r.marketing_activity] = Option(r.marketing_activity, "marketing", lvl, mode, r.marketing_activity_en,
                                            r.marketing_activity_zh, cross_industry=bool(r.marketing_cross_industry),
                                            origin=origin)
        opts[r.interaction] = Option(r.interaction, "interaction", int(r.interaction_depth), mode, r.interaction_en,
                                     r.interaction_zh, lead=str(r.lead), origin=origin)
        opts[r.capability] = Option(r.capability, "capability", lvl, mode, r.capability_en, r.capability_zh, origin=origin)
        ladders.setdefault(mode, []).append(str(r.capability))
        lead_of_mode[mode] = str(r.lead)
        if bool(r.marketing_cross_industry):
            longest = max(longest, int(r.end_year) - int(r.start_year) + 1)
    mode_of_model = {str(f.business_model): str(f.collaboration_mode) for f in firms.itertuples()}
    return Catalog(opts, {k: tuple(v) for k, v in ladders.items()}, mode_of_model, lead_of_mode, longest)


# --------------------------------------------------------------------------------------------
# Cases and stages
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Stage:
    """One stage: years, R&D activity, marketing activity and interaction pattern (ids)."""

    stage: str
    name_en: str
    name_zh: str
    start_year: int
    end_year: int
    rd_activity: str
    marketing_activity: str
    interaction: str
    intermediary: bool = False

    @property
    def name(self) -> str:
        return self.name_zh if get_language() == "zh" else self.name_en

    def interaction_option(self) -> Option | None:
        return catalog().options.get(self.interaction)

    @property
    def depth(self) -> int | None:
        o = self.interaction_option()
        return o.level if o else None

    @property
    def lead(self) -> str | None:
        o = self.interaction_option()
        return o.lead if o else None


@dataclass(frozen=True)
class Case:
    """A firm's R&D–marketing collaboration as data. Methods return *new* cases (alternatives)."""

    firm: str
    name_en: str
    name_zh: str
    business_model: str
    collaboration_mode: str
    stages: tuple[Stage, ...]
    founder_background: str = "mixed"
    resource_constraint: str = "strong"
    founded: str | None = None
    cite: str = ""
    extra_options: tuple[Option, ...] = ()
    base: "Case | None" = field(default=None, compare=False, repr=False)

    # -- display ------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.name_zh if get_language() == "zh" else self.name_en

    @property
    def actual(self) -> "Case":
        """The case this one was derived from (itself when it is an actual case)."""
        return self.base or self

    def option(self, oid: str) -> Option | None:
        for o in self.extra_options:
            if o.id == oid:
                return o
        return catalog().options.get(oid)

    def label(self, oid: str | None) -> str:
        o = self.option(oid) if oid else None
        return o.name if o else ("—" if oid is None else term(oid))

    def __repr__(self) -> str:
        lines = [f"{self.name} ({self.firm}): {term(self.business_model)} → {term(self.collaboration_mode)}"]
        for i, s in enumerate(self.stages, 1):
            lines.append(
                f"  {i}. {s.name} {s.start_year}–{s.end_year}: {self.label(s.rd_activity)} / "
                f"{self.label(s.marketing_activity)} / {self.label(s.interaction)}"
                + (t(" (via an intermediary)", "（经中介部门）") if s.intermediary else "")
            )
        return "\n".join(lines)

    # -- alternatives -------------------------------------------------------------------------
    def _new(self, **kw: Any) -> "Case":
        return dataclasses.replace(self, base=self.actual, **kw)

    def _k(self, k: Any, what: str = "stage") -> int:
        n = len(self.stages)
        if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= n:
            raise CasekitError(
                t(f"{what} {short(k, 30)} does not exist: this case has stages 1 to {n}; use one of those numbers.",
                  f"{what} {short(k, 30)} 不存在：该案例只有第1至第{n}阶段，请用其中之一。") if n else
                t("This case has no stages left; reset to the actual case.", "该案例已没有阶段，请重置为实际案例。")
            )
        return k - 1

    def reorder(self, order: Iterable[int]) -> "Case":
        """Put the stages' content in a new order; the years stay with the positions.

        ``keda.reorder([2, 1, 3])`` lets Keda's market-expansion collaboration come first.
        """
        n = len(self.stages)
        if isinstance(order, (str, bytes)) or not isinstance(order, Iterable):
            raise CasekitError(t(f"reorder() takes a list of stage numbers such as {list(range(n, 0, -1))}, not {short(order, 40)}.",
                                 f"reorder() 需要阶段序号列表，例如 {list(range(n, 0, -1))}，而不是 {short(order, 40)}。"))
        order = list(itertools.islice(order, 101))
        if any(isinstance(k, bool) or not isinstance(k, int) for k in order) or sorted(order) != list(range(1, n + 1)):
            order = short(order, 60)
            raise CasekitError(t(f"reorder() needs each stage number 1..{n} exactly once, got {order}; e.g. use "
                                 f"reorder({list(range(n, 0, -1))}).",
                                 f"reorder() 需要1到{n}每个阶段序号各出现一次，收到的是 {order}；例如 reorder({list(range(n, 0, -1))})。"))
        slots = self.stages
        return self._new(stages=tuple(
            dataclasses.replace(slots[j - 1], start_year=slots[i].start_year, end_year=slots[i].end_year)
            for i, j in enumerate(order)))

    def skip(self, k: int) -> "Case":
        """Leave out stage ``k``; the previous stage (or the next, for the first) takes its years."""
        i = self._k(k)
        st = list(self.stages)
        gone = st.pop(i)
        if st:
            if i > 0:
                st[i - 1] = dataclasses.replace(st[i - 1], end_year=gone.end_year)
            else:
                st[0] = dataclasses.replace(st[0], start_year=gone.start_year)
        return self._new(stages=tuple(st))

    def repeat(self, k: int) -> "Case":
        """Do stage ``k`` twice: it is split in two halves with the same content."""
        i = self._k(k)
        s = self.stages[i]
        mid = (s.start_year + s.end_year) // 2
        first = dataclasses.replace(s, end_year=mid)
        second = dataclasses.replace(s, start_year=mid + 1 if mid < s.end_year else mid)
        return self._new(stages=self.stages[:i] + (first, second) + self.stages[i + 1:])

    def change(self, k: int, *, rd_activity: str | None = None, marketing_activity: str | None = None,
               interaction: str | None = None, depth: int | None = None, lead: str | None = None,
               intermediary: bool | None = None) -> "Case":
        """Change stage ``k``: an activity, the interaction (by id, or by ``depth``/``lead``)."""
        i = self._k(k)
        s = self.stages[i]
        kw: dict[str, Any] = {}
        for name, value, kind in (("rd_activity", rd_activity, "rd"), ("marketing_activity", marketing_activity, "marketing"),
                                  ("interaction", interaction, "interaction")):
            if value is not None:
                o = self.option(value) if isinstance(value, str) else None
                if o is None or o.kind != kind:
                    allowed = ", ".join(x.id for x in self._options(kind))
                    raise CasekitError(t(f"{name}={short(value, 40)} is not a known {kind} option. Allowed: {allowed}.",
                                         f"{name}={short(value, 40)} 不是可用的选项。可选：{allowed}。"))
                kw[name] = value
        if depth is not None or lead is not None:
            cur = s.interaction_option()
            d = depth if depth is not None else (cur.level if cur else 1)
            ld = lead if lead is not None else (cur.lead if cur else "rd")
            o = catalog().interaction_for(d, ld) if d in (1, 2, 3) and ld in ("rd", "marketing") else None
            if o is None:
                d, ld = short(d, 30), short(ld, 30)
                raise CasekitError(t(f"No interaction with depth={d} and lead={ld}: use depth 1, 2 or 3 and lead "
                                     "'rd' or 'marketing'.",
                                     f"没有深度={d}、主导方={ld}的互动模式：深度取1、2、3，主导方取'rd'或'marketing'。"))
            kw["interaction"] = o.id
        if intermediary is not None:
            kw["intermediary"] = bool(intermediary)
        st = list(self.stages)
        st[i] = dataclasses.replace(s, **kw)
        return self._new(stages=tuple(st))

    def move_boundary(self, k: int, year: int) -> "Case":
        """Let stage ``k + 1`` start in ``year``; stage ``k`` ends just before (or in it, if the two
        shared a boundary year, as Zhongtu's 2016 does)."""
        i = self._k(k)
        if i + 1 >= len(self.stages):
            raise CasekitError(t(f"Stage {k} is the last one: there is no boundary after it. Use stage 1 to "
                                 f"{len(self.stages) - 1}.", f"第{k}阶段是最后一个，之后没有边界。请用1至{len(self.stages) - 1}。"))
        if isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 2100:
            raise CasekitError(t(f"A boundary year must be a whole number such as 2018 (1900 to 2100), not {short(year, 30)}.",
                                 f"边界年份应为1900至2100之间的整数，例如2018，而不是 {short(year, 30)}。"))
        a, b = self.stages[i], self.stages[i + 1]
        shared = 0 if b.start_year <= a.end_year else 1
        st = list(self.stages)
        st[i] = dataclasses.replace(a, end_year=year - shared)
        st[i + 1] = dataclasses.replace(b, start_year=year)
        return self._new(stages=tuple(st))

    def borrow(self, k: int, other: "Case | str", j: int) -> "Case":
        """Replace stage ``k`` by stage ``j`` of another case (e.g. ``"zhongtu"``), keeping the years."""
        other = actual_case(other) if isinstance(other, str) else other
        if not isinstance(other, Case):
            raise CasekitError(t(f"borrow() takes the other case as a name ('keda', 'zhongtu') or a Case, not "
                                 f"{short(other, 30)}; e.g. keda.borrow(2, 'zhongtu', 2).",
                                 f"borrow() 的另一个案例应为名称（'keda'、'zhongtu'）或 Case，而不是 {short(other, 30)}；"
                                 "例如 keda.borrow(2, 'zhongtu', 2)。"))
        i = self._k(k)
        jj = other._k(j, t("other case's stage", "另一案例的阶段"))
        s = dataclasses.replace(other.stages[jj], start_year=self.stages[i].start_year, end_year=self.stages[i].end_year)
        st = list(self.stages)
        st[i] = s
        return self._new(stages=tuple(st), extra_options=self.extra_options + other.extra_options)

    def _checked(self, field_name: str, value: str, allowed: tuple[str, ...]) -> str:
        if not isinstance(value, str) or value not in allowed:
            raise CasekitError(t(f"{field_name}={short(value, 40)} is not allowed. Use one of: {', '.join(allowed)}.",
                                 f"{field_name}={short(value, 40)} 不可用。可选：{', '.join(allowed)}。"))
        return value

    def with_business_model(self, business_model: str) -> "Case":
        return self._new(business_model=self._checked("business_model", business_model, BUSINESS_MODELS))

    def with_mode(self, collaboration_mode: str) -> "Case":
        return self._new(collaboration_mode=self._checked("collaboration_mode", collaboration_mode, MODES))

    def with_founders(self, founder_background: str) -> "Case":
        return self._new(founder_background=self._checked("founder_background", founder_background, FOUNDERS))

    def with_resources(self, resource_constraint: str) -> "Case":
        return self._new(resource_constraint=self._checked("resource_constraint", resource_constraint, CONSTRAINTS))

    def with_stages(self, stages: Iterable[Stage]) -> "Case":
        """The same firm with these stages (``Stage`` objects, e.g. from another case's ``.stages``)."""
        if isinstance(stages, (str, bytes)) or not isinstance(stages, Iterable):
            raise CasekitError(t(f"with_stages() takes a list of Stage objects (e.g. case.stages), not {short(stages, 40)}.",
                                 f"with_stages() 需要 Stage 对象列表（例如 case.stages），而不是 {short(stages, 40)}。"))
        stages = tuple(itertools.islice(stages, 101))
        bad = [short(s, 30) for s in stages if not isinstance(s, Stage)]
        if bad or len(stages) > 100:
            raise CasekitError(t(f"with_stages() takes Stage objects (from a case's .stages, or change/borrow to edit "
                                 f"them), not {', '.join(bad[:3]) or 'over 100 stages'}.",
                                 f"with_stages() 需要 Stage 对象（来自案例的 .stages，或用 change/borrow 修改），"
                                 f"而不是 {'、'.join(bad[:3]) or '超过100个阶段'}。"))
        return self._new(stages=stages)

    def _options(self, kind: str) -> list[Option]:
        return catalog().of_kind(kind) + [o for o in self.extra_options if o.kind == kind]

    def options(self, kind: str) -> list[Option]:
        """The choices for ``kind`` ("rd", "marketing", "interaction") in this case."""
        return self._options(kind)


# --------------------------------------------------------------------------------------------
# Case files: strict validation, every problem reported at once
# --------------------------------------------------------------------------------------------
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _visible_name(value: str) -> str:
    """A name a reader can see: no control or invisible characters (NUL, a right-to-left override,
    a byte-order mark, zero-width spaces), which make a name look like another or like nothing."""
    import unicodedata

    bad = sorted({f"U+{ord(ch):04X}" for ch in value if unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs")})
    if bad:
        raise ValueError(f"contains invisible or control characters ({', '.join(bad[:4])}); type the name "
                         "with visible characters only")
    if not value.strip():
        raise ValueError("is blank; write the name")
    return value


Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_visible_name)]
Id = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=60)]


def _year_month(value: str | None) -> str | None:
    """``founded``: a real year (1800–2100), or a year and a month 01–12."""
    if value is not None:
        year, _, month = value.partition("-")
        if month and not 1 <= int(month) <= 12:
            raise ValueError(t(f"there is no month {month}; write YYYY-MM with a month 01 to 12, e.g. 2000-10",
                               f"没有第 {month} 月；请写成 YYYY-MM，月份为 01 到 12，例如 2000-10"))
        if not 1800 <= int(year) <= 2100:
            raise ValueError(t(f"the year {year} is outside 1800–2100; write the founding year, e.g. 2000-10",
                               f"年份 {year} 不在 1800–2100 之间；请写成立年份，例如 2000-10"))
    return value


class StageSpec(_Strict):
    stage: Id
    order: int | None = Field(default=None, ge=1, le=20)   # optional: 1, 2, 3 … in the order listed
    name_zh: Name
    name_en: Name
    start_year: int = Field(ge=1900, le=2100)
    end_year: int = Field(ge=1900, le=2100)
    rd_activity: str
    marketing_activity: str
    interaction: str
    intermediary: bool = False


class ActivitySpec(_Strict):
    id: Id
    side: Literal["rd", "marketing"]
    level: int = Field(ge=1, le=3)
    name_zh: Name
    name_en: Name
    cross_industry: bool = False


class CaseSpec(_Strict):
    firm: Id
    name_zh: Name
    name_en: Name
    founded: Annotated[str | None, Field(default=None, pattern=r"^\d{4}(-\d{2})?$"), AfterValidator(_year_month)] = None
    business_model: Literal["product_innovation", "customer_relationship"]
    collaboration_mode: Literal["technology_oriented", "market_oriented"]
    founder_background: Literal["technical", "sales", "mixed"] = "mixed"
    resource_constraint: Literal["strong", "weak"] = "strong"
    cite: str = Field(default="", max_length=2000)
    description_en: str = Field(default="", max_length=20000)
    description_zh: str = Field(default="", max_length=20000)
    activities: list[ActivitySpec] = Field(default=[], max_length=50)
    stages: list[StageSpec] = Field(min_length=1, max_length=20)

    @model_validator(mode="after")
    def _cross_field_rules(self):
        """The rules that tie fields together (stage order, unique ids, known options): all of them
        at once, each naming its field (:func:`_spec_problems`)."""
        problems = _spec_problems(self)
        if problems:
            raise PydanticCustomError("case_rules", "{count} problem(s) across fields",
                                      {"count": len(problems), "problems": problems})
        return self


def _format_pydantic(exc: ValidationError) -> list[str]:
    out = []
    missing: dict[str, list[str]] = {}
    for e in exc.errors(include_url=False):
        # one line for all the missing keys of a mapping (an empty file used to give seven lines)
        if e["type"] == "missing":
            parent = ".".join(str(x) for x in e["loc"][:-1])
            missing.setdefault(parent, []).append(str(e["loc"][-1])[:40])
    for parent, keys in missing.items():
        where = f"{parent}: " if parent else ""
        out.append(t(f"{where}required but missing: {', '.join(keys)}.", f"{where}必填项缺失：{'、'.join(keys)}。"))
    for e in exc.errors(include_url=False):
        if e["type"] == "missing":
            continue
        if e["type"] == "case_rules":
            out.extend(e["ctx"]["problems"])
            continue
        # keys and values are shortened: a 5 MB key must not make a 5 MB message
        loc = ".".join(short(x, 40) if not isinstance(x, str) else (x if len(x) <= 40 else x[:39] + "…")
                       for x in e["loc"]) or "(file)"
        val = short(e.get("input"), 60)
        msg = e["msg"] if len(e["msg"]) <= 300 else e["msg"][:299] + "…"
        if e["type"] == "extra_forbidden":
            allowed = _allowed_keys(e["loc"])
            out.append(t(f"{loc}: unknown key (value {val}). Allowed keys here: {allowed}.",
                         f"{loc}：未知的键（值 {val}）。此处允许的键：{allowed}。"))
        elif e["type"] == "missing":
            out.append(t(f"{loc}: required but missing.", f"{loc}：必填项缺失。"))
        else:
            msg = msg.removeprefix("Value error, ")
            out.append(t(f"{loc}: value {val} is not valid: {msg}.", f"{loc}：值 {val} 无效：{msg}。"))
    return out


def _allowed_keys(loc: tuple) -> str:
    model: type[BaseModel] = CaseSpec
    if "stages" in loc:
        model = StageSpec
    elif "activities" in loc:
        model = ActivitySpec
    return ", ".join(model.model_fields)


def _spec_problems(spec: CaseSpec) -> list[str]:
    """Cross-field checks, each a small function naming the field: years and their order, the
    founding date, unique ids, known options. ``spec`` may be partial (built with model_construct
    after a field failed), so each check skips values of the wrong type: they are reported already."""
    return (_stage_order_problems(spec) + _founded_problems(spec) + _stage_id_problems(spec)
            + _activity_id_problems(spec) + _option_problems(spec))


def _years(s: Any) -> tuple[int, int] | None:
    a, b = getattr(s, "start_year", None), getattr(s, "end_year", None)
    ok = all(isinstance(y, int) and not isinstance(y, bool) for y in (a, b))
    return (a, b) if ok else None


def _stage_order_problems(spec: CaseSpec) -> list[str]:
    """Each stage ends in or after its start; stages follow one another in time, sharing at most a
    boundary year (Zhongtu's stages 1 and 2 both hold 2016 in source 000 §4.2); ``order``, where
    given, numbers them 1..n as listed."""
    problems: list[str] = []
    stages = list(spec.stages)
    for i, s in enumerate(stages):
        years = _years(s)
        if years and years[1] < years[0]:
            problems.append(t(f"stages.{i}.end_year: {years[1]} is before start_year {years[0]}; a stage ends in or "
                              "after the year it starts.",
                              f"stages.{i}.end_year：{years[1]} 早于 start_year {years[0]}；阶段的结束年份不能早于开始年份。"))
    for i in range(1, len(stages)):
        prev, cur = _years(stages[i - 1]), _years(stages[i])
        if not prev or not cur or prev[1] < prev[0] or cur[1] < cur[0]:
            continue
        if cur[0] < prev[0]:
            problems.append(t(f"stages.{i}.start_year: {cur[0]} is before the start of the stage listed before it "
                              f"(stages.{i - 1}, {prev[0]}); list the stages in time order, earliest first.",
                              f"stages.{i}.start_year：{cur[0]} 早于前一个阶段（stages.{i - 1}）的开始年份 {prev[0]}；"
                              "请按时间先后排列阶段，最早的在前。"))
        elif cur[0] < prev[1]:
            problems.append(t(f"stages.{i}.start_year: {cur[0]} falls inside the stage before it (stages.{i - 1}, "
                              f"{prev[0]}–{prev[1]}), an overlap of {prev[1] - cur[0] + 1} years. Stages share at most "
                              f"one boundary year (as Zhongtu's 2016 in source 000): start in {prev[1]} or later.",
                              f"stages.{i}.start_year：{cur[0]} 落在前一个阶段（stages.{i - 1}，{prev[0]}–{prev[1]}）之内，"
                              f"重叠 {prev[1] - cur[0] + 1} 年。相邻阶段最多共用一个边界年份（如资料000中中涂的2016年）："
                              f"请从 {prev[1]} 年或之后开始。"))
    orders = [getattr(s, "order", None) for s in stages]
    if any(o is not None for o in orders):
        for i, o in enumerate(orders):
            if o != i + 1:
                shown = "missing" if o is None else short(o, 20)
                problems.append(t(f"stages.{i}.order: {shown} where {i + 1} is expected; number the stages 1 to "
                                  f"{len(stages)} in the order they are listed (or leave order out everywhere).",
                                  f"stages.{i}.order：{'缺失' if o is None else shown}，此处应为 {i + 1}；请按列出的顺序把阶段"
                                  f"编号为 1 到 {len(stages)}（或全部不写 order）。"))
                break
    return problems


def _founded_problems(spec: CaseSpec) -> list[str]:
    founded = getattr(spec, "founded", None)
    starts = [y[0] for y in (_years(s) for s in spec.stages) if y]
    if not isinstance(founded, str) or not founded[:4].isdigit() or not starts:
        return []
    year, first = int(founded[:4]), min(starts)
    if year <= first:
        return []
    return [t(f"founded: {founded} is after the first stage starts ({first}); a firm is founded before or in the "
              "year its first stage starts. Check the founding date and the stage years.",
              f"founded：{founded} 晚于第一个阶段的开始年份（{first}）；企业成立应不晚于其第一个阶段开始的年份。"
              "请核对成立日期和阶段年份。")]


def _stage_id_problems(spec: CaseSpec) -> list[str]:
    problems, seen = [], {}
    for i, s in enumerate(spec.stages):
        sid = getattr(s, "stage", None)
        if not isinstance(sid, str):
            continue
        if sid in seen:
            problems.append(t(f"stages.{i}.stage: {short(sid, 40)} is already the id of stages.{seen[sid]}; give every "
                              "stage its own id.",
                              f"stages.{i}.stage：{short(sid, 40)} 已是 stages.{seen[sid]} 的编号；每个阶段需要各自的编号。"))
        else:
            seen[sid] = i
    return problems


def _activity_id_problems(spec: CaseSpec) -> list[str]:
    """Own activities have ids of their own: declared once, and none a catalogue option's (which
    would silently take the catalogue's meaning wherever a stage names it)."""
    cat = catalog()
    problems, seen = [], {}
    for j, a in enumerate(spec.activities):
        aid = getattr(a, "id", None)
        if not isinstance(aid, str):
            continue
        if aid in seen:
            problems.append(t(f"activities.{j}.id: {short(aid, 40)} is declared twice (also activities.{seen[aid]}); "
                              "declare each activity once.",
                              f"activities.{j}.id：{short(aid, 40)} 声明了两次（另见 activities.{seen[aid]}）；每个活动只声明一次。"))
            continue
        seen[aid] = j
        if aid in cat.options:
            kind = term(cat.options[aid].kind)
            problems.append(t(f"activities.{j}.id: {short(aid, 40)} is already a catalogue option ({kind}, from the "
                              "stages dataset); give your own activity a new id, or drop this declaration and use the "
                              "catalogue's.",
                              f"activities.{j}.id：{short(aid, 40)} 已是目录中的选项（{kind}，来自 stages 数据集）；"
                              "请给自己的活动起新编号，或删去此声明、直接使用目录中的选项。"))
    return problems


def _option_problems(spec: CaseSpec) -> list[str]:
    """Every stage names known options of the right kind: the catalogue's or the case's own."""
    cat = catalog()
    own = {a.id: a for a in spec.activities if isinstance(getattr(a, "id", None), str)}
    problems = []
    for i, s in enumerate(spec.stages):
        where = f"stages.{i}"
        for key, kind in (("rd_activity", "rd"), ("marketing_activity", "marketing"), ("interaction", "interaction")):
            value = getattr(s, key, None)
            if not isinstance(value, str):
                continue
            o = cat.options.get(value)
            ok = (o is not None and o.kind == kind) or (value in own and own[value].side == kind)
            if not ok:
                allowed = [x.id for x in cat.of_kind(kind)] + [a.id for a in spec.activities if a.side == kind]
                problems.append(t(f"{where}.{key}: {short(value, 40)} is not a known {kind} option. Allowed: {', '.join(allowed)}"
                                  + (" (or declare your own under 'activities:')." if kind != "interaction" else "."),
                                  f"{where}.{key}：{short(value, 40)} 不是已知选项。可选：{', '.join(allowed)}"
                                  + ("（或在 activities: 下声明自己的活动）。" if kind != "interaction" else "。")))
    return problems


def _from_spec(spec: CaseSpec) -> Case:
    extra = tuple(Option(a.id, a.side, a.level, None, a.name_en, a.name_zh, cross_industry=a.cross_industry,
                         origin=f"{spec.firm}:own") for a in spec.activities)
    stages = tuple(Stage(**s.model_dump(exclude={"order"})) for s in spec.stages)
    return Case(firm=spec.firm, name_en=spec.name_en, name_zh=spec.name_zh, business_model=spec.business_model,
                collaboration_mode=spec.collaboration_mode, stages=stages, founder_background=spec.founder_background,
                resource_constraint=spec.resource_constraint, founded=spec.founded, cite=spec.cite, extra_options=extra)


def load_case(source: str | Path | dict) -> Case:
    """Read a case file (path, YAML text or dict) strictly; every problem is reported at once.

    >>> load_case({"firm": "x", "name_zh": "某", "name_en": "X", "business_model": "platform",
    ...            "collaboration_mode": "market_oriented", "colour": "red", "stages": []})
    Traceback (most recent call last):
    ...
    casekit.errors.CasekitError: The case file has 3 problem(s); fix them and load it again:
      - business_model: value 'platform' is not valid: Input should be 'product_innovation' or 'customer_relationship'.
      - stages: value [] is not valid: List should have at least 1 item after validation, not 0.
      - colour: unknown key (value 'red'). Allowed keys here: firm, name_zh, name_en, founded, business_model, collaboration_mode, founder_background, resource_constraint, cite, description_en, description_zh, activities, stages.
    """
    if source is ... or source is None:
        raise CasekitError(t("Write your case file first: replace ... with the YAML text of the case.",
                             "请先写好案例文件：把 ... 换成案例的YAML文本。"))
    if isinstance(source, dict):
        raw = _check_nesting(source)
    else:
        raw = _parse_case_text(_case_text(source))
    if not isinstance(raw, dict):
        raise CasekitError(t("A case file is a YAML mapping with keys such as firm, business_model and stages; start "
                             "from a copy of datasets/cases/keda.yaml.",
                             "案例文件应是YAML映射，包含 firm、business_model、stages 等键；可从 datasets/cases/keda.yaml 的副本开始。"))
    raw = dict(raw)
    if "founded" in raw and raw["founded"] is not None:
        raw["founded"] = str(raw["founded"])
    problems: list[str] = []
    try:
        spec = CaseSpec.model_validate(raw)
    except ValidationError as exc:
        problems = _format_pydantic(exc)
        spec = None
        if not any(e["type"] == "case_rules" for e in exc.errors(include_url=False)):
            problems += _partial_problems(raw)   # a field failed, so the cross-field rules did not run
    if problems:
        problems = list(dict.fromkeys(problems))
        head = t(f"The case file has {len(problems)} problem(s); fix them and load it again:",
                 f"案例文件有 {len(problems)} 处问题，请改正后重新读入：")
        shown = problems[:12] + ([t(f"… and {len(problems) - 12} more; fix these first.",
                                    f"……另有 {len(problems) - 12} 处；请先改正以上问题。")] if len(problems) > 12 else [])
        raise CasekitError(head + "\n" + "\n".join(f"  - {p}" for p in shown))
    return _from_spec(spec)


def _partial_problems(raw: dict) -> list[str]:
    """The cross-field rules on what did validate, when a field failed: the author sees everything at once."""
    try:
        partial = dict(raw)
        partial.update(business_model="product_innovation", collaboration_mode="technology_oriented",
                       stages=[s for s in raw.get("stages") or [] if isinstance(s, dict)])
        stages_ok = []
        for s in partial["stages"]:  # a broken stage is already reported; check the others
            try:
                stages_ok.append(StageSpec.model_validate(s))
            except ValidationError:
                stages_ok.append(StageSpec.model_construct(**{k: v for k, v in s.items() if k in StageSpec.model_fields}))
        acts = []
        for a in raw.get("activities") or []:
            try:
                acts.append(ActivitySpec.model_validate(a))
            except (ValidationError, TypeError):
                pass
        fake = CaseSpec.model_construct(**{**partial, "stages": stages_ok, "activities": acts})
        return _spec_problems(fake)
    except (ValidationError, TypeError, AttributeError):
        return []


_MAX_CASE_BYTES = 1_000_000   # a case file is a few kB; this bounds memory and parsing time
_MAX_DEPTH = 20               # a case file nests four levels deep


def _case_text(source: Any) -> str:
    """The YAML text of ``source`` (a path, the text itself, or bytes), size-checked and decoded."""
    if isinstance(source, (bytes, bytearray)):
        if len(source) > _MAX_CASE_BYTES:
            raise CasekitError(t(f"The case file is {len(source):,} bytes; a case file is at most {_MAX_CASE_BYTES:,}. "
                                 "Check you opened the right file.",
                                 f"案例文件有 {len(source):,} 字节，超过上限 {_MAX_CASE_BYTES:,}。请确认打开的是正确的文件。"))
        try:
            return bytes(source).decode("utf-8")
        except UnicodeDecodeError:
            raise CasekitError(t("These bytes are not UTF-8 text, so not a case file. Pass the YAML text, a path to "
                                 "a .yaml file, or a dict.",
                                 "这些字节不是 UTF-8 文本，不是案例文件。请传入 YAML 文本、.yaml 文件路径或字典。")) from None
    if not isinstance(source, (str, Path)):
        raise CasekitError(t(f"load_case() takes a path to a .yaml file, the YAML text or a dict, not "
                             f"{type(source).__name__} ({short(source, 40)}).",
                             f"load_case() 需要 .yaml 文件路径、YAML 文本或字典，而不是 {type(source).__name__}（{short(source, 40)}）。"))
    text = str(source)
    if len(text) > _MAX_CASE_BYTES:
        raise CasekitError(t(f"The case text is {len(text):,} characters; a case file is at most {_MAX_CASE_BYTES:,}. "
                             "Check you passed the right text.",
                             f"案例文本有 {len(text):,} 个字符，超过上限 {_MAX_CASE_BYTES:,}。请确认传入的文本。"))
    looks_like_path = isinstance(source, Path) or (len(text) < 500 and "\n" not in text and "\x00" not in text)
    if not looks_like_path:
        return text
    hint = ("Give a path to a .yaml file, the YAML text, or a dict.", "请提供 .yaml 文件路径、YAML 文本或字典。")
    # read_text opens without blocking and refuses a FIFO, a terminal (/dev/ptmx) or a device at once:
    # a student's q5_text = "/dev/ptmx" used to block the read for good and hang grading.
    return read_text(text, limit=_MAX_CASE_BYTES, what=("case file", "案例文件"), hint=hint)


class _CaseLoader(StrictLoader):
    """The kit's strict YAML loader (no key twice, no aliases, nesting bounded) at a case file's depth."""

    max_depth = _MAX_DEPTH


def _parse_case_text(text: str) -> Any:
    loader = None
    try:
        loader = _CaseLoader(text)   # the reader already refuses NUL and other non-printable characters
        return loader.get_single_data()
    except StrictYAMLError as exc:
        raise CasekitError(t(f"The case file {exc.en}", f"案例文件{exc.zh}")) from None
    except yaml.YAMLError as exc:
        detail = short(str(exc).replace("\n", " "), 200)
        raise CasekitError(t(f"The case file is not valid YAML: {detail}. Fix the line it names (indentation, "
                             "a missing colon or quote).",
                             f"案例文件不是合法的YAML：{detail}。请修改所指的行（缩进、缺少冒号或引号）。")) from None
    finally:
        if loader is not None:
            loader.dispose()


def _check_nesting(raw: Any, depth: int = 0) -> Any:
    """A dict given directly: refuse self-references and absurd depth before pydantic walks it."""
    if depth > _MAX_DEPTH:
        raise CasekitError(t(f"The case dict nests more than {_MAX_DEPTH} levels deep; a case has firm keys, a list "
                             "of stages and their keys.",
                             f"案例字典嵌套超过 {_MAX_DEPTH} 层；案例只有企业的键、阶段列表及其键。"))
    if isinstance(raw, dict):
        if len(raw) > 1000:
            raise CasekitError(t(f"The case has {len(raw):,} keys; a case file has about a dozen. Check the data.",
                                 f"案例有 {len(raw):,} 个键；案例文件只有十来个。请检查数据。"))
        for v in raw.values():
            _check_nesting(v, depth + 1)
    elif isinstance(raw, (list, tuple)):
        if len(raw) > 1000:
            raise CasekitError(t(f"A list in the case has {len(raw):,} items; a case has a few stages. Check the data.",
                                 f"案例中的列表有 {len(raw):,} 项；案例只有几个阶段。请检查数据。"))
        for v in raw:
            _check_nesting(v, depth + 1)
    return raw


def case_names() -> list[str]:
    """Firms with a bundled case file."""
    return sorted(p.stem for p in CASES_DIR.glob("*.yaml"))


@lru_cache(maxsize=None)
def _bundled(firm: str) -> Case:
    return load_case(CASES_DIR / f"{firm}.yaml")


def actual_case(firm: str) -> Case:
    """The bundled case of ``"keda"`` or ``"zhongtu"``."""
    if isinstance(firm, Case):
        return firm.actual
    key = firm.strip().lower() if isinstance(firm, str) else None
    if key not in case_names():
        firm = short(firm, 40)
        raise CasekitError(t(f"No bundled case {firm}. Available: {', '.join(case_names())}; load your own with "
                             "load_case('my_firm.yaml').",
                             f"没有内置案例 {firm}。可用：{', '.join(case_names())}；自己的案例请用 load_case('my_firm.yaml') 读入。"))
    return _bundled(key)


def validate(case: Case) -> list[str]:
    """Problems that make a case impossible to evaluate (messages, current language)."""
    if not isinstance(case, Case):
        return [t(f"Expected a Case (e.g. actual_case('keda')), got {type(case).__name__}.",
                  f"需要一个 Case（例如 actual_case('keda')），收到的是 {type(case).__name__}。")]
    out = []
    if not case.stages:
        out.append(t("The alternative has no stages: a case needs at least one.", "该方案没有任何阶段：至少需要一个阶段。"))
    if case.business_model not in BUSINESS_MODELS:
        out.append(t(f"business_model {short(case.business_model, 40)} is unknown; use {', '.join(BUSINESS_MODELS)}.",
                     f"业务模式 {short(case.business_model, 40)} 未知；可选 {', '.join(BUSINESS_MODELS)}。"))
    if case.collaboration_mode not in MODES:
        out.append(t(f"collaboration_mode {short(case.collaboration_mode, 40)} is unknown; use {', '.join(MODES)}.",
                     f"协同模式 {short(case.collaboration_mode, 40)} 未知；可选 {', '.join(MODES)}。"))
    for i, s in enumerate(case.stages, 1):
        if not isinstance(s.start_year, int) or not isinstance(s.end_year, int):
            out.append(t(f"Stage {i}: years must be whole numbers.", f"第{i}阶段：年份必须是整数。"))
        elif s.end_year < s.start_year:
            out.append(t(f"Stage {i} ({s.name}) ends in {s.end_year}, before it starts in {s.start_year}.",
                         f"第{i}阶段（{s.name}）结束于{s.end_year}年，早于开始的{s.start_year}年。"))
        for key, kind in (("rd_activity", "rd"), ("marketing_activity", "marketing"), ("interaction", "interaction")):
            o = case.option(getattr(s, key))
            if o is None or o.kind != kind:
                allowed = ", ".join(x.id for x in case.options(kind))
                out.append(t(f"Stage {i}: {key} {short(getattr(s, key), 40)} is unknown. Allowed: {allowed}.",
                             f"第{i}阶段：{key} {short(getattr(s, key), 40)} 未知。可选：{allowed}。"))
    return out


# --------------------------------------------------------------------------------------------
# Findings and evaluation
# --------------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _rules_table() -> dict[str, dict]:
    df = load_dataset("collaboration_rules").sort_values("order")
    return {str(r["rule"]): {k: (str(v) if k != "order" else int(v)) for k, v in r.items()} for _, r in df.iterrows()}


@lru_cache(maxsize=1)
def _evidence_index() -> dict[str, dict]:
    ev = load_dataset("evidence")
    return {f"{r.firm}:{r.concept}": {"firm": str(r.firm), "concept": str(r.concept), "stage_order": int(r.stage_order),
                                      "concept_en": r.concept_en, "concept_zh": r.concept_zh,
                                      "summary_en": r.summary_en, "summary_zh": r.summary_zh, "cite": r.cite}
            for r in ev.itertuples()}


def rules():
    """The framework's propositions as a DataFrame (the ``collaboration_rules`` dataset)."""
    return load_dataset("collaboration_rules")


@dataclass(frozen=True)
class Finding:
    """A rule the alternative bends or breaks, with its reason, evidence and a question."""

    rule: str
    severity: str  # "contradicts" or "debatable"
    stage: int | None  # stage position (1-based) or None for the whole case
    reason_en: str
    reason_zh: str
    blocks: bool = False  # True when the stage's capability cannot form

    @property
    def reason(self) -> str:
        return self.reason_zh if get_language() == "zh" else self.reason_en

    @property
    def _row(self) -> dict:
        return _rules_table()[self.rule]

    @property
    def rule_name(self) -> str:
        return self._row["name_zh" if get_language() == "zh" else "name_en"]

    @property
    def statement(self) -> str:
        return self._row["statement_zh" if get_language() == "zh" else "statement_en"]

    @property
    def question(self) -> str:
        return self._row["question_zh" if get_language() == "zh" else "question_en"]

    @property
    def cite(self) -> str:
        return self._row["cite"]

    @property
    def severity_label(self) -> str:
        en, zh = SEVERITIES[self.severity]
        return t(en, zh)

    @property
    def evidence(self) -> list[dict]:
        idx = _evidence_index()
        return [idx[k] for k in self._row["evidence"].split(";") if k in idx]

    def __repr__(self) -> str:
        where = t(f"stage {self.stage}", f"第{self.stage}阶段") if self.stage else t("whole case", "整体")
        return f"[{self.severity_label}] {self.rule_name} ({where}): {self.reason}  ({self.cite})"


@dataclass(frozen=True)
class StageOutcome:
    position: int
    stage: Stage
    capability: str | None
    status: str  # formed | at_risk | not_formed | no_new
    depth: int | None
    lead: str | None

    @property
    def status_label(self) -> str:
        return t(*{"formed": ("formed", "形成"), "at_risk": ("formed, but debatable", "形成，但有争议"),
                   "not_formed": ("does not form", "未能形成"), "no_new": ("no new capability", "没有新能力")}[self.status])


@dataclass(frozen=True)
class Change:
    position: int | None
    field: str
    actual: Any
    alternative: Any


@dataclass(frozen=True)
class Evaluation:
    """What an alternative stage sequence does under the framework, compared with the actual case."""

    case: Case
    actual: Case
    valid: bool
    problems: tuple[str, ...] = ()
    outcomes: tuple[StageOutcome, ...] = ()
    findings: tuple[Finding, ...] = ()
    capabilities_formed: tuple[str, ...] = ()
    actual_capabilities: tuple[str, ...] = ()
    changes: tuple[Change, ...] = ()

    @property
    def capabilities_not_formed(self) -> list[str]:
        """Capabilities of the actual case that the alternative does not form."""
        return [c for c in self.actual_capabilities if c not in self.capabilities_formed]

    @property
    def new_capabilities(self) -> list[str]:
        """Capabilities the alternative forms that the actual case did not."""
        return [c for c in self.capabilities_formed if c not in self.actual_capabilities]

    @property
    def contradicts(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "contradicts"]

    @property
    def debatable(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "debatable"]

    @property
    def verdict(self) -> str:
        """``invalid``, ``contradicts``, ``debatable`` or ``consistent``."""
        if not self.valid:
            return "invalid"
        if self.contradicts:
            return "contradicts"
        return "debatable" if self.findings else "consistent"

    @property
    def verdict_label(self) -> str:
        return t(*{"invalid": ("cannot be evaluated", "无法评估"), "contradicts": ("contradicts the framework", "与框架相悖"),
                   "debatable": ("debatable: discuss it", "有争议，值得讨论"),
                   "consistent": ("consistent with the framework", "与框架一致")}[self.verdict])

    @property
    def message(self) -> str:
        """One short paragraph saying what happened (also for malformed alternatives)."""
        if not self.valid:
            return t("This alternative cannot be evaluated: ", "该方案无法评估：") + " ".join(self.problems)
        nf, nn, nc, nd = (len(self.capabilities_formed), len(self.capabilities_not_formed), len(self.contradicts),
                          len(self.debatable))
        return f"{self.verdict_label}. " + t(
            f"Forms {_n(nf, 'capability', 'capabilities')}; {nn} of the actual case's "
            f"{'does' if nn == 1 else 'do'} not form; {_n(nc, 'contradiction', 'contradictions')}, "
            f"{_n(nd, 'debatable point', 'debatable points')}.",
            f"形成{len(self.capabilities_formed)}项能力；实际案例中有{len(self.capabilities_not_formed)}项未能形成；"
            f"{len(self.contradicts)}处与框架相悖，{len(self.debatable)}处有争议。")

    @property
    def question(self) -> str:
        """A question for class discussion."""
        if not self.valid:
            return t("What would you have to fix for this alternative to describe a firm at all?",
                     "要让这个方案能描述一家真实的企业，需要先改正什么？")
        for f in self.contradicts + self.debatable:
            return f.question
        return t("The alternative fits the framework. What in the case evidence would have had to be different for "
                 "the firm to take this path?",
                 "该方案与框架一致。案例证据中要有哪些不同，企业才会走这条路？")

    def label(self, oid: str | None) -> str:
        if self.case is None:
            return "—" if oid is None else term(oid)
        return self.case.label(oid)

    def __repr__(self) -> str:
        name = self.case.name if isinstance(self.case, Case) else t("(not a case)", "（不是案例）")
        lines = [f"{name}: {self.verdict_label}"]
        if not self.valid:
            lines += [f"  - {p}" for p in self.problems]
            return "\n".join(lines)
        lines.append(t("Capabilities formed: ", "形成的能力：") + (", ".join(self.label(c) for c in self.capabilities_formed) or "—"))
        lines.append(t("Not formed (vs actual): ", "未形成（对照实际）：") + (", ".join(self.label(c) for c in self.capabilities_not_formed) or "—"))
        for f in self.findings:
            lines.append(f"  {f!r}")
        lines.append(t("Discuss: ", "讨论：") + self.question)
        return "\n".join(lines)

    def findings_frame(self):
        """The findings as a DataFrame in the current language."""
        import pandas as pd

        cols = [t(c, z) for c, z in (("severity", "严重程度"), ("rule", "规则"), ("stage", "阶段"), ("reason", "理由"),
                                      ("evidence", "证据"), ("cite", "出处"))]
        key = "concept_zh" if get_language() == "zh" else "concept_en"
        rows = [[f.severity_label, f.rule_name, f.stage or "", f.reason, "; ".join(e[key] for e in f.evidence), f.cite]
                for f in self.findings]
        return pd.DataFrame(rows, columns=cols)


# --- the rule checks: one small function per rule id ----------------------------------------
Check = Callable[[Case, Catalog], list[Finding]]
RULE_CHECKS: dict[str, Check] = {}


def rule(rule_id: str) -> Callable[[Check], Check]:
    """Register a check for a rule of the ``collaboration_rules`` dataset (add rules this way)."""
    def deco(fn: Check) -> Check:
        RULE_CHECKS[rule_id] = fn
        return fn
    return deco


def _soft(case: Case) -> str:
    """Under weak resource constraints the niche-winner propositions are only debatable."""
    return "debatable" if case.resource_constraint == "weak" else "contradicts"


@rule("business_model_decides_mode")
def _business_model(case: Case, cat: Catalog) -> list[Finding]:
    want = cat.mode_of_model.get(case.business_model)
    if want and want != case.collaboration_mode:
        return [Finding("business_model_decides_mode", "contradicts", None,
                        f"A {term_en(case.business_model)} business goes with {term_en(want)} collaboration, but this case "
                        f"runs {term_en(case.collaboration_mode)} collaboration.",
                        f"{term_zh(case.business_model)}业务对应{term_zh(want)}，而该方案采用的是{term_zh(case.collaboration_mode)}。")]
    return []


def term_en(key: str, column: str | None = None) -> str:
    return _label_pair(key, column)[0]


def term_zh(key: str, column: str | None = None) -> str:
    return _label_pair(key, column)[1]


@rule("mode_sets_starting_side")
def _starting_side(case: Case, cat: Catalog) -> list[Finding]:
    want = cat.lead_of_mode.get(case.collaboration_mode)
    out = []
    for i, s in enumerate(case.stages, 1):
        if s.lead and want and s.lead != want:
            sev = "contradicts" if i == 1 else "debatable"
            out.append(Finding("mode_sets_starting_side", sev, i,
                               f"In {term_en(case.collaboration_mode)} collaboration {term_en(want)} is the starting side, but "
                               f"stage {i} is led by {term_en(s.lead)}" + (" from the very start." if i == 1 else
                               "; this may be the reverse shaping Figure 5 allows, or a change of mode."),
                               f"{term_zh(case.collaboration_mode)}以{term_zh(want)}为起点，但第{i}阶段由{term_zh(s.lead)}主导"
                               + ("，而且是从一开始。" if i == 1 else "；这可能是图5所说的反向塑造，也可能是换了模式。")))
    return out


@rule("interaction_deepens")
def _deepens(case: Case, cat: Catalog) -> list[Finding]:
    out = []
    depths = [s.depth for s in case.stages]
    if depths and depths[0] and depths[0] > 1:
        out.append(Finding("interaction_deepens", "debatable", 1,
                           f"The first stage already starts at depth {depths[0]}; both firms began with one-way exchange.",
                           f"第一阶段一开始就是深度{depths[0]}；两家企业都是从单向互动起步的。"))
    for i in range(1, len(depths)):
        a, b = depths[i - 1], depths[i]
        if a is None or b is None:
            continue
        if b < a:
            out.append(Finding("interaction_deepens", "contradicts", i + 1,
                               f"Interaction falls back from depth {a} to {b} in stage {i + 1}.",
                               f"第{i + 1}阶段的互动从深度{a}退回到{b}。"))
        elif b == a:
            out.append(Finding("interaction_deepens", "debatable", i + 1,
                               f"Interaction stays at depth {a} in stage {i + 1} instead of deepening.",
                               f"第{i + 1}阶段的互动停在深度{a}，没有加深。"))
        elif b > a + 1:
            out.append(Finding("interaction_deepens", "debatable", i + 1,
                               f"Interaction jumps from depth {a} to {b} in stage {i + 1}, skipping a level.",
                               f"第{i + 1}阶段的互动从深度{a}跳到{b}，越过了一级。"))
    return out


@rule("activities_fit_interaction")
def _fit(case: Case, cat: Catalog) -> list[Finding]:
    out = []
    for i, s in enumerate(case.stages, 1):
        inter = case.option(s.interaction)
        if inter is None:
            continue
        ladder_mode = {v: k for k, v in cat.lead_of_mode.items()}.get(inter.lead)
        issues_en, issues_zh = [], []
        for key in ("rd_activity", "marketing_activity"):
            o = case.option(getattr(s, key))
            if o is None:
                continue
            if o.level != inter.level:
                issues_en.append(f"{o.name_en} belongs with depth {o.level}, not {inter.level}")
                issues_zh.append(f"“{o.name_zh}”对应深度{o.level}而非{inter.level}")
            if o.mode and ladder_mode and o.mode != ladder_mode:
                issues_en.append(f"{o.name_en} comes from {term_en(o.mode)} collaboration")
                issues_zh.append(f"“{o.name_zh}”来自{term_zh(o.mode)}")
        if issues_en:
            out.append(Finding("activities_fit_interaction", "debatable", i,
                               f"Stage {i} pairs {inter.name_en} with activities that do not usually go with it: "
                               + "; ".join(issues_en) + ".",
                               f"第{i}阶段把“{inter.name_zh}”与不常配套的活动放在一起：" + "；".join(issues_zh) + "。"))
    return out


@rule("focus_under_resource_constraint")
def _focus(case: Case, cat: Catalog) -> list[Finding]:
    out = []
    sev = _soft(case)
    n = len(case.stages)
    for i, s in enumerate(case.stages, 1):
        m = case.option(s.marketing_activity)
        if m is None or not m.cross_industry:
            continue
        years = s.end_year - s.start_year + 1
        if s.depth == 3:
            out.append(Finding("focus_under_resource_constraint", sev, i,
                               f"Stage {i} asks for deep participation while marketing is spread across many industries; "
                               f"under {term_en(case.resource_constraint)} that dissipates the resources deep collaboration needs.",
                               f"第{i}阶段要求深度参与，营销却铺在许多行业；在{term_zh(case.resource_constraint)}下，"
                               "这会分散深度协同所需的资源。", blocks=sev == "contradicts"))
        elif i == n:
            out.append(Finding("focus_under_resource_constraint", sev, i,
                               f"Marketing stays spread across many industries to the end: the firm never refocuses, as Keda "
                               "did in 2018 after complaints, imitators and falling margins.",
                               "营销一直铺在多个行业直到最后：企业始终没有像科达2018年那样在客户抱怨、模仿者进入和利润下滑后收缩聚焦。"))
        elif s.depth == 1:
            out.append(Finding("focus_under_resource_constraint", "debatable", i,
                               f"Stage {i} spreads marketing across industries while interaction is still one-way and "
                               "there is hardly a sales force.",
                               f"第{i}阶段在互动仍是单向、几乎没有销售队伍时就跨行业铺开营销。"))
        if cat.max_cross_industry_years and years > cat.max_cross_industry_years and s.depth != 3:
            out.append(Finding("focus_under_resource_constraint", "debatable", i,
                               f"Cross-industry marketing lasts {years} years here, longer than Keda's "
                               f"{cat.max_cross_industry_years}, which already ran into its resource limits.",
                               f"跨行业营销在此持续{years}年，比科达的{cat.max_cross_industry_years}年还长，而科达当时已触到资源极限。"))
    return out


@rule("no_intermediary")
def _intermediary(case: Case, cat: Catalog) -> list[Finding]:
    sev = _soft(case)
    return [Finding("no_intermediary", sev, i,
                    f"Stage {i} routes R&D–marketing collaboration through an intermediary unit, the industry leaders' "
                    f"way (Table 5); under {term_en(case.resource_constraint)} a niche winner collaborates directly.",
                    f"第{i}阶段让研发与营销经中介部门协同，这是行业龙头的做法（表5）；在{term_zh(case.resource_constraint)}下，"
                    "“精一赢家”是直接协同的。")
            for i, s in enumerate(case.stages, 1) if s.intermediary]


@rule("founders_shape_mode")
def _founders(case: Case, cat: Catalog) -> list[Finding]:
    expected = {"technical": "technology_oriented", "sales": "market_oriented"}.get(case.founder_background)
    if expected and expected != case.collaboration_mode:
        return [Finding("founders_shape_mode", "debatable", None,
                        f"The case has {term_en(case.founder_background, 'founder_background')} but runs {term_en(case.collaboration_mode)} "
                        "collaboration; the paper expects the founders' background to point the other way.",
                        f"该方案是{term_zh(case.founder_background, 'founder_background')}，却采用{term_zh(case.collaboration_mode)}；"
                        "论文认为创业者背景通常指向另一种模式。")]
    return []


@rule("collaboration_spans_life_cycle")
def _life_cycle(case: Case, cat: Catalog) -> list[Finding]:
    out = []
    for i in range(1, len(case.stages)):
        a, b = case.stages[i - 1], case.stages[i]
        if b.start_year < a.start_year:
            out.append(Finding("collaboration_spans_life_cycle", "contradicts", i + 1,
                               f"Stage {i + 1} starts in {b.start_year}, before stage {i} ({a.start_year}): the stages no "
                               "longer follow one another in time.",
                               f"第{i + 1}阶段始于{b.start_year}年，早于第{i}阶段（{a.start_year}年）：阶段不再按时间先后排列。"))
        elif b.start_year > a.end_year + 1:
            out.append(Finding("collaboration_spans_life_cycle", "debatable", i + 1,
                               f"Nothing happens between {a.end_year} and {b.start_year}: a gap of "
                               f"{b.start_year - a.end_year - 1} year(s) without collaboration.",
                               f"{a.end_year}年到{b.start_year}年之间有{b.start_year - a.end_year - 1}年没有协同。"))
        elif b.start_year < a.end_year:
            out.append(Finding("collaboration_spans_life_cycle", "debatable", i + 1,
                               f"Stages {i} and {i + 1} overlap by {a.end_year - b.start_year + 1} years (the source shares "
                               "at most one boundary year).",
                               f"第{i}与第{i + 1}阶段重叠{a.end_year - b.start_year + 1}年（原文最多共用一个边界年份）。"))
    return out


def _capabilities(case: Case, cat: Catalog, findings: list[Finding]) -> tuple[list[StageOutcome], list[Finding]]:
    """stage_forms_capability and capabilities_build_on_earlier: which capability each stage forms."""
    out_f: list[Finding] = []
    outcomes = []
    formed: list[str] = []
    case_mode_ladder = cat.ladders.get(case.collaboration_mode, ())
    for i, s in enumerate(case.stages, 1):
        d, ld = s.depth, s.lead
        cap = cat.capability_for(d, ld) if d and ld else None
        stage_f = [f for f in findings if f.stage == i]
        status = "formed"
        if cap is None:
            status = "not_formed"
        else:
            mode = {v: k for k, v in cat.lead_of_mode.items()}[ld]
            ladder = cat.ladders[mode]
            if d > 1 and ladder[d - 2] not in formed:
                out_f.append(Finding("capabilities_build_on_earlier", "contradicts", i,
                                     f"{cat.label(cap)} needs {cat.label(ladder[d - 2])} from an earlier stage, which has not formed "
                                     "(the kit's reading of the 能力进阶与演化 axis, 000 Figures 3-4).",
                                     f"{cat.options[cap].name_zh}要以更早阶段的{cat.options[ladder[d - 2]].name_zh}为基础，而后者没有形成"
                                     "（本套件对000图3、图4“能力进阶与演化”轴的解读）。",
                                     blocks=True))
                status = "not_formed"
            elif any(f.blocks for f in stage_f):
                status = "not_formed"
            elif cap in formed:
                status = "no_new"
                out_f.append(Finding("stage_forms_capability", "debatable", i,
                                     f"Stage {i} repeats the pattern that formed {cat.label(cap)}; it adds no new capability.",
                                     f"第{i}阶段重复了形成{cat.options[cap].name_zh}的模式，没有带来新能力。"))
            else:
                if cap not in case_mode_ladder:
                    out_f.append(Finding("stage_forms_capability", "debatable", i,
                                         f"Stage {i} forms {cat.options[cap].name_en}, a capability of {term_en(mode)} "
                                         f"collaboration, not of the case's {term_en(case.collaboration_mode)} mode.",
                                         f"第{i}阶段形成的是{cat.options[cap].name_zh}，属于{term_zh(mode)}，"
                                         f"而非该案例的{term_zh(case.collaboration_mode)}。"))
                if any(f.severity for f in stage_f) or any(f.stage == i for f in out_f):
                    status = "at_risk"
        if status in ("formed", "at_risk"):
            formed.append(cap)
        outcomes.append(StageOutcome(i, s, cap, status, d, ld))
    return outcomes, out_f


def _changes(case: Case, actual: Case) -> list[Change]:
    out = []
    for key in ("business_model", "collaboration_mode", "founder_background", "resource_constraint"):
        if getattr(case, key) != getattr(actual, key):
            out.append(Change(None, key, getattr(actual, key), getattr(case, key)))
    if len(case.stages) != len(actual.stages):
        out.append(Change(None, "stage_count", len(actual.stages), len(case.stages)))
    for i, s in enumerate(case.stages):
        a = actual.stages[i] if i < len(actual.stages) else None
        for key in ("stage", "start_year", "end_year", "rd_activity", "marketing_activity", "interaction", "intermediary"):
            if a is None or getattr(s, key) != getattr(a, key):
                out.append(Change(i + 1, key, getattr(a, key) if a else None, getattr(s, key)))
    return out


def _n(count: int, one: str, many: str) -> str:
    """'1 capability', '2 capabilities' (Chinese needs no plural: 1项能力, 2项能力)."""
    return f"{count} {one if count == 1 else many}"


def evaluate(alternative: Case, actual: Case | str | None = None) -> Evaluation:
    """Compare an alternative stage sequence with the actual case under the framework's rules.

    Never raises for a malformed alternative: the result then has ``valid=False`` and
    ``problems`` saying what to fix.
    """
    cat = catalog()
    if isinstance(actual, str):
        actual = actual_case(actual)
    if actual is not None and not isinstance(actual, Case):
        raise CasekitError(t(f"actual= is the case to compare with: a Case or a name such as 'keda', not {short(actual, 40)}.",
                             f"actual= 是用来对照的案例：Case 或名称（如 'keda'），而不是 {short(actual, 40)}。"))
    problems = validate(alternative)
    if isinstance(alternative, str):   # never raises for a malformed alternative: say what to pass instead
        problems = [t(f"evaluate() takes a Case, not the name {short(alternative, 40)}: use "
                      f"evaluate(actual_case({short(alternative, 40)})) for the actual case, or an alternative made "
                      "from it, e.g. actual_case('keda').skip(2).",
                      f"evaluate() 需要一个 Case，而不是名称 {short(alternative, 40)}：实际案例请用 "
                      f"evaluate(actual_case({short(alternative, 40)}))，或由它生成的方案，例如 actual_case('keda').skip(2)。")]
    if problems:
        base = actual or (alternative.actual if isinstance(alternative, Case) else None)
        return Evaluation(case=alternative if isinstance(alternative, Case) else base, actual=base, valid=False,
                          problems=tuple(problems))
    actual = actual or alternative.actual
    findings: list[Finding] = []
    for rid, check in RULE_CHECKS.items():
        findings += check(alternative, cat)
    outcomes, cap_findings = _capabilities(alternative, cat, findings)
    findings += cap_findings
    order = {r: v["order"] for r, v in _rules_table().items()}
    findings.sort(key=lambda f: (f.severity != "contradicts", f.stage or 0, order.get(f.rule, 99)))
    formed = tuple(o.capability for o in outcomes if o.status in ("formed", "at_risk"))
    if actual is alternative:
        actual_caps = formed
    else:
        actual_caps = _actual_capabilities(actual)
    return Evaluation(case=alternative, actual=actual, valid=True, outcomes=tuple(outcomes), findings=tuple(findings),
                      capabilities_formed=formed, actual_capabilities=actual_caps,
                      changes=tuple(_changes(alternative, actual)))


def _actual_capabilities(actual: Case) -> tuple[str, ...]:
    if actual.base is None and actual.firm in case_names() and actual is _bundled(actual.firm):
        return _bundled_caps(actual.firm)
    cat = catalog()
    outcomes, _ = _capabilities(actual, cat, [])
    return tuple(o.capability for o in outcomes if o.status in ("formed", "at_risk"))


@lru_cache(maxsize=None)
def _bundled_caps(firm: str) -> tuple[str, ...]:
    outcomes, _ = _capabilities(_bundled(firm), catalog(), [])
    return tuple(o.capability for o in outcomes if o.status in ("formed", "at_risk"))


protect(globals(), [n for n in __all__ if n not in ("Stage", "Case", "Finding", "StageOutcome", "Change", "Evaluation",
                                                     "Catalog")])
protect_methods(Case, ["reorder", "skip", "repeat", "change", "move_boundary", "borrow", "with_business_model",
                       "with_mode", "with_founders", "with_resources", "with_stages", "options"])
