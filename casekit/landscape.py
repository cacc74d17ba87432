"""Unit 1, the SRDI landscape: claims read by the quality of their source, the SRDI ladder,
co-innovation mechanisms and dilemmas.

Pure functions over the bundled datasets (``srdi_statistics``, ``srdi_ladder``,
``co_innovation_mechanisms``, ``co_innovation_dilemmas``, ``course_map``); no widgets, no I/O
beyond loading data. Every function returns a new DataFrame or object.

>>> from casekit import landscape
>>> landscape.claims(source_types="peer_reviewed").shape[0]
22
>>> c = landscape.compare_claims("little_giant_rd_intensity_2023", "manufacturing_rd_intensity_2023")
>>> round(c.ratio, 2)
3.9
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Iterable

import numpy as np
import pandas as pd

from . import i18n, units
from .datasets import bare, code_label, column_labels, load_dataset, records
from ._guard import short
from .errors import CasekitError

__all__ = [
    "SOURCE_TYPES", "TRACEABILITY", "SORT_KEYS", "claims", "claim", "untraceable_claims",
    "paired_figures", "side_by_side", "source_quality_summary", "compare_claims", "ClaimComparison", "ladder",
    "mechanisms", "mechanisms_of_firm", "dilemma_paths", "course_links", "related_group_label",
]

#: Source types, strongest evidential weight first (the data contract's values).
SOURCE_TYPES = ("peer_reviewed", "open_access_journal", "vendor_blog")
#: Source type -> (English, Chinese) label, from the glossary.
SOURCE_TYPE_LABELS = {k: (code_label(k, "en"), code_label(k, "zh")) for k in SOURCE_TYPES}
#: How a claim is backed, most traceable first.
TRACEABILITY = ("reference_list", "own_data", "named_source", "interview", "anonymous_case", "unsourced")
TRACEABILITY_LABELS = {k: (code_label(k, "en"), code_label(k, "zh")) for k in TRACEABILITY}
#: Ways :func:`claims` can sort. ``value`` sorts within each unit (claims grouped by unit), since
#: 12,668 firms and 70 % are not on one scale.
SORT_KEYS = ("source_type", "traceability", "value", "source", "as_of", "claim_id")
#: Readable names of the topics whose figures :func:`side_by_side` sets beside each other
#: (the codebook's labels of ``srdi_statistics.related_group``).
RELATED_GROUP_LABELS = column_labels("srdi_statistics.related_group")


def related_group_label(group: str) -> str:
    """The topic's name in the current language (the id with spaces when it has no name yet)."""
    pair = RELATED_GROUP_LABELS.get(group)
    return i18n.t(*pair) if pair else str(group).replace("_", " ")


def _as_list(value, allowed: Iterable[str], what: str) -> list[str] | None:
    if value is None:
        return None
    allowed = list(allowed)
    if isinstance(value, str):
        items = [value]
    elif isinstance(value, (list, tuple, set, frozenset, pd.Series, np.ndarray)) and len(value) <= 1000:
        items = list(value)
    else:
        raise CasekitError(i18n.t(
            f"Give the {what}s as a name or a list of names, not {short(value)}. Allowed values: {', '.join(allowed)}.",
            f"{_WHAT_ZH.get(what, what)}应为一个名称或名称列表，而不是 {short(value)}。允许的取值：{', '.join(allowed)}。"))
    bad = [v for v in items if not isinstance(v, str) or v not in allowed]
    if bad:
        raise CasekitError(i18n.t(
            f"Unknown {what} {short(bad)}. Allowed values: {', '.join(allowed)}.",
            f"未知的{_WHAT_ZH.get(what, what)} {short(bad)}。允许的取值：{', '.join(allowed)}。"))
    return items


_WHAT_ZH = {"source type": "来源类型", "logic": "赋能逻辑", "SRDI dimension": "专精特新维度"}


def _load(name: str) -> tuple[pd.DataFrame, dict]:
    # Work on a frame without attrs: pandas deep-copies attrs on every filter and sort, which
    # costs more than the operation itself on these small tables. The attrs go back on at the end.
    df = load_dataset(name)
    attrs, df.attrs = df.attrs, {}
    return df, attrs


def _done(df: pd.DataFrame, attrs: dict) -> pd.DataFrame:
    df = df.reset_index(drop=True)
    df.attrs = attrs
    return df


def _stats() -> pd.DataFrame:
    return _load("srdi_statistics")[0]


def claims(source_types: str | Iterable[str] | None = None, *, traceable: bool | None = None,
           promotional: bool | None = None, sort_by: str = "source_type",
           data: pd.DataFrame | None = None) -> pd.DataFrame:
    """The numeric claims of unit 1, filtered and sorted.

    Parameters
    ----------
    source_types : str or list of str, optional
        Keep only these source types (``peer_reviewed``, ``open_access_journal``, ``vendor_blog``).
    traceable : bool, optional
        ``True`` keeps claims that name where their number comes from, ``False`` those that do not.
    promotional : bool, optional
        ``True`` keeps only claims that promote the publisher's product, ``False`` drops them.
    sort_by : str
        One of :data:`SORT_KEYS`. ``source_type`` and ``traceability`` put the strongest first.
    data : DataFrame, optional
        A copy of ``srdi_statistics`` to work on (default: the bundled dataset).

    Examples
    --------
    >>> from casekit import landscape
    >>> df = landscape.claims("vendor_blog", traceable=False)
    >>> bool(df["names_source"].any())
    False
    """
    if data is None:
        df, attrs = _load("srdi_statistics")
    else:
        df, attrs = data, data.attrs
        if attrs:
            df = data.copy(deep=False)
            df.attrs = {}
    types = _as_list(source_types, SOURCE_TYPES, "source type")
    if not isinstance(sort_by, str) or sort_by not in SORT_KEYS:
        raise CasekitError(i18n.t(f"Cannot sort claims by {short(sort_by)}. Choose one of: {', '.join(SORT_KEYS)}.",
                                  f"无法按 {short(sort_by)} 排序。请从以下选择：{', '.join(SORT_KEYS)}。"))
    for name, flag in (("traceable", traceable), ("promotional", promotional)):
        if flag is not None and not isinstance(flag, (bool, np.bool_)):
            raise CasekitError(i18n.t(f"{name} must be True, False or None (no filter), not {short(flag)}.",
                                      f"{name} 必须是 True、False 或 None（不筛选），而不是 {short(flag)}。"))
    if data is not None and (not isinstance(data, pd.DataFrame)
                             or not {"source_type", "names_source", "promotional", sort_by} <= set(data.columns)):
        raise CasekitError(i18n.t(
            "data must be a copy of the srdi_statistics table, e.g. casekit.load_dataset('srdi_statistics').",
            "data 必须是 srdi_statistics 表的副本，例如 casekit.load_dataset('srdi_statistics')。"))
    # Build one boolean mask and one ordering, then take the rows once: each take copies all
    # 20-odd columns, so one take instead of three keeps a widget update within a frame.
    mask = np.ones(len(df), dtype=bool)
    if types is not None:
        mask &= df["source_type"].astype(str).isin(types).to_numpy()
    if traceable is not None:
        mask &= (df["names_source"].astype(bool) == bool(traceable)).to_numpy()
    if promotional is not None:
        mask &= (df["promotional"].astype(bool) == bool(promotional)).to_numpy()
    keys = [sort_by, "source"] if sort_by != "source" else ["source"]
    if sort_by == "value":       # within a unit: firms, percentages and years are not on one scale
        keys = ["unit", "value", "source"]
    # ties keep the source's own order (a stable sort), so the table reads like the documents
    order = df.loc[mask, keys].sort_values(keys, kind="stable").index
    df = df.loc[order]
    return _done(df, attrs)


def claim(claim_id: str) -> pd.Series:
    """One claim by its id, with a hint when the id is wrong."""
    df = _stats()
    hit = df[df["claim_id"] == claim_id]
    if hit.empty:
        import difflib

        close = difflib.get_close_matches(claim_id, df["claim_id"].tolist(), n=3) \
            if isinstance(claim_id, str) and len(claim_id) < 100 else []
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise CasekitError(i18n.t(
            f"There is no claim {short(claim_id, 60)} in srdi_statistics.{hint} "
            "List the ids with casekit.load_dataset('srdi_statistics')['claim_id'].",
            f"srdi_statistics 中没有论断 {short(claim_id, 60)}。{hint} "
            "可用 casekit.load_dataset('srdi_statistics')['claim_id'] 列出全部编号。"))
    return hit.iloc[0]


def untraceable_claims(source_types: str | Iterable[str] | None = None) -> pd.DataFrame:
    """Claims that name no source at all (``unsourced`` or an ``anonymous_case``).

    >>> from casekit import landscape
    >>> sorted(landscape.untraceable_claims()["source"].unique().tolist())
    ['000', '001', '002']
    """
    return claims(source_types, traceable=False, sort_by="source_type")


def paired_figures(across_sources: bool = False) -> pd.DataFrame:
    """Claims that state related figures, side by side, one block per ``related_group``.

    With ``across_sources=True`` only groups whose figures come from two or more documents (e.g.
    the little-giant count in 000 and in 002). Within a group the strongest source comes first.

    >>> from casekit import landscape
    >>> sorted(landscape.paired_figures(across_sources=True)["related_group"].unique())
    ['innovation_output_share', 'little_giant_count']
    """
    df, attrs = _load("srdi_statistics")
    df = df[df["related_group"] != ""]
    if across_sources:
        n_src = df.groupby("related_group")["source"].transform(lambda s: s.nunique())
        df = df[n_src >= 2]
    df = df.sort_values(["related_group", "source_type", "source"], kind="stable")
    return _done(df, attrs)


def side_by_side(labels: bool = False) -> pd.DataFrame:
    """Related figures from different kinds of source in adjacent columns, one row per topic.

    Columns are the source types present (strongest first) plus ``note``; each cell reads
    "value unit (date; source): claim" in the current language, several claims joined by " | ".
    ``labels=True`` gives the table to read: the topic's name first, the source types and
    "how they compare" as headers in the current language, no ids.

    >>> from casekit import landscape
    >>> t = landscape.side_by_side()
    >>> list(t.columns)
    ['peer_reviewed', 'vendor_blog', 'note']
    >>> "12,668" in t.loc["little_giant_count", "peer_reviewed"]
    True
    """
    df = bare(paired_figures(across_sources=True))   # read only: no provenance copied into each group
    rows = {}
    for group, g in df.groupby("related_group", sort=True):
        row = {}
        for st, part in g.groupby(g["source_type"].astype(str), sort=False):
            row[st] = " | ".join(_cell(r) for r in records(part))
        row["note"] = i18n.label(g.iloc[0].to_dict(), "related_note")
        rows[group] = row
    present = [s for s in SOURCE_TYPES if any(s in r for r in rows.values())]
    out = pd.DataFrame.from_dict(rows, orient="index").reindex(columns=present + ["note"]).fillna("")
    out.index.name = "related_group"
    if labels:
        out = out.rename(columns={**{s: i18n.t(*SOURCE_TYPE_LABELS[s]) for s in SOURCE_TYPES},
                                  "note": i18n.t("how they compare", "如何比较")})
        out.insert(0, i18n.t("topic", "主题"), [related_group_label(g) for g in out.index])
        out = out.reset_index(drop=True)
    return out


def _cell(r) -> str:
    q = {"more_than": ">", "less_than": "<", "about": "~", "at_most": "≤"}.get(str(r["qualifier"]), "")
    date = r["as_of"] or i18n.t("undated", "无日期")
    return f"{q}{r['value']:,.6g} {i18n.label(r, 'unit_name')} ({date}; {r['source']}): {i18n.label(r, 'claim')}"


def source_quality_summary(data: pd.DataFrame | None = None) -> pd.DataFrame:
    """How many claims each source type backs in each way: rows source types, columns traceability.

    >>> from casekit import landscape
    >>> int(landscape.source_quality_summary().loc["vendor_blog"].sum())
    30
    """
    if data is not None and (not isinstance(data, pd.DataFrame)
                             or not {"source_type", "traceability"} <= set(map(str, data.columns))):
        raise CasekitError(i18n.t(
            f"source_quality_summary() needs the srdi_statistics table (columns source_type and traceability), "
            f"not {short(data, 60)}. Call it with no argument, or pass casekit.load_dataset('srdi_statistics') filtered.",
            f"source_quality_summary() 需要 srdi_statistics 表（含 source_type 和 traceability 两列），而不是 "
            f"{short(data, 60)}。请不带参数调用，或传入筛选后的 casekit.load_dataset('srdi_statistics')。"))
    df = _stats() if data is None else data
    out = pd.crosstab(df["source_type"].astype(str), df["traceability"].astype(str))
    return out.reindex(index=list(SOURCE_TYPES), columns=list(TRACEABILITY), fill_value=0)


@dataclass
class ClaimComparison:
    """Two claims set side by side: ratio, difference and what a careful reader must say about them."""

    a: pd.Series
    b: pd.Series
    ratio: float
    difference: float
    caveats_en: list[str] = field(default_factory=list)
    caveats_zh: list[str] = field(default_factory=list)

    @property
    def caveats(self) -> list[str]:
        """The caveats in the current language."""
        return self.caveats_zh if i18n.get_language() == "zh" else self.caveats_en

    def __repr__(self) -> str:
        def line(name: str, r: pd.Series) -> str:
            kind = i18n.t(*SOURCE_TYPE_LABELS[str(r["source_type"])])
            value = f"{r['value']:g} {i18n.label(r, 'unit_name')}"
            if i18n.get_language() == "zh":      # the claim in words: a claim id is not Chinese
                return f"{name} = {i18n.label(r, 'claim')}（{r['source']}，{kind}）：{value}"
            return f"{name} = {r['claim_id']} ({r['source']}, {kind}): {value}"

        lines = [
            line("a", self.a),
            line("b", self.b),
            i18n.t("ratio", "比值") + f" a/b = {self.ratio:.4g}, " + i18n.t("difference", "差") + f" a-b = {self.difference:g}",
            i18n.t("Caveats:", "注意："),
        ]
        lines += [f"  - {c}" for c in self.caveats] or ["  - " + i18n.t("none", "无")]
        return "\n".join(lines)


_BOUND = {"more_than": ("over", "超过"), "less_than": ("under", "不足"), "about": ("about", "约"),
          "at_most": ("at best", "至多")}


def compare_claims(a: str, b: str) -> ClaimComparison:
    """The ratio ``a / b`` and difference ``a - b`` of two claims, with the caveats that come with them.

    The two claims must be in the same unit (a percentage cannot be divided by a firm count).
    Caveats name a different or missing date, a bound instead of an exact figure, a missing or
    unverifiable source, a vendor blog or a promotional claim, and figures from different documents.

    Examples
    --------
    >>> from casekit import landscape
    >>> c = landscape.compare_claims("little_giant_count_2023_000", "little_giant_count_2023_002")
    >>> round(c.ratio, 4)
    1.2668
    >>> len(c.caveats_en) == len(c.caveats_zh) >= 3
    True
    """
    ra, rb = claim(a), claim(b)
    if ra["unit"] != rb["unit"]:
        raise CasekitError(
            f"{short(a, 60)} is in {ra['unit_name_en']} and {short(b, 60)} in {rb['unit_name_en']}: a ratio of different units "
            "means nothing. Pick two claims with the same unit (compare their 'unit' column)."
        )
    vb = float(rb["value"])
    if vb == 0:
        raise CasekitError(f"{short(b, 60)} has the value 0, so a ratio a/b is undefined. Swap the two claims.")
    va = float(ra["value"])
    en: list[str] = []
    zh: list[str] = []
    if ra["source"] != rb["source"]:
        en.append(f"The figures come from different documents ({ra['source']} and {rb['source']}), "
                  "which may define and count differently.")
        zh.append(f"两个数字出自不同文献（{ra['source']}和{rb['source']}），定义和统计口径可能不同。")
    if ra["as_of"] != rb["as_of"]:
        da, db = ra["as_of"] or "undated", rb["as_of"] or "undated"
        en.append(f"They refer to different dates ({da} vs {db}).")
        zh.append(f"两者所指时间不同（{ra['as_of'] or '无日期'}与{rb['as_of'] or '无日期'}）。")
    elif ra["as_of"] == "":
        en.append("Neither figure says what date it refers to.")
        zh.append("两个数字都没说明所指时间。")
    for ab, r in (("a", ra), ("b", rb)):
        q = str(r["qualifier"])
        if q in _BOUND:
            en.append(f"{r['claim_id']} is a bound ('{_BOUND[q][0]}'), not an exact value, so the ratio is approximate.")
            zh.append(f"论断{ab}是一个界限（“{_BOUND[q][1]}”），不是精确值，所以比值只是近似。")
    for ab, r in (("a", ra), ("b", rb)):
        tr = str(r["traceability"])
        if tr in ("unsourced", "anonymous_case"):
            en.append(f"{r['claim_id']} names no source ({TRACEABILITY_LABELS[tr][0]}): treat it as unverified.")
            zh.append(f"论断{ab}没有出处（{TRACEABILITY_LABELS[tr][1]}），应视为未经核实。")
        elif tr == "named_source" and str(r["source_type"]) == "vendor_blog":
            en.append(f"{r['claim_id']} names a source but gives no link or page, so it cannot be checked as given.")
            zh.append(f"论断{ab}虽点名出处，但无链接和页码，按原文无法核对。")
    for ab, r in (("a", ra), ("b", rb)):
        if str(r["source_type"]) == "vendor_blog":
            en.append(f"{r['claim_id']} comes from a vendor blog (low evidential weight).")
            zh.append(f"论断{ab}出自厂商博客（证据分量低）。")
        if bool(r["promotional"]):
            en.append(f"{r['claim_id']} promotes the publisher's own product (conflict of interest).")
            zh.append(f"论断{ab}在推销发布者自己的产品（存在利益冲突）。")
    return ClaimComparison(ra, rb, va / vb, va - vb, en, zh)


def ladder(source: str | None = "000") -> pd.DataFrame:
    """The SRDI -> little giant -> single champion ladder with its counts.

    ``source="000"`` (default) gives one row per tier from the peer-reviewed paper; ``None`` keeps
    every count statement (the vendor blog's rounded little-giant count too).

    >>> from casekit import landscape
    >>> landscape.ladder()["count"].tolist()
    [98000, 12668, 1187]
    """
    df, attrs = _load("srdi_ladder")
    if source is not None:
        have = sorted(df["source"].astype(str).unique())
        if source not in have:
            raise CasekitError(i18n.t(f"The ladder has no counts from {short(source, 40)}. Sources with counts: "
                                      f"{', '.join(have)}; use one of them, or None for all.",
                                      f"阶梯中没有来自 {short(source, 40)} 的数量。有数量的来源：{', '.join(have)}；"
                                      "请用其中之一，或用 None 表示全部。"))
        df = df[df["source"].astype(str) == source]
    return _done(df.sort_values(["order", "source"], kind="stable"), attrs)


def mechanisms(logic: str | None = None, dimension: str | None = None) -> pd.DataFrame:
    """Source 001's eight co-innovation mechanisms, optionally for one enabling logic or SRDI dimension.

    >>> from casekit import landscape
    >>> landscape.mechanisms(dimension="refined")["mechanism"].astype(str).tolist()
    ['data_element_sharing', 'infrastructure_sharing']
    """
    df, attrs = _load("co_innovation_mechanisms")
    if logic is not None:
        _as_list(logic, df["logic"].cat.categories, "logic")
        df = df[df["logic"].astype(str) == logic]
    if dimension is not None:
        _as_list(dimension, df["srdi_dimension"].cat.categories, "SRDI dimension")
        df = df[df["srdi_dimension"].astype(str) == dimension]
    return _done(df.sort_values(["logic_order", "mechanism_order"]), attrs)


def mechanisms_of_firm(firm: str) -> pd.DataFrame:
    """The mechanisms for which source 001 cites ``firm`` (an id such as ``xcmg``) as an example.

    >>> from casekit import landscape
    >>> landscape.mechanisms_of_firm("xcmg")["mechanism"].astype(str).tolist()
    ['collaborative_project_development', 'data_element_sharing']
    """
    df = mechanisms()
    attrs, df.attrs = df.attrs, {}
    firms = df["example_firm_ids"].str.split(";")
    known = sorted({f for fs in firms for f in fs if f})
    if firm not in known:
        raise CasekitError(i18n.t(f"Source 001 cites no firm {short(firm, 40)}. Use one of the firm ids it cites: {', '.join(known)}.",
                                  f"文献 001 没有举到企业 {short(firm, 40)}。请用它举到的企业编号之一：{'、'.join(known)}。"))
    return _done(df[firms.apply(lambda fs: firm in fs)], attrs)


def dilemma_paths() -> pd.DataFrame:
    """Source 001's three dilemmas, each with the implementation path that answers it, in order."""
    df, attrs = _load("co_innovation_dilemmas")
    return _done(df.sort_values("order"), attrs)


def course_links(to_unit: str | int | None = None) -> pd.DataFrame:
    """Links from the SRDI landscape (unit 1) to the later units: all, or those into one of them.

    ``to_unit`` is a later unit's name (``"keda_zhongtu"``) or number (2–4). Earlier casekit
    versions numbered the units 0–3; a number whose meaning changed (2, 3) gives a warning that says
    which unit it is, and the name gives none.
    """
    df, attrs = _load("course_map")
    if to_unit is not None:
        later = [u for u in units.unit_names() if u in set(df["to_unit"].astype(str))]
        try:
            name = units.find_unit(to_unit)
        except CasekitError:
            name = None
        if name not in later:
            listing = ", ".join(f"{units.unit_number(u)} {u}" for u in later)
            raise CasekitError(i18n.t(
                f"Give to_unit as a later unit's name or number: {listing}; not {short(to_unit, 40)}. "
                "Units are numbered as their notebook files (01–04); earlier casekit versions numbered them 0–3.",
                f"to_unit 请给出后续单元的名称或编号：{listing}；而不是 {short(to_unit, 40)}。"
                "单元编号与笔记本文件 01–04 一致（casekit 早期版本编为 0–3）。"))
        note = units.renumbering_note(to_unit)
        if note:
            warnings.warn(note, UserWarning, stacklevel=3)   # past the boundary wrapper, to the caller
        df = df[df["to_unit"] == name]
    return _done(df.sort_values("order"), attrs)


from ._guard import protect as _protect  # noqa: E402

_protect(globals(), __all__)
