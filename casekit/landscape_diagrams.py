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
from ._guard import short
from .diagrams import digraph
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
    return "\n".join(textwrap.wrap(text, width=width, break_long_words=False)) or text


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
    g = digraph("co_innovation", rankdir="LR", nodesep="0.25", ranksep="0.6")
    g.attr(label=i18n.t("Co-innovation and SRDI development (001 §3)", "融通创新赋能专精特新（001 第三节）"), labelloc="t")
    g.node("root", i18n.t("Co-innovation\n(large + small firms)", "融通创新\n（大中小企业）"), shape="ellipse", fillcolor="#e8eaf6")
    for logic, rows in m.groupby("logic", observed=True, sort=True):
        first = rows.to_dict("records")[0]
        lid = f"logic_{logic}"
        fill = HIGHLIGHT if highlight == logic else DIMENSION_COLOURS[str(first["srdi_dimension"])]
        g.node(lid, _wrap(i18n.label(first, "logic_name"), 20), fillcolor=fill, penwidth="2")
        g.edge("root", lid)
        did = f"dim_{first['srdi_dimension']}"
        g.node(did, f"{i18n.label(first, 'dimension_name')}\n{_wrap(i18n.label(first, 'outcome'), 20)}",
               shape="hexagon", fillcolor=DIMENSION_COLOURS[str(first["srdi_dimension"])])
        for r in rows.to_dict("records"):
            mid = f"mech_{r['mechanism']}"
            text = _wrap(i18n.label(r, "mechanism_name"), 22)
            firms = i18n.label(r, "example_firms").replace(";", ", ")
            if show_firms:
                text += "\n" + (_wrap(i18n.t("e.g. ", "例：") + firms, 26) if firms else i18n.t("(no firm named)", "（未举企业）"))
            fill = HIGHLIGHT if highlight in (r["mechanism"], logic) else "#ffffff"
            g.node(mid, text, fillcolor=fill)
            g.edge(lid, mid)
            g.edge(mid, did, style="dashed", arrowhead="vee")
    return g


def dilemma_diagram() -> graphviz.Digraph:
    """Source 001's three dilemmas (§4), each answered by its implementation path (§5)."""
    d = landscape.dilemma_paths()
    d.attrs = {}  # pandas deep-copies attrs on every slice; the builders only read
    g = digraph("dilemmas", rankdir="LR")
    g.attr(label=i18n.t("Dilemmas of co-innovation and the paths that answer them (001 §4-5)",
                        "融通创新的困境与实现路径（001 第四、五节）"), labelloc="t")
    with g.subgraph(name="cluster_d") as c:
        c.attr(label=i18n.t("Dilemmas", "现实困境"), style="dashed", color="#c8453c")
        for r in d.to_dict("records"):
            c.node(f"d_{r['dilemma']}", f"{r['order']}. {_wrap(i18n.label(r, 'dilemma_name'), 22)}", fillcolor="#fbe3e1")
    with g.subgraph(name="cluster_p") as c:
        c.attr(label=i18n.t("Implementation paths", "实现路径"), style="dashed", color="#2f6f9f")
        for r in d.to_dict("records"):
            c.node(f"p_{r['path']}", f"{r['order']}. {_wrap(i18n.label(r, 'path_name'), 22)}", fillcolor="#dbe9f6")
    for r in d.to_dict("records"):
        g.edge(f"d_{r['dilemma']}", f"p_{r['path']}", label=i18n.t("answered by", "对应"))
    return g


def ladder_diagram(all_sources: bool = True) -> graphviz.Digraph:
    """The SRDI SME -> little giant -> single champion ladder, with counts and dates.

    With ``all_sources`` the vendor blog's rounded count is shown beside the paper's, dashed.
    """
    lad = landscape.ladder(None if all_sources else "000")
    lad.attrs = {}  # pandas deep-copies attrs on every slice; the builders only read
    g = digraph("ladder", rankdir="BT")
    g.attr(label=i18n.t("The SRDI ladder (counts as stated, with dates)", "专精特新梯度（来源所述数量及时间）"), labelloc="t")
    prev = None
    for level, rows in lad.groupby("level", observed=True, sort=True):
        main = rows[rows["source"].astype(str) == "000"].to_dict("records")[0]
        q = "+" if main["count_qualifier"] == "more_than" else ""
        g.node(str(level), f"{i18n.label(main, 'name')}\n{int(main['count']):,}{q}  ({main['as_of']}, {main['source']})",
               fillcolor="#dbe9f6" if level != "single_champion" else "#f9e1b5", penwidth="2")
        if prev is not None:
            g.edge(prev, str(level))
        for other in rows[rows["source"].astype(str) != "000"].to_dict("records"):
            oid = f"{level}_{other['source']}"
            q = "+" if other["count_qualifier"] == "more_than" else ""
            g.node(oid, i18n.t("vendor blog: ", "厂商博客：") + f"{int(other['count']):,}{q} ({other['as_of']}, {other['source']})",
                   style="dashed,rounded", fillcolor="white", fontsize="11")
            g.edge(oid, str(level), style="dotted", arrowhead="none")
        prev = str(level)
    return g


def course_map_diagram(to_unit: str | int | None = None) -> graphviz.Digraph:
    """How the SRDI landscape's ideas (unit 1) lead into the later units; ``to_unit`` (a name or 2–4) keeps one."""
    links = landscape.course_links(to_unit)
    links.attrs = {}  # pandas deep-copies attrs on every slice; the builders only read
    order = units.unit_names()
    here = str(links["from_unit"].iloc[0]) if len(links) else order[0]
    later = [u for u in order if u in set(links["to_unit"].astype(str))]
    colours = dict(zip(order, ["#e8eaf6", "#dbe9f6", "#e3f1df", "#fbeed5"]))
    numbers = [units.unit_number(u) for u in order if u != here]
    g = digraph("course_map", rankdir="LR", ranksep="1.0")
    g.attr(label=i18n.t(f"Course map: from unit {units.unit_number(here)} to units {numbers[0]}–{numbers[-1]}",
                        f"课程地图：从第 {units.unit_number(here)} 单元到第 {numbers[0]}–{numbers[-1]} 单元"), labelloc="t")
    for unit in [here] + later:
        with g.subgraph(name=f"cluster_{unit}") as c:
            c.attr(label=units.unit_heading(unit), style="rounded,filled", fillcolor=colours.get(unit, "#f4f6fb"),
                   color="#4a5a80")
            if unit == here:
                seen = {}
                for r in links.to_dict("records"):
                    key = i18n.label(r, "from_topic")
                    if key not in seen:
                        seen[key] = f"f{len(seen)}"
                        c.node(seen[key], _wrap(key, 24), fillcolor="white")
            else:
                for r in links[links["to_unit"].astype(str) == unit].to_dict("records"):
                    c.node(f"t_{r['link']}", _wrap(i18n.label(r, "to_topic"), 24), fillcolor="white")
    seen = {}
    for r in links.to_dict("records"):
        key = i18n.label(r, "from_topic")
        seen.setdefault(key, f"f{len(seen)}")
        g.edge(seen[key], f"t_{r['link']}", tooltip=i18n.label(r, "why"))
    return g


def source_quality_chart(ax=None):
    """Stacked bars: how many claims each source type backs, and how (traceability).

    Returns the matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    use_cjk_fonts()
    summary = landscape.source_quality_summary()
    if ax is None:   # the width of a laptop's notebook (848 px): shown at its own size, text unshrunk
        fig, ax = plt.subplots(figsize=(8.6, 4.2))
    else:
        fig = ax.figure
    labels = [i18n.t(*landscape.SOURCE_TYPE_LABELS[s]) for s in summary.index]
    left = [0] * len(summary)
    for trace in summary.columns:
        vals = summary[trace].tolist()
        ax.barh(labels, vals, left=left, color=TRACE_COLOURS[trace],
                label=i18n.t(*landscape.TRACEABILITY_LABELS[trace]))
        left = [a + b for a, b in zip(left, vals)]
    ax.invert_yaxis()
    ax.set_xlabel(i18n.t("number of numeric claims", "数字论断的条数"))
    ax.set_title(i18n.t("Who backs the numbers? Claims by source type and traceability",
                        "数字靠什么支撑？按来源类型与可追溯性统计的论断"))
    # below the bars, not beside them: beside, it widened the figure past the output area
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, fontsize=9, frameon=False)
    fig.tight_layout()
    return fig


from ._guard import protect as _protect  # noqa: E402

_protect(globals(), __all__)
