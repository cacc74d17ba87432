"""Diagrams and plots for unit 2, drawn from the data in the current language.

* :func:`framework` — source 000 Figure 1 (research framework)
* :func:`data_structure` — Figure 2 (first-order concepts → second-order themes → aggregate constructs)
* :func:`process_model` — Figures 3 and 4 (each firm's three stages), or any case / alternative
* :func:`theory_model` — Figure 5 (business model → mode → process → capabilities)
* :func:`compare` — actual vs alternative side by side, changes and lost capabilities highlighted
* :func:`timeline` — both firms 1996–2022 with stage bands and key events (matplotlib)

Save any of them for slides with ``casekit.save(obj, "name.svg")`` (or ``.png``).

>>> from casekit import collaboration_diagrams as cd
>>> "技术创业能力" in cd.process_model("keda", lang="zh").source
True
"""
from __future__ import annotations

from typing import Any

import graphviz

from . import collaboration as co
from .datasets import bare, load_dataset
from .diagrams import digraph, pick, two_forms, wrap
from .errors import CasekitError
from .i18n import get_language, set_language, t
from .plotting import use_cjk_fonts

__all__ = ["framework", "data_structure", "process_model", "theory_model", "compare", "timeline", "COLORS"]

COLORS = {"rd": "#dbe8fb", "marketing": "#fde9d4", "interaction": "#e6f4e6", "capability": "#efe4f7",
          "changed": "#d62728", "lost": "#bbbbbb", "formed": "#2ca02c", "at_risk": "#ff9f1c"}


class _lang:
    """Temporarily draw in a given language."""

    def __init__(self, lang: str | None):
        self.lang, self.old = lang, get_language()

    def __enter__(self):
        if self.lang:
            set_language(self.lang)

    def __exit__(self, *exc):
        if self.lang:
            set_language(self.old)


def _esc(s: Any) -> str:
    return str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@two_forms
def framework(lang: str | None = None) -> graphviz.Digraph:
    """Source 000 Figure 1: R&D and marketing, two business-model-based collaborations, ③ capability."""
    with _lang(lang):
        # the phone's form: top to bottom, labels wrapped short, edge labels as large as nodes' text
        g = digraph("framework", rankdir=pick("LR", "TB"), **pick({}, {"nodesep": "0.15", "ranksep": "0.3"}))
        if pick(False, True):
            g.attr("edge", fontsize="12")
        w = pick(40, 14)
        g.node("rd", t("R&D", "研发"), fillcolor=COLORS["rd"])
        g.node("mk", t("Marketing", "营销"), fillcolor=COLORS["marketing"])
        g.node("p", wrap(t("① collaboration based on a\nproduct-innovation business", "① 基于产品创新型业务的协同"), w),
               shape="box")
        g.node("c", wrap(t("② collaboration based on a\ncustomer-relationship business", "② 基于客户关系型业务的协同"), w),
               shape="box")
        g.node("cap", wrap(t("③ collaboration raises\nindependent-innovation capability", "③ 协同提升自主创新能力"), pick(40, 20)),
               fillcolor=COLORS["capability"])
        g.edge("rd", "p", wrap(t("from R&D to marketing", "从研发到营销"), pick(40, 10)))
        g.edge("mk", "c", wrap(t("from marketing to R&D", "从营销到研发"), pick(40, 10)))
        g.edge("p", "cap", t("forms", "形成"))
        g.edge("c", "cap", t("forms", "形成"))
        g.edge("rd", "mk", dir="both", style="dashed", constraint="false")
        g.attr(label=wrap(t("Source 000, Figure 1 (research framework)", "文献000 图1 研究框架"), pick(80, 30)), labelloc="b")
        return g


@two_forms
def data_structure(firm: str | None = None, lang: str | None = None) -> graphviz.Digraph:
    """Source 000 Figure 2 from the ``evidence`` data: concepts → themes → aggregate constructs."""
    with _lang(lang):
        ev = bare(load_dataset("evidence"))   # read only: no provenance copied into each group and row
        firms = bare(load_dataset("firms")).set_index("firm")
        if firm is not None:
            co.actual_case(firm)  # friendly error for an unknown firm
            ev = ev[ev.firm == firm]
        zh = get_language() == "zh"
        g = digraph("data_structure", rankdir="LR", nodesep="0.08", ranksep=pick("0.5", "0.15"))
        # the phone's form: the same three columns, labels wrapped short and a point larger
        g.attr("node", fontsize=pick("10", "11"), margin=pick("0.05,0.02", "0.03,0.02"), height="0.2")
        w = pick(None, 10 if zh else 9)
        short = (lambda x: wrap(x, w)) if w else (lambda x: x)
        drawn: set = set()
        for f, part in ev.groupby("firm", observed=True, sort=False):
            mode = str(firms.loc[f, "collaboration_mode"])
            with g.subgraph(name=f"cluster_{f}") as sg:
                head = f"{firms.loc[f, 'name_zh' if zh else 'name_en']}: {co.term(mode)}"
                sg.attr(label=wrap(head, 30) if w else head, style="rounded", margin=pick("8", "3"),
                        color="#8899bb")
                for r in part.itertuples():
                    cid, tid, aid = f"{f}_{r.concept}", f"{f}_t_{r.construct_en}", f"{f}_a_{r.aggregate_en}"
                    fill = COLORS.get(r.dimension, "#f4f6fb")
                    sg.node(cid, short(r.concept_zh if zh else r.concept_en), fillcolor="white")
                    sg.node(tid, short(r.construct_zh if zh else r.construct_en), fillcolor=fill)
                    sg.node(aid, short(r.aggregate_zh if zh else r.aggregate_en), fillcolor=COLORS["capability"]
                            if r.dimension == "capability" else "#e8ecf5", fontsize=pick("11", "12"))
                    for edge in ((cid, tid), (tid, aid)):
                        if edge not in drawn:   # one arrow per link, however many items share it
                            drawn.add(edge)
                            g.edge(*edge)
        title = t("Source 000, Figure 2 (data structure): first-order concepts → second-order themes → aggregate "
                  "constructs", "文献000 图2 数据结构：一阶概念 → 二阶主题 → 聚合构念")
        g.attr(label=wrap(title, 40) if w else title, labelloc="t")
        return g


def _stage_cluster(g, case: co.Case, prefix: str, outcomes=None, changed: set | None = None, actual_caps=(),
                   width: int = 20, aligned: bool = False, stacked: bool = False):
    """The stages of ``case`` as clusters with their capabilities. ``stacked``: one column, each
    stage below the previous stage's capability (a phone's width holds one stage, not three).
    Returns the ids of the first stage's first node and of the last capability."""
    changed = changed or set()
    prev = top = None
    for i, s in enumerate(case.stages, 1):
        o = outcomes[i - 1] if outcomes else None
        with g.subgraph(name=f"cluster_{prefix}{i}") as sg:
            red = any((i, f) in changed for f in ("stage", "interaction", "rd_activity", "marketing_activity", "intermediary"))
            name = wrap(s.name, width + 8) if stacked else s.name
            sg.attr(label=f"{i}. {name}\n{s.start_year}–{s.end_year}", style="rounded",
                    color=COLORS["changed"] if red or (i, "start_year") in changed or (i, "end_year") in changed else "#8899bb",
                    penwidth="2.5" if red else "1")
            lead = s.lead or "rd"
            first, second = ("rd", "marketing") if lead == "rd" else ("marketing", "rd")
            act = {"rd": s.rd_activity, "marketing": s.marketing_activity}
            top = top or f"{prefix}{i}{first}"
            for side in (first, second):
                ch = (i, f"{side}_activity" if side == "marketing" else "rd_activity") in changed
                sg.node(f"{prefix}{i}{side}", f"{co.term(side)}\n{wrap(case.label(act[side]), width)}", fillcolor=COLORS[side],
                        color=COLORS["changed"] if ch else "#4a5a80", penwidth="2.5" if ch else "1")
            inter = wrap(case.label(s.interaction), width) + (t("\n(via intermediary)", "\n（经中介）") if s.intermediary else "")
            sg.edge(f"{prefix}{i}{first}", f"{prefix}{i}{second}", label=inter,
                    color=COLORS["changed"] if (i, "interaction") in changed else "#4a5a80",
                    dir="forward" if (s.depth or 1) == 1 else "both", penwidth=str(s.depth or 1))
        cap = o.capability if o else co.catalog().capability_for(s.depth or 1, s.lead or "rd")
        status = o.status if o else "formed"
        style = {"formed": ("filled", COLORS["capability"], "#4a5a80"), "at_risk": ("filled,dashed", "#fff3e0", COLORS["at_risk"]),
                 "no_new": ("filled,dotted", "white", "#999999"), "not_formed": ("filled,dashed", "#eeeeee", COLORS["lost"])}[status]
        label = wrap(case.label(cap), width) if cap else "—"
        if o is not None and status != "formed":
            label += f"\n({o.status_label})"
        g.node(f"{prefix}cap{i}", label, shape="box", style=style[0] + ",rounded", fillcolor=style[1], color=style[2],
               fontcolor="#777777" if status == "not_formed" else "black")
        g.edge(f"{prefix}{i}{second}", f"{prefix}cap{i}", t("forms", "形成"), style="dashed" if status == "not_formed" else "solid")
        if prev:
            # aligned: every stage starts in the same column (the progression does not push the next
            # stage a column further), which keeps a left-to-right drawing narrow
            g.edge(prev, f"{prefix}cap{i}", t("progression", "进阶"), color="#7a5aa0",
                   **({"constraint": "false"} if aligned or stacked else {}))
            if stacked:
                g.edge(prev, f"{prefix}{i}{first}", style="invis", weight="20")
        prev = f"{prefix}cap{i}"
    lost = [c for c in actual_caps if outcomes is not None and c not in {o.capability for o in outcomes if o.status in ("formed", "at_risk")}]
    bottom = prev
    for c in lost:
        g.node(f"{prefix}lost_{c}", wrap(t("not formed: ", "未形成：") + case.label(c), width + 8), style="filled,dashed,rounded",
               fillcolor="#f2f2f2", color=COLORS["changed"], fontcolor="#777777")
        if stacked:   # below the last stage, one under another, not beside the first stage
            g.edge(bottom, f"{prefix}lost_{c}", style="invis", weight="20")
            bottom = f"{prefix}lost_{c}"
    return top, bottom


@two_forms
def process_model(case: co.Case | str, lang: str | None = None, evaluation: co.Evaluation | None = None) -> graphviz.Digraph:
    """Source 000 Figure 3 (Keda) or Figure 4 (Zhongtu), or the same drawing for any case."""
    with _lang(lang):
        case = co.actual_case(case) if isinstance(case, str) else case
        if not isinstance(case, co.Case):
            raise CasekitError(t("process_model() draws a case: pass 'keda', 'zhongtu' or a Case, e.g. "
                                 "process_model(actual_case('keda').skip(2)).",
                                 "process_model() 绘制一个案例：请传入 'keda'、'zhongtu' 或 Case，例如 "
                                 "process_model(actual_case('keda').skip(2))。"))
        if evaluation is not None and not isinstance(evaluation, co.Evaluation):
            raise CasekitError(t("evaluation= is what evaluate() returned, or None.",
                                 "evaluation= 应为 evaluate() 的返回值，或 None。"))
        g = digraph(f"process_{case.firm}", rankdir="TB", compound="true", **pick({}, {"nodesep": "0.12"}))
        if pick(False, True):   # the phone's form: labels wrapped short, edge text as large as a node's
            g.attr("edge", fontsize="12")
        _stage_cluster(g, case, "s", evaluation.outcomes if evaluation and evaluation.valid else None,
                       width=pick(20, 14), stacked=pick(False, True))
        fig = {"keda": t("Figure 3", "图3"), "zhongtu": t("Figure 4", "图4")}.get(case.firm) if case.base is None else None
        title = f"{case.name}: {co.term(case.collaboration_mode)}"
        title += t(f" (source 000, {fig})", f"（文献000 {fig}）") if fig else ""
        g.attr(label=wrap(title, pick(200, 30)), labelloc="t")
        return g


@two_forms
def theory_model(lang: str | None = None) -> graphviz.Digraph:
    """Source 000 Figure 5: business model decides mode, mode decides process, which forms capabilities."""
    with _lang(lang):
        zh = get_language() == "zh"
        st = bare(load_dataset("stages")).sort_values(["firm", "order"])   # read only
        firms = bare(load_dataset("firms")).set_index("firm")
        # compact: legible at a laptop's width; the phone's form runs top to bottom, a column per firm
        g = digraph("theory_model", rankdir=pick("LR", "TB"), ranksep=pick("0.35", "0.3"), nodesep=pick("0.25", "0.12"))
        if pick(False, True):
            g.attr("edge", fontsize="12")
        w = pick(40, 14)
        for f, part in st.groupby("firm", observed=True, sort=False):
            bm, mode = str(firms.loc[f, "business_model"]), str(firms.loc[f, "collaboration_mode"])
            lead = str(part.lead.iloc[0])
            other = "marketing" if lead == "rd" else "rd"
            g.node(f"bm_{f}", wrap(co.term(bm), w), fillcolor="#e8ecf5")
            g.node(f"mode_{f}", wrap(co.term(mode), w), fillcolor="#e8ecf5")
            g.node(f"proc_{f}", wrap(f"{co.term(lead)} → {co.term(other)}", w) + "\n" + t("co-evolution", "协同演化"),
                   fillcolor=COLORS[lead])
            # numbered and left-aligned (dot's \l): a wrapped capability still reads as one item
            caps = "".join(f"{i}. " + wrap(c, pick(20, 12)).replace("\n", "\\l    ") + "\\l"
                           for i, c in enumerate(part["capability_zh" if zh else "capability_en"], 1))
            g.node(f"cap_{f}", caps, fillcolor=COLORS["capability"])
            g.edge(f"bm_{f}", f"mode_{f}", t("decides", "决定"))
            g.edge(f"mode_{f}", f"proc_{f}", t("decides", "决定"))
            g.edge(f"proc_{f}", f"cap_{f}", t("forms", "形成"))
        g.node("traits", wrap(t("Niche winners: strong resource constraints,\nno-intermediary collaboration",
                                "“精一赢家”的两个特征：\n资源约束强；研发与营销无中介协同"), pick(44, 24)),
               shape="note", fillcolor="#fffbe6")
        for f in st.firm.unique():
            g.edge("traits", f"mode_{f}", style="dotted", arrowhead="none")
        g.attr(label=wrap(t("Source 000, Figure 5 (theory model): independent-innovation capability raised by "
                            "R&D–marketing collaboration", "文献000 图5 理论模型：研发营销协同如何提升自主创新能力"), pick(64, 30)),
               labelloc="b")
        return g


@two_forms
def compare(evaluation: co.Evaluation, lang: str | None = None) -> graphviz.Digraph:
    """Actual case (top) and alternative (below): changed stages in red, lost capabilities greyed."""
    if not isinstance(evaluation, co.Evaluation) or not isinstance(evaluation.actual, co.Case) \
            or not isinstance(evaluation.case, co.Case):
        what = "an evaluation without a case" if isinstance(evaluation, co.Evaluation) else type(evaluation).__name__
        raise CasekitError(t(f"compare() draws what evaluate() returned for a case, not {what}; e.g. "
                             "compare(evaluate(actual_case('keda').skip(2))).",
                             f"compare() 绘制的是 evaluate() 对某个案例的结果，而不是 {what}；例如 "
                             "compare(evaluate(actual_case('keda').skip(2)))。"))
    with _lang(lang):
        # Left to right, so the actual case sits above the alternative: side by side (top to bottom)
        # the pair is too wide to read at a laptop's notebook width (text would shrink under 10 px).
        # A phone's form: one column, top to bottom: the alternative, then the actual case.
        narrow = pick(False, True)
        g = digraph("compare", rankdir=pick("LR", "TB"), newrank="true", **pick({}, {"nodesep": "0.1"}))
        if narrow:
            g.attr("edge", fontsize="12")
        width, head_w = 12, pick(48, 20)
        actual_eval = co.evaluate(evaluation.actual) if evaluation.actual is not None else None
        changed = {(c.position, c.field) for c in evaluation.changes if c.position}
        with g.subgraph(name="cluster_alt") as b:
            head = wrap(t("Alternative: ", "备选方案：") + evaluation.verdict_label, head_w)
            case_changes = [c for c in evaluation.changes if c.position is None and c.field != "stage_count"]
            if case_changes:   # the field by its label (业务模式), never its id (business_model)
                sep = t(": ", "：")
                head += "\n" + wrap("; ".join(f"{co.term(c.field)}{sep}{co.term(str(c.actual), c.field)} → "
                                              f"{co.term(str(c.alternative), c.field)}" for c in case_changes), head_w)
            b.attr(label=head, style="rounded", color=COLORS["changed"] if evaluation.changes else "#4a5a80")
            alt_end = "invalid"
            if evaluation.valid:
                _top, alt_end = _stage_cluster(b, evaluation.case, "b", evaluation.outcomes, changed,
                                               evaluation.actual_capabilities, width=width, aligned=not narrow,
                                               stacked=narrow)
            else:
                b.node("invalid", "\n".join(wrap(p, head_w) for p in evaluation.problems), shape="note", fillcolor="#fde2e2")
        # dot stacks left-to-right clusters bottom up: the actual case, drawn last, comes out on top
        with g.subgraph(name="cluster_actual") as a:
            a.attr(label=wrap(t("Actual: ", "实际：") + evaluation.actual.name, head_w), style="rounded", color="#4a5a80")
            actual_top, _end = _stage_cluster(a, evaluation.actual, "a", actual_eval.outcomes if actual_eval else None,
                                              width=width, aligned=not narrow, stacked=narrow)
        if narrow and alt_end and actual_top:
            g.edge(alt_end, actual_top, style="invis", weight="20")
        return g


def timeline(lang: str | None = None, ax=None):
    """Both firms 1996–2022: stage bands (years as printed) and key events. Returns the Figure.

    Drawn at a notebook's width (8.6 in, under the 848 px a laptop leaves beside the file browser)
    so it is shown at its own size: no text under 8 pt (10.7 px), the notes wrapped to the width.
    A bare ``cd.timeline()`` shows it once: the figure is returned, not also left to pyplot. In a
    notebook a phone gets the narrow form (3.6 in, stage numbers in the bars, text 9 pt or more).
    """
    with _lang(lang):
        shown_in = get_language()
        fig = _timeline(ax, narrow=False)
        if ax is None:
            fig.narrow = lambda: _in_language(shown_in, _timeline, None, narrow=True)
        return fig


def _in_language(lang: str, draw, *args, **kwargs):
    with _lang(lang):
        return draw(*args, **kwargs)


def _timeline(ax, narrow: bool):
    from .plotting import NARROW_IN, NARROW_PT, new_figure

    use_cjk_fonts()
    zh = get_language() == "zh"
    # read only, so bare: pandas would copy each dataset's provenance into every group and row
    st = bare(load_dataset("stages")).sort_values(["firm", "order"])
    ev = bare(load_dataset("firm_events"))
    firms = bare(load_dataset("firms")).set_index("firm")
    # the narrow form: 3.6 in wide, every text 9 pt (12 px) or more, stage numbers in the bars and
    # the stages spelled out in the notes below
    small = NARROW_PT if narrow else 8
    notes = []
    for firm, part in ev.groupby("firm", observed=True, sort=False):
        prefix = "K" if firm == "keda" else "Z"
        for n, r in enumerate(part.itertuples(), 1):
            when = f"{r.start_year}" if r.precision == "exact" else f"{r.start_year}–{r.end_year}"
            notes.append(f"{prefix}{n} ({when}) {r.event_zh if zh else r.event_en}")
    for firm, part in st.groupby("firm", observed=True, sort=False):
        fname = firms.loc[firm, "name_zh" if zh else "name_en"]
        notes.append(f"{fname}: " + "; ".join(
            f"{r.order} = {r.name_zh if zh else r.name_en} {r.start_year}–{r.end_year} → "
            f"{r.capability_zh if zh else r.capability_en}" for r in part.itertuples()))
    note_pt = NARROW_PT if narrow else 8.5
    note_text = "\n".join(wrap(n, 50 if narrow else 120) for n in notes)
    lines = note_text.count("\n") + 1
    plot_h, notes_h = (2.9 if narrow else 3.4), lines * note_pt * 1.3 / 72 + (0.8 if narrow else 0.75)
    created = ax is None
    if created:
        fig = new_figure((NARROW_IN if narrow else 8.6, plot_h + notes_h + 0.45), narrow=narrow)
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    rows = {"keda": 1, "zhongtu": 0}
    palette = ["#c6dbef", "#9ecae1", "#6baed6"]
    for r in st.itertuples():
        y = rows[r.firm]
        width = r.end_year - r.start_year + 1
        ax.barh(y, width, left=r.start_year, height=0.42, color=palette[r.order - 1], edgecolor="#335", alpha=0.85)
        name = r.name_zh if zh else r.name_en
        cap = r.capability_zh if zh else r.capability_en
        label = f"{r.order}. {wrap(name, 24)}\n{wrap(cap, 24)}" if width >= 10 and not narrow else f"{r.order}"
        ax.text(r.start_year + width / 2, y, label, ha="center", va="center",
                fontsize=small if width >= 10 and not narrow else 9)
    for firm, part in ev.groupby("firm", observed=True, sort=False):
        prefix = "K" if firm == "keda" else "Z"
        seen: dict = {}
        for n, r in enumerate(part.itertuples(), 1):
            exact = r.precision == "exact"
            k = seen[(r.start_year, r.end_year)] = seen.get((r.start_year, r.end_year), -1) + 1
            x = (r.start_year + 0.5 if exact else (r.start_year + r.end_year + 1) / 2) + (1.8 if narrow else 0.9) * k
            y = rows[r.firm] + 0.3 + (0.16 if narrow else 0.13) * ((n - 1) % 2)
            if not exact:
                ax.plot([r.start_year, r.end_year + 1], [y, y], color="#b22", lw=1, alpha=0.6)
            ax.plot([x], [y], marker="v" if exact else "o", color="#b22", ms=5 if narrow else 6)
            ax.text(x, y + 0.06, f"{prefix}{n}", ha="center", va="bottom", fontsize=small, color="#622")
    def row_name(f):   # on a phone: "Keda", "Zhongtu" (the notes below name the firms in full)
        name = firms.loc[f, "name_zh" if zh else "name_en"]
        return (wrap(name, 8) if zh else name.split()[0]) if narrow else wrap(name, 16)

    ax.set_yticks([0, 1], [row_name(f) for f in ("zhongtu", "keda")], fontsize=NARROW_PT if narrow else None)
    ax.set_xlim(1995, 2024)
    ax.set_ylim(-0.4, 1.85 if narrow else 1.75)
    if narrow:
        ax.set_xticks([2000, 2010, 2020])
        ax.tick_params(labelsize=NARROW_PT)
    ax.set_xlabel(wrap(t("year (bars cover first to last year; ▼ dated event, ● placed only within the years shown)",
                         "年份（条形覆盖首年至末年；▼ 有确切年份的事件，● 原文只给出时段的事件）"), 50 if narrow else 110),
                  fontsize=NARROW_PT if narrow else 9)
    ax.set_title(wrap(t("Keda and Zhongtu, 1996–2022: stages and key events (source 000)",
                        "科达与中涂1996—2022：阶段与关键事件（文献000）"), 44 if narrow else 120),
                 fontsize=10 if narrow else 11)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if created:
        height = fig.get_figheight()
        fig.text(0.02 if narrow else 0.015, 0.012, note_text, fontsize=note_pt, va="bottom", ha="left", linespacing=1.3)
        title_in = 0.55 if narrow else 0.4
        fig.subplots_adjust(left=0.2 if narrow else 0.17, right=0.97 if narrow else 0.98, top=1 - title_in / height,
                            bottom=(notes_h + 0.05) / height)
        fig.fits_canvas = True   # laid out by hand: shown at its own size, not cropped (casekit.plotting._figure_svg)
    return fig


from ._guard import protect as _protect  # noqa: E402

_protect(globals(), __all__)
