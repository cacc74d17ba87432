"""Unit 1 diagrams (graphviz) and the source-quality chart (matplotlib), in the current language.

Every builder reads its content from the datasets and returns a new object; show a diagram with
``casekit.diagrams.show(g)`` and save either kind with ``casekit.save(obj, "file.svg")``.

>>> from casekit import landscape_diagrams as LD
>>> g = LD.co_innovation_diagram()
>>> g.source.count("->") >= 16
True
"""
from __future__ import annotations

import textwrap

import graphviz

from . import i18n, landscape, units
from .datasets import records
from ._guard import short
from .diagrams import digraph, is_narrow, pick, two_forms
from .errors import CasekitError
from .plotting import use_cjk_fonts

__all__ = ["co_innovation_diagram", "dilemma_diagram", "ladder_diagram", "course_map_diagram",
           "source_quality_chart", "DIMENSION_COLOURS", "SOURCE_TYPE_COLOURS"]

DIMENSION_COLOURS = {"specialized": "#dbe9f6", "refined": "#e3f1df", "distinctive": "#fbeed5",
                     "innovative": "#f4dde8"}
SOURCE_TYPE_COLOURS = {"peer_reviewed": "#2f6f9f", "open_access_journal": "#6aa56a", "vendor_blog": "#d9822b"}
TRACE_COLOURS = {"reference_list": "#1b5e20", "own_data": "#4c9a52", "named_source": "#a5c882",
                 "interview": "#e6d37a", "anonymous_case": "#e99a58", "unsourced": "#c8453c"}
HIGHLIGHT = "#ffd54f"


def _wrap(text: str, width: int = 18) -> str:
    # Chinese has no spaces: wrap by characters; English: by words.
    if not text:
        return ""
    if any("\u4e00" <= ch <= "\u9fff" for ch in text):
        return "\n".join(textwrap.wrap(text, width=max(6, width // 2), break_long_words=True)) or text
    if is_narrow():   # a phone's diagram may break "government–industry–…" after a dash too
        lines = textwrap.wrap(text.replace("–", "–\x00 "), width=width, break_long_words=False)
        return "\n".join(line.replace("\x00 ", "").replace("\x00", "") for line in lines) or text
    return "\n".join(textwrap.wrap(text, width=width, break_long_words=False)) or text


@two_forms
def co_innovation_diagram(highlight: str | None = None, show_firms: bool = True) -> graphviz.Digraph:
    """Source 001's argument: co-innovation -> four enabling logics -> eight mechanisms -> the SRDI
    dimension each logic serves, with the firms cited as examples.

    ``highlight`` is a mechanism id (e.g. ``"risk_sharing"``) or a logic id to colour.
    """
    m = landscape.mechanisms()
    m.attrs = {}  # pandas deep-copies attrs on every slice; the builders only read
    valid = set(m["mechanism"].astype(str)) | set(m["logic"].astype(str))
    if highlight is not None and highlight not in valid:
        raise CasekitError(f"Cannot highlight {short(highlight, 40)}. Use a mechanism or logic id: {', '.join(sorted(valid))}.")
    # The phone's form: three columns, not four (co-innovation sits above the logics it feeds), labels
    # wrapped short.
    narrow = pick(False, True)
    g = digraph("co_innovation", rankdir="LR", nodesep=pick("0.25", "0.12"), ranksep=pick("0.6", "0.25"))
    g.attr(label=_wrap(i18n.t("Co-innovation and SRDI development (001 §3)", "融通创新赋能专精特新（001 第三节）"),
                       pick(80, 30)), labelloc="t")
    g.node("root", i18n.t("Co-innovation\n(large + small firms)", "融通创新\n（大中小企业）")
           if not narrow else i18n.t("Co-innovation\n(large +\nsmall firms)", "融通创新\n（大中小\n企业）"),
           shape=pick("ellipse", "box"), fillcolor="#e8eaf6")
    if narrow:
        g.body.append("\t{rank=same; root; " + "; ".join(f"logic_{x}" for x in sorted(m["logic"].astype(str).unique())) + "}")
    for logic, rows in m.groupby("logic", observed=True, sort=True):
        first = records(rows)[0]
        lid = f"logic_{logic}"
        fill = HIGHLIGHT if highlight == logic else DIMENSION_COLOURS[str(first["srdi_dimension"])]
        g.node(lid, _wrap(i18n.label(first, "logic_name"), pick(20, 12)), fillcolor=fill, penwidth="2")
        g.edge("root", lid)
        did = f"dim_{first['srdi_dimension']}"
        g.node(did, f"{i18n.label(first, 'dimension_name')}\n{_wrap(i18n.label(first, 'outcome'), pick(20, 12))}",
               shape=pick("hexagon", "box"), fillcolor=DIMENSION_COLOURS[str(first["srdi_dimension"])])
        for r in records(rows):
            mid = f"mech_{r['mechanism']}"
            text = _wrap(i18n.label(r, "mechanism_name"), pick(22, 14))
            firms = i18n.label(r, "example_firms").replace(";", ", ")
            if show_firms:
                text += "\n" + (_wrap(i18n.t("e.g. ", "例：") + firms, pick(26, 14)) if firms
                                else i18n.t("(no firm named)", "（未举企业）"))
            fill = HIGHLIGHT if highlight in (r["mechanism"], logic) else "#ffffff"
            g.node(mid, text, fillcolor=fill)
            g.edge(lid, mid)
            g.edge(mid, did, style="dashed", arrowhead="vee")
    return g


@two_forms
def dilemma_diagram() -> graphviz.Digraph:
    """Source 001's three dilemmas (§4), each answered by its implementation path (§5)."""
    d = landscape.dilemma_paths()
    d.attrs = {}  # pandas deep-copies attrs on every slice; the builders only read
    g = digraph("dilemmas", rankdir="LR", **pick({}, {"ranksep": "0.3"}))
    if pick(False, True):   # the phone's form: labels wrapped short, the edge text as large as a node's
        g.attr("edge", fontsize="12")
    g.attr(label=_wrap(i18n.t("Dilemmas of co-innovation and the paths that answer them (001 §4-5)",
                              "融通创新的困境与实现路径（001 第四、五节）"), pick(90, 30)), labelloc="t")
    w = pick(22, 12)
    with g.subgraph(name="cluster_d") as c:
        c.attr(label=i18n.t("Dilemmas", "现实困境"), style="dashed", color="#c8453c")
        for r in records(d):
            c.node(f"d_{r['dilemma']}", f"{r['order']}. {_wrap(i18n.label(r, 'dilemma_name'), w)}", fillcolor="#fbe3e1")
    with g.subgraph(name="cluster_p") as c:
        c.attr(label=i18n.t("Implementation paths", "实现路径"), style="dashed", color="#2f6f9f")
        for r in records(d):
            c.node(f"p_{r['path']}", f"{r['order']}. {_wrap(i18n.label(r, 'path_name'), w)}", fillcolor="#dbe9f6")
    for r in records(d):
        g.edge(f"d_{r['dilemma']}", f"p_{r['path']}", label=_wrap(i18n.t("answered by", "对应"), pick(40, 8)))
    return g


@two_forms
def ladder_diagram(all_sources: bool = True) -> graphviz.Digraph:
    """The SRDI SME -> little giant -> single champion ladder, with counts and dates.

    With ``all_sources`` the vendor blog's rounded count is shown beside the paper's, dashed.
    """
    lad = landscape.ladder(None if all_sources else "000")
    lad.attrs = {}  # pandas deep-copies attrs on every slice; the builders only read
    g = digraph("ladder", rankdir="BT", **pick({}, {"nodesep": "0.15"}))
    g.attr(label=_wrap(i18n.t("The SRDI ladder (counts as stated, with dates)", "专精特新梯度（来源所述数量及时间）"),
                       pick(80, 30)), labelloc="t")
    narrow = pick(False, True)   # the phone's form: the date on a line of its own, the blog's notes at 12 pt
    gap = "\n" if narrow else "  "
    prev = None
    for level, rows in lad.groupby("level", observed=True, sort=True):
        main = records(rows[rows["source"].astype(str) == "000"])[0]
        q = "+" if main["count_qualifier"] == "more_than" else ""
        name = _wrap(i18n.label(main, "name"), 14) if narrow else i18n.label(main, "name")
        g.node(str(level), f"{name}\n{int(main['count']):,}{q}{gap}"
                           f"({main['as_of']}, {main['source']})",
               fillcolor="#dbe9f6" if level != "single_champion" else "#f9e1b5", penwidth="2")
        if prev is not None:
            g.edge(prev, str(level))
        for other in records(rows[rows["source"].astype(str) != "000"]):
            oid = f"{level}_{other['source']}"
            q = "+" if other["count_qualifier"] == "more_than" else ""
            g.node(oid, i18n.t("vendor blog: ", "厂商博客：") + gap.replace("  ", "") + f"{int(other['count']):,}{q}"
                   + ("\n" if narrow else " ") + f"({other['as_of']}, {other['source']})",
                   style="dashed,rounded", fillcolor="white", fontsize=pick("11", "12"))
            g.edge(oid, str(level), style="dotted", arrowhead="none")
        prev = str(level)
    return g


@two_forms
def course_map_diagram(to_unit: str | int | None = None) -> graphviz.Digraph:
    """How the SRDI landscape's ideas (unit 1) lead into the later units; ``to_unit`` (a name or 2–4) keeps one."""
    links = landscape.course_links(to_unit)
    links.attrs = {}  # pandas deep-copies attrs on every slice; the builders only read
    order = units.unit_names()
    here = str(links["from_unit"].iloc[0]) if len(links) else order[0]
    later = [u for u in order if u in set(links["to_unit"].astype(str))]
    colours = dict(zip(order, ["#e8eaf6", "#dbe9f6", "#e3f1df", "#fbeed5"]))
    numbers = [units.unit_number(u) for u in order if u != here]
    g = digraph("course_map", rankdir="LR", ranksep=pick("1.0", "0.35"), **pick({}, {"nodesep": "0.12"}))
    g.attr(label=_wrap(i18n.t(f"Course map: from unit {units.unit_number(here)} to units {numbers[0]}–{numbers[-1]}",
                              f"课程地图：从第 {units.unit_number(here)} 单元到第 {numbers[0]}–{numbers[-1]} 单元"),
                       pick(80, 30)), labelloc="t")
    w = pick(24, 13)   # the phone's form: the same two columns, labels wrapped short
    for unit in [here] + later:
        with g.subgraph(name=f"cluster_{unit}") as c:
            c.attr(label=_wrap(units.unit_heading(unit), pick(80, 26)), style="rounded,filled", fillcolor=colours.get(unit, "#f4f6fb"),
                   color="#4a5a80")
            if unit == here:
                seen = {}
                for r in records(links):
                    key = i18n.label(r, "from_topic")
                    if key not in seen:
                        seen[key] = f"f{len(seen)}"
                        c.node(seen[key], _wrap(key, w), fillcolor="white")
            else:
                for r in records(links[links["to_unit"].astype(str) == unit]):
                    c.node(f"t_{r['link']}", _wrap(i18n.label(r, "to_topic"), w), fillcolor="white")
    seen = {}
    for r in records(links):
        key = i18n.label(r, "from_topic")
        seen.setdefault(key, f"f{len(seen)}")
        g.edge(seen[key], f"t_{r['link']}", tooltip=i18n.label(r, "why"))
    return g


def source_quality_chart(ax=None):
    """Stacked bars: how many claims each source type backs, and how (traceability).

    Returns the matplotlib Figure. In a notebook a phone gets the narrow form (3.6 in wide, the
    legend in one column below, text 9 pt or more).
    """
    fig = _source_quality_chart(ax, narrow=False)
    if ax is None:
        lang = i18n.get_language()

        def narrow():
            old = i18n.get_language()
            i18n.set_language(lang)
            try:
                return _source_quality_chart(None, narrow=True)
            finally:
                i18n.set_language(old)

        fig.narrow = narrow
    return fig


def _source_quality_chart(ax, narrow: bool):
    from .plotting import NARROW_IN, NARROW_PT, new_figure

    use_cjk_fonts()
    summary = landscape.source_quality_summary()
    if ax is None:   # the width of a laptop's notebook (848 px): shown at its own size, text unshrunk
        fig = new_figure((NARROW_IN, 4.8) if narrow else (8.6, 4.2), narrow=narrow, pyplot=not narrow)
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    labels = [i18n.t(*landscape.SOURCE_TYPE_LABELS[s]) for s in summary.index]
    if narrow:
        labels = [_wrap(x, 12) for x in labels]
    left = [0] * len(summary)
    for trace in summary.columns:
        vals = summary[trace].tolist()
        ax.barh(labels, vals, left=left, color=TRACE_COLOURS[trace],
                label=i18n.t(*landscape.TRACEABILITY_LABELS[trace]))
        left = [a + b for a, b in zip(left, vals)]
    ax.invert_yaxis()
    ax.set_xlabel(i18n.t("number of numeric claims", "数字论断的条数"), fontsize=NARROW_PT if narrow else None)
    title = i18n.t("Who backs the numbers? Claims by source type and traceability",
                   "数字靠什么支撑？按来源类型与可追溯性统计的论断")
    if narrow:
        ax.set_title(_wrap(title, 40), fontsize=10)
        ax.tick_params(labelsize=NARROW_PT)
        ax.legend(loc="upper left", bbox_to_anchor=(-0.35, -0.16), ncol=1, fontsize=NARROW_PT, frameon=False)
    else:
        ax.set_title(title)
        # below the bars, not beside them: beside, it widened the figure past the output area
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, fontsize=9, frameon=False)
    fig.tight_layout()
    return fig


from ._guard import protect as _protect  # noqa: E402

_protect(globals(), __all__)
