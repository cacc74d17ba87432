"""Unit 3 diagrams: the path taxonomy, the Qingdao cluster, the adoption matrix and the
"introduce → lag → re-introduce → lag again" trap. Every label comes from the data in the current
language (``casekit.set_language``); show graphs with ``casekit.diagrams.show(g)`` and save any
of them for slides with ``casekit.save(obj, "file.svg")``.

>>> import casekit
>>> from casekit import six_paths_diagrams as d
>>> g = d.path_taxonomy()
>>> "Original R&D" in g.source
True
>>> _ = casekit.set_language("zh"); "原始创新" in d.path_taxonomy().source
True
>>> casekit.set_language("en")
'en'
"""
from __future__ import annotations

import graphviz

from . import i18n
from .datasets import bare
from .diagrams import digraph, pick, two_forms, wrap
from .plotting import use_cjk_fonts
from .six_paths import PATHS, TRAP_STEPS, _check_path, adoption_matrix, cluster_actors, paths

__all__ = ["path_taxonomy", "cluster_network", "adoption_chart", "trap_loop", "USED_COLOR", "MISSING_COLOR"]

USED_COLOR = "#d8ecd2"      # paths with a Qingdao example
MISSING_COLOR = "#eeeeee"   # no Qingdao example (§4); §5: lacking in China's clusters in general

_ORIGIN = {
    "internal": ("Own strength", "依靠自身"),
    "domestic": ("Domestic cooperation", "国内合作"),
    "foreign": ("Foreign technology", "国外技术"),
}


def _lang() -> str:
    return i18n.get_language()


@two_forms
def path_taxonomy(highlight: str | None = None) -> graphviz.Digraph:
    """The six paths grouped by where the technology comes from (004 §3), with the basis of each;
    green: used in Qingdao (§4); grey dashed: no Qingdao example, and one of the three paths §5 says
    China's large-firm clusters in general lack. ``highlight`` outlines one path."""
    if highlight is not None:
        _check_path(highlight)        # a wrong name used to be ignored without a word
    L = _lang()
    # The phone's form: two columns, not three (the root sits above the origins), labels wrapped short.
    narrow = pick(False, True)
    g = digraph("path_taxonomy", rankdir="LR", **pick({}, {"ranksep": "0.3", "nodesep": "0.12"}))
    root = i18n.t("Independent innovation of core technology\n(six paths, 004 §3)", "核心技术自主创新\n（六条路径，004 第3节）")
    g.node("root", wrap(root, 14) if narrow else root, shape="box", fillcolor="#dfe6f5")
    df = bare(paths())
    for origin, (en, zh) in _ORIGIN.items():
        g.node(f"o_{origin}", wrap(i18n.t(en, zh), pick(40, 12)), shape="box", style="filled", fillcolor="#f4f6fb")
        g.edge("root", f"o_{origin}")
    if narrow:
        g.body.append("\t{rank=same; root; " + "; ".join(f"o_{o}" for o in _ORIGIN) + "}")
    for r in df.itertuples():
        used = bool(r.used_in_qingdao)
        tag = i18n.t("used in Qingdao", "青岛已采用") if used else i18n.t("§5: China's clusters\ngenerally lack it", "第5节：我国集群\n普遍缺乏")
        label = f"{r.order}. {getattr(r, 'short_' + L)}\n{getattr(r, 'basis_' + L)}\n[{tag}]"
        if narrow:
            label = "\n".join(wrap(part, 18) for part in (f"{r.order}. {getattr(r, 'short_' + L)}",
                                                          getattr(r, "basis_" + L), f"[{tag.replace(chr(10), '')}]"))
        attrs = {"fillcolor": USED_COLOR if used else MISSING_COLOR,
                 "style": "rounded,filled" if used else "rounded,filled,dashed"}
        if highlight == r.path:
            attrs["penwidth"] = "3"
            attrs["color"] = "#c0392b"
        g.node(r.path, label, **attrs)
        g.edge(f"o_{r.technology_origin}", r.path)
    return g


@two_forms
def cluster_network() -> graphviz.Digraph:
    """The Qingdao appliance cluster (004 §4): three core groups, over a thousand supplier SMEs,
    units and predecessor, and the foreign firms linked to them, edges labelled by path."""
    L = _lang()
    narrow = pick(False, True)   # the phone's form: labels wrapped short, edge text as large as a node's
    g = digraph("qingdao_cluster", rankdir="LR", **pick({}, {"ranksep": "0.3", "nodesep": "0.12"}))
    if narrow:
        g.attr("edge", fontsize="12")
    w, lw = pick(18, 10), pick(16, 8)
    df = bare(cluster_actors())   # read only (bare: pandas copies no provenance into each row)
    names = {r.firm: getattr(r, "name_" + L) for r in df.itertuples()}
    short = {r.path: getattr(r, "short_" + L) for r in bare(paths()).itertuples()}
    rel = {"supplies": ("supplies", "配套"), "predecessor_of": ("became", "发展为"),
           "unit_of": ("unit of", "下属"), "technology_source": ("technology", "技术来源"),
           "alliance_partner": ("alliance", "联盟")}
    with g.subgraph(name="cluster_qingdao") as c:
        c.attr(label=i18n.t("Qingdao household-appliance cluster", "青岛家电大企业集群"), style="rounded",
               color="#4a5a80", labelloc="b")   # below: edge labels run along the top of the box
        for r in df.itertuples():
            if r.kind == "foreign_partner":
                continue
            fill = {"core_group": "#ffd8a8", "supplier_group": "#fff3bf"}.get(r.kind, "#f4f6fb")
            c.node(r.firm, wrap(names[r.firm], w), fillcolor=fill,
                   penwidth="2" if r.kind == "core_group" else "1")
    with g.subgraph(name="cluster_abroad") as c:
        c.attr(label=i18n.t("Foreign firms", "国外企业"), style="rounded,dashed", color="#888888")
        for r in df.itertuples():
            if r.kind == "foreign_partner":
                c.node(r.firm, f"{wrap(names[r.firm], w)}\n({getattr(r, 'country_' + L)})", fillcolor="#e7f5ff")
    for r in df.itertuples():
        for target in [t for t in str(r.linked_to).split(";") if t]:
            en, zh = rel[str(r.relation)]
            label = i18n.t(en, zh)
            if r.path:
                label += f"\n{wrap(short[r.path], lw)}"
            if r.relation == "predecessor_of":
                g.edge(r.firm, target, label=label)
            elif r.relation == "supplies":
                g.edge(r.firm, target, label=label, style="dashed")
            elif r.relation == "unit_of":
                g.edge(target, r.firm, label=label, arrowhead="none")
            else:
                g.edge(r.firm, target, label=label)
    return g


def trap_loop() -> graphviz.Digraph:
    """004 §3.5: product alliances that traded market for technology fell into the loop
    introduce → lag → re-introduce → lag again; a technology alliance aimed at new technology and
    standards breaks out of it towards core capability of one's own."""
    L = _lang()
    g = digraph("introduction_trap", rankdir="TB")
    g.node("entry", i18n.t("Product alliances since the 1980s:\n'market for technology'\n(introduction stressed, own innovation neglected)",
                           "20世纪80年代起的产品联盟：\n“以市场换技术”\n（重引进、轻自主创新）"),
           fillcolor="#fff3bf")
    ids = [s[0] for s in TRAP_STEPS]
    for sid, en, zh in TRAP_STEPS:
        g.node(sid, i18n.t(en, zh), shape="ellipse", fillcolor="#ffe3e3")
    g.edge("entry", ids[0])
    for a, b in zip(ids, ids[1:] + ids[:1]):
        g.edge(a, b, color="#c0392b", penwidth="2")
    name = paths().set_index("path").loc["transnational_alliance", "short_" + L]
    g.node("alliance", i18n.t(f"{name}:\njoint R&D, shared technology,\nnew technology and standards",
                              f"{name}：\n共同研发、技术共享，\n研究新技术、制定新标准"),
           fillcolor=USED_COLOR, penwidth="2")
    g.node("own_core", i18n.t("Accumulated core capability\nand own core technology",
                              "核心技术能力积累\n与自有核心技术"), fillcolor=USED_COLOR)
    g.edge("lag_again", "alliance", label=i18n.t("break out (§3.5)", "跳出怪圈（3.5节）"), style="bold",
           color="#2b8a3e")
    g.edge("alliance", "own_core", color="#2b8a3e")
    return g


def adoption_chart(ax=None):
    """Firm × path matrix of the Qingdao examples with their years (matplotlib figure).

    ``~1989`` is derived from "20 years ago"; ``≤2009`` means undated, reported by the time of
    writing. Aucma's row is empty: the source gives no example for it. In a notebook a phone gets
    the narrow form: the same matrix turned (a row per path), text 9 pt or more.
    """
    fig = _adoption_chart(ax, narrow=False)
    if ax is None:
        lang = _lang()

        def narrow():
            old = _lang()
            i18n.set_language(lang)
            try:
                return _adoption_chart(None, narrow=True)
            finally:
                i18n.set_language(old)

        fig.narrow = narrow
    return fig


def _adoption_chart(ax, narrow: bool):
    import numpy as np

    from .plotting import NARROW_IN, NARROW_PT, new_figure

    use_cjk_fonts()
    L = _lang()
    years = adoption_matrix("years")
    counts = adoption_matrix("count")
    p = bare(paths()).set_index("path")
    firm_names = {"haier": ("Haier", "海尔"), "hisense": ("Hisense", "海信"), "aucma": ("Aucma", "澳柯玛")}
    created = ax is None
    if created:   # the width of a laptop's notebook (848 px): shown at its own size, text unshrunk
        fig = new_figure((NARROW_IN, 4.6) if narrow else (8.6, 3.6), narrow=narrow)
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    path_labels = [p.loc[x, "short_" + L] for x in PATHS]
    firm_labels = [i18n.t(*firm_names[f]) for f in years.index]
    grid = np.minimum(counts.to_numpy(dtype=float), 1)
    if narrow:   # a row per path, a column per firm: six rows fit a phone's width, six columns do not
        ax.imshow(grid.T, cmap="Greens", vmin=0, vmax=1.6, aspect="auto")
        ax.set_yticks(range(len(PATHS)))
        ax.set_yticklabels([wrap(x.replace("–", "– "), 14).replace("– ", "–") for x in path_labels], fontsize=NARROW_PT)
        ax.set_xticks(range(len(years.index)))
        ax.set_xticklabels(firm_labels, fontsize=NARROW_PT)
        ax.xaxis.tick_top()
    else:
        ax.imshow(grid, cmap="Greens", vmin=0, vmax=1.6, aspect="auto")
        ax.set_xticks(range(len(PATHS)))
        ax.set_xticklabels(path_labels, rotation=20, ha="right")
        ax.set_yticks(range(len(years.index)))
        ax.set_yticklabels(firm_labels)
    for i, firm in enumerate(years.index):
        for j, path in enumerate(PATHS):
            text = years.loc[firm, path] or "–"
            if narrow:   # one year a line: three firms' columns share 3.6 in
                text = text.replace(", ", "\n")
            ax.text(*((i, j) if narrow else (j, i)), text, ha="center", va="center", fontsize=NARROW_PT if narrow else 10)
    for j, path in enumerate(PATHS):
        if not bool(p.loc[path, "used_in_qingdao"]):
            (ax.axhspan if narrow else ax.axvspan)(j - 0.5, j + 0.5, color="#999999", alpha=0.15, lw=0)
    title = i18n.t("Qingdao cluster: paths adopted, with years (004 §4)\ngrey: paths §5 says China's clusters generally lack",
                   "青岛集群：各路径的采用及年份（004 第4节）\n灰色：第5节所说我国集群普遍缺乏的路径")
    if narrow:
        ax.set_title("\n".join(wrap(line, 38) for line in title.split("\n")), fontsize=10, pad=26)
    else:
        ax.set_title(title, fontsize=11)
    fig.tight_layout()
    return fig


from ._guard import protect as _protect  # noqa: E402

_protect(globals(), __all__)
