"""Unit 3: the six paths to independent core-technology innovation and a path-fit advisor.

Source ``004`` (§3) names six paths a large-firm cluster can take to core technology of its own;
the Qingdao household-appliance cluster (Haier, Hisense, Aucma) used three of them (§4), and §5
proposes countermeasures for the three that Chinese clusters generally lacked. The facts live in
the datasets ``innovation_paths``, ``path_conditions``, ``qingdao_events``, ``qingdao_firms`` and
``path_countermeasures``; this module reads them and adds the advisor.

The advisor ranks the six paths for a *profile* (a dict of the fields in ``advisor_factors``).
Its weights are in the dataset ``advisor_weights`` and are **the kit's judgement, not the
paper's**: the source names the conditions, not how much each counts. The scoring is kept simple
enough to do by hand:

* each field a path depends on gets a satisfaction ``s`` in [0, 1]: ``min(value / saturation, 1)``
  when more of it favours the path (direction ``high``), one minus that when less does (``low``);
* the path's fit is ``100 * sum(weight * s) / sum(weight)``;
* a *gate* field (a prerequisite) with ``s < 0.3`` caps the fit at 30;
* fields with ``s >= 0.6`` are reasons for the path, ``s <= 0.4`` reasons against it.

>>> from casekit import six_paths
>>> advice = six_paths.advise(six_paths.preset("haier_refrigerator"))
>>> advice.top.path
'absorption'
>>> [f.path for f in advice.ranking][:2]
['absorption', 'gov_industry_university_research']
>>> six_paths.advise({"rd_resources": 50})
Traceback (most recent call last):
...
casekit.errors.CasekitError: rd_resources = 50 is out of range: Own R&D resources takes whole numbers from 0 to 10.
"""
from __future__ import annotations

import difflib
import math
import numbers
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Mapping

import pandas as pd

from . import i18n
from .datasets import bare, code_label, load_dataset
from ._guard import short
from .errors import CasekitError

__all__ = [
    "PATHS", "GATE_THRESHOLD", "GATE_CAP", "FOR_THRESHOLD", "AGAINST_THRESHOLD",
    "paths", "events", "cluster_actors", "countermeasures", "conditions", "factors",
    "factor_names", "default_profile", "preset_names", "preset", "preset_info", "check_profile",
    "advise", "Advice", "PathFit", "Reason", "describe_path", "PathCard", "adoption_matrix",
    "little_giant_firms", "TRAP_STEPS",
]

PATHS = ("original", "absorption", "gov_industry_university_research", "large_firm_cooperation",
         "transnational_alliance", "cross_border_ma")
GATE_THRESHOLD = 0.3
GATE_CAP = 30.0
FOR_THRESHOLD = 0.6
AGAINST_THRESHOLD = 0.4

# 004 §3.5: the loop the "market for technology" product alliances fell into, and the way out.
TRAP_STEPS = (
    ("introduce", "Introduce technology", "引进"),
    ("lag", "Fall behind", "落后"),
    ("reintroduce", "Introduce again", "再引进"),
    ("lag_again", "Fall behind again", "再落后"),
)


# ---------------------------------------------------------------------------- data access
def paths() -> pd.DataFrame:
    """The six paths (dataset ``innovation_paths``), in the source's order."""
    return load_dataset("innovation_paths").sort_values("order").reset_index(drop=True)


def events() -> pd.DataFrame:
    """Dated Qingdao examples (dataset ``qingdao_events``), oldest first."""
    return load_dataset("qingdao_events").sort_values(["year", "event"]).reset_index(drop=True)


def cluster_actors() -> pd.DataFrame:
    """Core groups, suppliers, units and foreign partners (dataset ``qingdao_firms``)."""
    return load_dataset("qingdao_firms")


def countermeasures(path: str | None = None) -> pd.DataFrame:
    """The §5 countermeasures, for one missing path or all three."""
    df = load_dataset("path_countermeasures")
    if path is not None:
        path = _check_path(path)
        df = df[df["path"] == path]
    return df.reset_index(drop=True)


def conditions(path: str | None = None) -> pd.DataFrame:
    """Conditions, advantages and risks item by item (dataset ``path_conditions``)."""
    df = load_dataset("path_conditions")
    if path is not None:
        df = df[df["path"] == _check_path(path)]
    return df.reset_index(drop=True)


def factors() -> pd.DataFrame:
    """The advisor's profile fields with their ranges (dataset ``advisor_factors``)."""
    return load_dataset("advisor_factors").sort_values("order").reset_index(drop=True)


def _check_path(path: Any) -> str:
    if not isinstance(path, str) or path not in PATHS:
        close = difflib.get_close_matches(path, PATHS, n=1) if isinstance(path, str) and len(path) < 100 else []
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise CasekitError(f"There is no path {short(path)}.{hint} Use one of the six paths: {', '.join(PATHS)}.")
    return path


# ---------------------------------------------------------------------------- the model tables
@dataclass(frozen=True)
class _Factor:
    name: str
    kind: str
    lo: int
    hi: int
    default: int
    label_en: str
    label_zh: str


@dataclass(frozen=True)
class _Weight:
    factor: str
    high: bool
    weight: float
    saturation: float
    gate: bool
    for_en: str
    for_zh: str
    against_en: str
    against_zh: str
    basis: str


@lru_cache(maxsize=1)
def _factor_table() -> dict[str, _Factor]:
    df = factors()
    return {r.factor: _Factor(r.factor, str(r.kind), int(r.min), int(r.max), int(r.default), r.label_en, r.label_zh)
            for r in df.itertuples()}


@lru_cache(maxsize=1)
def _weight_table() -> dict[str, tuple[_Weight, ...]]:
    df = load_dataset("advisor_weights")
    out: dict[str, list[_Weight]] = {p: [] for p in PATHS}
    for r in df.itertuples():
        out[str(r.path)].append(_Weight(r.factor, r.direction == "high", float(r.weight), float(r.saturation),
                                        bool(r.gate), r.reason_for_en, r.reason_for_zh, r.reason_against_en,
                                        r.reason_against_zh, r.basis))
    return {p: tuple(ws) for p, ws in out.items()}


@lru_cache(maxsize=1)
def _path_names() -> dict[str, tuple[str, str, str, str, int]]:
    return {r.path: (r.name_en, r.name_zh, r.short_en, r.short_zh, int(r.order)) for r in paths().itertuples()}


def factor_names() -> list[str]:
    """The profile fields, in display order."""
    return list(_factor_table())


def default_profile() -> dict[str, int | bool]:
    """A middle-of-the-road profile (the kit's defaults) to start from."""
    return {f.name: (bool(f.default) if f.kind == "bool" else f.default) for f in _factor_table().values()}


# ---------------------------------------------------------------------------- presets
@lru_cache(maxsize=1)
def _presets() -> dict[str, dict]:
    df = load_dataset("advisor_profiles").sort_values("order")
    out = {}
    for rec in df.to_dict(orient="records"):
        out[rec["preset"]] = rec
    return out


def preset_names() -> list[str]:
    """Ids of the preset profiles (Haier and Hisense per episode, Aucma, a little giant)."""
    return list(_presets())


def preset(name: str) -> dict[str, int | bool]:
    """The profile of a preset, as a new dict you may change. Values are the kit's judgement."""
    rec = _presets().get(name) if isinstance(name, str) else None
    if rec is None:
        close = difflib.get_close_matches(name, preset_names(), n=1) if isinstance(name, str) and len(name) < 100 else []
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise CasekitError(f"There is no preset {short(name)}.{hint} Presets: {', '.join(preset_names())}; choose one of them.")
    table = _factor_table()
    return {k: (bool(rec[k]) if table[k].kind == "bool" else int(rec[k])) for k in table}


def preset_info(name: str) -> dict[str, Any]:
    """Name, period, the paths the source reports and the rationale of a preset."""
    preset(name)  # validates the name
    rec = _presets()[name]
    taken = [p for p in str(rec["paths_taken"]).split(";") if p]
    return {"preset": name, "firm": str(rec["firm"]), "name_en": rec["name_en"], "name_zh": rec["name_zh"],
            "period_en": rec["period_en"], "period_zh": rec["period_zh"], "paths_taken": taken,
            "rationale_en": rec["rationale_en"], "rationale_zh": rec["rationale_zh"], "cite": rec["cite"]}


# ---------------------------------------------------------------------------- checking a profile
def check_profile(profile: Mapping[str, Any], *, fill_defaults: bool = False) -> dict[str, int | bool]:
    """Return a clean copy of ``profile``, or raise :class:`CasekitError` saying what to fix.

    With ``fill_defaults=True`` missing fields take the kit's defaults (see :func:`default_profile`).

    >>> check_profile({"capital": 3}, fill_defaults=True)["capital"]
    3
    >>> check_profile({"capital": 3})
    Traceback (most recent call last):
    ...
    casekit.errors.CasekitError: The profile is incomplete: 14 field(s) missing: rd_resources, imitation_barrier, potential_competitors, accumulated_capability, foreign_technology_available, development_difficulty, university_access, government_support, key_national_field, cluster_partner_firms, coordination_platform, foreign_partner_complementary, global_competitiveness, global_management. Give them, start from six_paths.default_profile() or a preset, or call advise(profile, fill_defaults=True).
    """
    table = _factor_table()
    if isinstance(profile, pd.Series):
        profile = profile.to_dict()
    if not isinstance(profile, Mapping):
        raise CasekitError(
            f"A profile is a dict of field -> value, not {type(profile).__name__}. "
            "Start from six_paths.default_profile() or six_paths.preset('haier_tv')."
        )
    unknown = [k for k in profile if k not in table]
    if unknown:
        parts = []
        for k in unknown[:3]:
            key = k if isinstance(k, str) and len(k) <= 100 else None   # no fuzzy match on a 5 MB key
            close = difflib.get_close_matches(key, list(table), n=1) if key else []
            parts.append(short(k, 60) + (f" (did you mean {close[0]!r}?)" if close else ""))
        more = f" and {len(unknown) - 3} more" if len(unknown) > 3 else ""
        raise CasekitError(f"Unknown profile field(s): {', '.join(parts)}{more}. Use the fields: {', '.join(table)}.")
    clean: dict[str, int | bool] = {}
    for name, f in table.items():
        label, lzh = f.label_en, f.label_zh
        rng_en, rng_zh = f"takes whole numbers from {f.lo} to {f.hi}", f"取 {f.lo} 到 {f.hi} 之间的整数"
        if name not in profile:
            continue
        v = profile[name]
        if f.kind == "bool":
            if isinstance(v, (bool,)) or (isinstance(v, numbers.Integral) and int(v) in (0, 1)):
                clean[name] = bool(v)
                continue
            raise CasekitError(i18n.t(f"{name} = {short(v)} is not allowed: {label} is yes/no; give True or False.",
                                      f"{name} = {short(v)} 不可用：{lzh}是“是/否”项，请填 True 或 False。"))
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise CasekitError(i18n.t(f"{name} = {short(v)} is not a number: {label} {rng_en}.",
                                      f"{name} = {short(v)} 不是数字：{lzh}{rng_zh}。"))
        if math.isnan(float(v)):
            raise CasekitError(i18n.t(f"{name} is missing (NaN): {label} {rng_en}.",
                                      f"{name} 缺失（NaN）：{lzh}{rng_zh}。"))
        if not f.lo <= v <= f.hi:
            raise CasekitError(i18n.t(f"{name} = {short(v)} is out of range: {label} {rng_en}.",
                                      f"{name} = {short(v)} 超出范围：{lzh}{rng_zh}。"))
        if float(v) != int(v):
            raise CasekitError(i18n.t(f"{name} = {short(v)} is not a whole number: {label} {rng_en}, e.g. {int(v)} "
                                      f"or {int(v) + 1}.",
                                      f"{name} = {short(v)} 不是整数：{lzh}{rng_zh}，例如 {int(v)} 或 {int(v) + 1}。"))
        clean[name] = int(v)
    missing = [k for k in table if k not in clean]
    if missing:
        if not fill_defaults:
            raise CasekitError(
                f"The profile is incomplete: {len(missing)} field(s) missing: {', '.join(missing)}. Give them, "
                "start from six_paths.default_profile() or a preset, or call advise(profile, fill_defaults=True)."
            )
        defaults = default_profile()
        for k in missing:
            clean[k] = defaults[k]
    return {k: clean[k] for k in table}


# ---------------------------------------------------------------------------- advice
@dataclass(frozen=True)
class Reason:
    """One profile field's effect on one path."""

    factor: str
    value: float
    satisfaction: float
    weight: float
    gate: bool
    text_en: str
    text_zh: str
    basis: str

    @property
    def text(self) -> str:
        return i18n.t(self.text_en, self.text_zh)


@dataclass
class PathFit:
    """How well one path fits a profile, with the reasons for and against."""

    path: str
    rank: int
    fit: float
    capped: bool
    reasons_for: list[Reason] = field(default_factory=list)
    reasons_against: list[Reason] = field(default_factory=list)
    missing_prerequisites: list[Reason] = field(default_factory=list)

    @property
    def name_en(self) -> str:
        return _path_names()[self.path][0]

    @property
    def name_zh(self) -> str:
        return _path_names()[self.path][1]

    @property
    def name(self) -> str:
        return i18n.t(self.name_en, self.name_zh)


@dataclass
class Advice:
    """The six paths ranked for a profile. ``ranking[0]`` fits best."""

    profile: dict
    ranking: list[PathFit]
    filled: list[str] = field(default_factory=list)

    @property
    def top(self) -> PathFit:
        return self.ranking[0]

    def fit_of(self, path: str) -> PathFit:
        path = _check_path(path)
        return next(f for f in self.ranking if f.path == path)

    def table(self) -> pd.DataFrame:
        """The ranking as a table in the current language."""
        rows = []
        for f in self.ranking:
            rows.append({
                i18n.t("rank", "排名"): f.rank,
                i18n.t("path", "路径"): f.name,
                i18n.t("fit (0-100)", "适配度（0-100）"): round(f.fit, 1),
                i18n.t("for", "支持理由"): "; ".join(r.text for r in f.reasons_for),
                i18n.t("against", "反对理由"): "; ".join(r.text for r in f.reasons_against),
            })
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        head = i18n.t("Path-fit advice (weights: kit judgement, illustrative)",
                      "路径适配建议（权重为本套件的判断，示意性）")
        lines = [head]
        for f in self.ranking:
            cap = i18n.t("  [prerequisite missing]", "  [缺少前提]") if f.capped else ""
            lines.append(f"{f.rank}. {f.name}: {f.fit:.0f}{cap}")
            if f.reasons_for:
                lines.append("   + " + "; ".join(r.text for r in f.reasons_for))
            if f.reasons_against:
                lines.append("   - " + "; ".join(r.text for r in f.reasons_against))
        if self.filled:
            lines.append(i18n.t("Defaults used for: ", "使用默认值的字段：") + ", ".join(self.filled))
        return "\n".join(lines)


def _score(profile: Mapping[str, int | bool]) -> list[PathFit]:
    names = _path_names()
    fits = []
    for path, weights in _weight_table().items():
        total = wsum = 0.0
        pro: list[Reason] = []
        con: list[Reason] = []
        gates: list[Reason] = []
        for w in weights:
            v = float(profile[w.factor])
            s = min(v / w.saturation, 1.0)
            if not w.high:
                s = 1.0 - s
            total += w.weight * s
            wsum += w.weight
            if s >= FOR_THRESHOLD:
                pro.append(Reason(w.factor, v, s, w.weight, w.gate, w.for_en, w.for_zh, w.basis))
            elif s <= AGAINST_THRESHOLD:
                r = Reason(w.factor, v, s, w.weight, w.gate, w.against_en, w.against_zh, w.basis)
                con.append(r)
                if w.gate and s < GATE_THRESHOLD:
                    gates.append(r)
        # rounded so that ties (equal fits) sort by the source's order, not by float noise
        fit = round(100.0 * total / wsum, 9) if wsum else 0.0
        capped = bool(gates) and fit > GATE_CAP
        if gates:
            fit = min(fit, GATE_CAP)
        pro.sort(key=lambda r: -r.weight * r.satisfaction)
        # missing prerequisites first, then the heaviest shortfalls
        con.sort(key=lambda r: (not (r.gate and r.satisfaction < GATE_THRESHOLD), -r.weight * (1 - r.satisfaction)))
        fits.append(PathFit(path, 0, fit, capped or bool(gates), pro, con, gates))
    fits.sort(key=lambda f: (-f.fit, names[f.path][4]))
    for i, f in enumerate(fits, 1):
        f.rank = i
    return fits


def advise(profile: Mapping[str, Any], *, fill_defaults: bool = False) -> Advice:
    """Rank the six paths for a firm or cluster profile, with reasons for and against each.

    ``profile`` is a dict of the fields in :func:`factors` (see :func:`default_profile` and
    :func:`preset`). An incomplete or out-of-range profile raises :class:`CasekitError` with what
    to fix; ``fill_defaults=True`` fills missing fields with the kit's defaults instead.
    """
    given = set(profile) if isinstance(profile, Mapping) else set()
    clean = check_profile(profile, fill_defaults=fill_defaults)
    filled = [k for k in clean if k not in given]
    return Advice(clean, _score(clean), filled)


# ---------------------------------------------------------------------------- path cards, matrix
@dataclass
class PathCard:
    """Everything the kit holds about one path, for reading in a notebook."""

    path: str
    row: dict
    items: pd.DataFrame
    measures: pd.DataFrame
    examples: pd.DataFrame

    def __repr__(self) -> str:
        L = i18n.get_language()
        r = self.row
        lines = [f"{r['order']}. {r['name_' + L]}  ({r['name_zh'] if L == 'en' else r['name_en']})",
                 i18n.t("basis: ", "依据：") + r["basis_" + L] + f"  [004 §{r['section']}]"]
        for kind, head in [("condition", i18n.t("Suits when", "适用条件")),
                           ("advantage", i18n.t("Advantages", "优势")), ("risk", i18n.t("Risks", "风险"))]:
            items = bare(self.items)
            sub = items[items["kind"] == kind]
            lines.append(head + ":")
            for it in sub.itertuples():
                mark = i18n.t(" (kit's reading)", "（本套件的解读）") if it.source_states == "kit_reading" else ""
                lines.append(f"  - {getattr(it, 'text_' + L)}{mark}  [{it.cite}]")
        if len(self.examples):
            lines.append(i18n.t("Qingdao examples:", "青岛实例："))
            for e in bare(self.examples).itertuples():
                lines.append(f"  - {_year_label(e)} {code_label(str(e.firm), L)}: {getattr(e, 'event_' + L)}")
        else:
            lines.append(i18n.t("Qingdao examples: none in the source", "青岛实例：原文没有"))
        if len(self.measures):
            lines.append(i18n.t("Countermeasures (§5):", "对策（第5节）："))
            for m in bare(self.measures).itertuples():
                lines.append(f"  - [{code_label(str(m.actor), L, 'path_countermeasures.actor')}] {getattr(m, 'measure_' + L)}")
        return "\n".join(lines)


def describe_path(path: str) -> PathCard:
    """A readable card for one path: basis, conditions, advantages, risks, examples, countermeasures."""
    path = _check_path(path)
    row = paths().set_index("path").loc[path].to_dict()
    row["path"] = path
    ev = events()
    return PathCard(path, row, conditions(path), countermeasures(path) if path in _missing() else
                    countermeasures().iloc[0:0], ev[ev["path"] == path].reset_index(drop=True))


def _missing() -> set[str]:
    p = paths()
    return set(p.loc[~p["used_in_qingdao"].astype(bool), "path"].astype(str))


def _year_label(e: Any) -> str:
    basis = e.year_basis if hasattr(e, "year_basis") else e["year_basis"]
    year = int(e.year if hasattr(e, "year") else e["year"])
    if basis == "relative_to_writing":
        return f"~{year}"
    if basis == "reported_by":
        return f"≤{year}"
    return str(year)


def adoption_matrix(kind: str = "years") -> pd.DataFrame:
    """Firm × path table of the Qingdao examples.

    ``kind="years"``: the years of the examples (``~1989`` derived from "20 years ago", ``≤2009``
    undated but reported by the time of writing); ``kind="count"``: how many examples. All three
    core groups and all six paths appear, so the gaps show.
    """
    if kind not in ("years", "count"):
        raise CasekitError(f"adoption_matrix(kind={short(kind, 40)}): use kind='years' or kind='count'.")
    # One pass over the examples (oldest first), each to its firm and path: not 18 selections of the table
    cells: dict[tuple[str, str], list] = {}
    for r in bare(events()).itertuples(index=False):
        if not pd.isna(r.firm) and not pd.isna(r.path):
            cells.setdefault((str(r.firm), str(r.path)), []).append(r)
    firms = ["haier", "hisense", "aucma"]
    out = pd.DataFrame("" if kind == "years" else 0, index=pd.Index(firms, name="firm"), columns=list(PATHS))
    for firm in firms:
        for path in PATHS:
            sub = cells.get((firm, path), [])
            if kind == "count":
                out.loc[firm, path] = len(sub)
            else:
                labels = list(dict.fromkeys(_year_label(r) for r in sub))
                out.loc[firm, path] = ", ".join(labels)
    out.columns.name = "path"
    return out


def little_giant_firms() -> list[dict[str, str]]:
    """Unit 2's little giants (dataset ``firms``, source 000) that the little-giant preset stands for."""
    try:
        df = load_dataset("firms")
    except CasekitError:
        return []
    return [{"firm": str(r.firm), "name_en": r.name_en, "name_zh": r.name_zh} for r in df.itertuples()]


from ._guard import protect as _protect  # noqa: E402

_protect(globals(), __all__)
