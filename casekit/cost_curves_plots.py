"""Unit 4 pictures: the source's Figure 1 redrawn from the model, the learning curve, and the
knowledge-integration diagram of Figure 2 (source 003 §3.1.1-3.1.2).

Plot functions return small objects that keep their matplotlib artists, so the explorer widget can
move curves and key points with :meth:`CostCurvesPlot.update` instead of drawing a new figure.
Every plot says that its numbers are illustrative. Save for slides with ``casekit.save(plot, path)``.

>>> p = plot_cost_curves()
>>> sorted(p.lines)[:3]
['A0C', 'A0FC', 'A0VC']
>>> p.update(CostScenario(variable_cost_saving=0.3)).key_points.C1 > 20
True
>>> import matplotlib.pyplot as plt; plt.close("all")
"""
from __future__ import annotations

import numpy as np

from .cost_curves import CostScenario, KeyPoints, learning_curve
from .datasets import load_dataset
from .diagrams import digraph, pick, two_forms, wrap
from .errors import CasekitError
from .i18n import get_language, set_language, t
from .plotting import NARROW_IN, NARROW_PT, new_figure, use_cjk_fonts

__all__ = ["CostCurvesPlot", "LearningCurvePlot", "plot_cost_curves", "plot_learning_curve",
           "knowledge_integration_diagram", "CURVE_STYLE"]

# before: grey-blue; after: orange. Fixed dashed, variable dotted, total solid (as Figure 1's six curves).
_FAST_FONT = "DejaVu Sans"
CURVE_STYLE = {
    "A0FC": dict(color="#5b6f95", ls="--", lw=1.4), "A0VC": dict(color="#5b6f95", ls=":", lw=1.6),
    "A0C": dict(color="#2b3f6b", ls="-", lw=2.4), "A1FC": dict(color="#e08a2b", ls="--", lw=1.4),
    "A1VC": dict(color="#e08a2b", ls=":", lw=1.6), "A1C": dict(color="#b54f00", ls="-", lw=2.4),
}
_COMPONENTS = ("A0FC", "A0VC", "A1FC", "A1VC")


def _offset(ax, dx_points: float, dy_points: float):
    """Data coordinates shifted by a few points (what ``annotate(textcoords='offset points')`` does)."""
    from matplotlib.transforms import ScaledTranslation

    return ax.transData + ScaledTranslation(dx_points / 72, dy_points / 72, ax.figure.dpi_scale_trans)


def _check_scenario(scenario) -> CostScenario:
    if scenario is None:
        return CostScenario()
    if not isinstance(scenario, CostScenario):
        raise CasekitError(t(
            f"Expected a CostScenario, got {type(scenario).__name__}. Make one with "
            "casekit.cost_curves.CostScenario(innovation_fixed_cost=500, ...).",
            f"需要 CostScenario，收到的是 {type(scenario).__name__}。请用 "
            "casekit.cost_curves.CostScenario(innovation_fixed_cost=500, ...) 创建。"))
    return scenario


def _in_language(lang: str, draw):
    """``draw()`` with ``lang`` as the display language (the narrow form speaks as the wide one did)."""
    old = get_language()
    set_language(lang)
    try:
        return draw()
    finally:
        set_language(old)


def _check_narrow(narrow) -> bool:
    if not isinstance(narrow, bool):
        raise CasekitError(t(f"narrow must be True or False, not {type(narrow).__name__}.",
                             f"narrow 只能是 True 或 False，而不是 {type(narrow).__name__}。"))
    return narrow


def _curve_label(name: str) -> str:
    kind = {"FC": t("average fixed cost", "平均固定成本"), "VC": t("average variable cost", "平均变动成本"),
            "C": t("average cost", "平均成本")}[name[2:]]
    when = t("before", "创新前") if name[1] == "0" else t("after", "创新后")
    return f"{name}: {kind} ({when})" if get_language() == "en" else f"{name}：{when}{kind}"


class CostCurvesPlot:
    """Figure 1 of source 003, drawn from a :class:`CostScenario`; keeps its artists for updates."""

    def __init__(self, scenario: CostScenario | None = None, ax=None, components: bool = True,
                 y_max: float | None = None, legend_cols: int = 3, narrow: bool = False):
        # narrow: the phone's form (3.6 in wide, legend in one column, text 9 pt or more). A plot
        # that makes its own figure draws that form too when a notebook shows it (fig.narrow).
        self.narrow = _check_narrow(narrow)
        self.legend_cols = 1 if narrow else legend_cols   # 2 where the plot shares a laptop-wide figure

        use_cjk_fonts()
        self.scenario = _check_scenario(scenario)
        self._lang = get_language()
        if ax is None:
            fig = new_figure((NARROW_IN, 5.6) if narrow else (8, 5.8), narrow=narrow, pyplot=not narrow,
                             layout="constrained")
            ax = fig.add_subplot()
            if not narrow:
                fig.narrow = lambda: _in_language(self._lang, lambda: CostCurvesPlot(
                    self.scenario, components=self.components, y_max=self._fixed_ylim, narrow=True).figure)
        self.ax, self.figure = ax, ax.figure
        self.components = components
        self._fixed_ylim = y_max
        self.lines = {}
        for name, style in CURVE_STYLE.items():
            (self.lines[name],) = ax.plot([], [], label=_curve_label(name), **style)
            self.lines[name].set_visible(components or name in ("A0C", "A1C"))
        # key points: markers, drop lines to the output axis, labels; crossover as a vertical band edge
        self.points = {k: ax.plot([], [], "o", color=c, ms=7, zorder=5)[0]
                       for k, c in (("C0", "#2b3f6b"), ("C1", "#b54f00"))}
        self.drops = {k: ax.plot([], [], color=c, lw=0.8, ls="-.", zorder=1)[0]
                      for k, c in (("Q0", "#2b3f6b"), ("Q1", "#b54f00"))}
        # Moving labels are numbers only: language-neutral, in a small Latin font (fast to redraw).
        # Plain Text with an offset transform: much cheaper to redraw than Annotation.
        self.labels = {k: ax.text(0, 0, "", fontsize=10, fontfamily=_FAST_FONT,
                                  transform=_offset(ax, 4, -14 if k[0] == "C" else (6 if k == "Q0" else 18)))
                       for k in ("C0", "C1", "Q0", "Q1")}
        self.crossover_lines = [ax.axvline(np.nan, color="#2e7d32", lw=1.2, ls="--") for _ in range(2)]
        self.crossover_labels = [ax.text(0, 0, "", color="#2e7d32", fontsize=NARROW_PT, rotation=90, va="top",
                                         ha="right", fontfamily=_FAST_FONT) for _ in range(2)]
        # where innovating is cheaper: a thick strip along the output axis (NaN where it is not)
        (self.cheaper_strip,) = ax.plot([], [], color="#2e7d32", alpha=0.45, lw=7, solid_capstyle="butt")
        self.note = ax.text(0.99, 0.98, "", transform=ax.transAxes, ha="right", va="top",
                            fontsize=NARROW_PT if narrow else 8.5, color="#666666")
        ax.grid(alpha=0.25)
        if narrow:
            ax.tick_params(labelsize=NARROW_PT)
        self.update(self.scenario)

    def relabel(self) -> None:
        """Put titles, axis labels and legend in the current language."""
        self._lang = get_language()
        narrow = self.narrow
        for name, line in self.lines.items():
            line.set_label(_curve_label(name))
        title = t("In-firm innovation cluster: cost curves before (0) and after (1) innovating",
                  "企业内技术创新集群：创新前（0）与创新后（1）的成本曲线")
        self.ax.set_title(wrap(title.replace("：", "：\n").replace(": ", ":\n"), 40) if narrow else title,
                          fontsize=10 if narrow else 11)
        self.ax.set_xlabel(t("output q (thousand units per period)", "产量 q（千件/期）"),
                           fontsize=NARROW_PT if narrow else None)
        self.ax.set_ylabel(t("cost per unit (yuan)", "单位成本（元）"), fontsize=NARROW_PT if narrow else None)
        note = t("illustrative numbers; shapes after 003 Figure 1; q×: crossover output",
                 "示意性数字；曲线形状依据 003 图1；q×：交叉产量")
        self.note.set_text(wrap(note, 30) if narrow else note)
        handles = [ln for ln in self.lines.values() if ln.get_visible()]
        self.ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.16 if narrow else -0.13),
                       ncol=self.legend_cols, fontsize=NARROW_PT if narrow else 8.5, frameon=False)

    def update(self, scenario: CostScenario, relabel: bool = True) -> "CostCurvesPlot":
        """Move every curve and key point to ``scenario`` (no new figure, no new axes).

        ``relabel=False`` skips titles and legend (they do not depend on the numbers), which the
        explorer uses to keep a slider move fast.
        """
        sc = _check_scenario(scenario)
        self.scenario = sc
        df = sc.curves()
        q = df["q"].to_numpy()
        for name, line in self.lines.items():
            line.set_data(q, df[name].to_numpy())
        kp = sc.key_points()
        self.key_points = kp
        for key, Q, C in (("0", kp.Q0, kp.C0), ("1", kp.Q1, kp.C1)):
            self.points["C" + key].set_data([Q], [C])
            self.drops["Q" + key].set_data([Q, Q], [0, C])
            self.labels["C" + key].set_text(f"C{key} = {C:.3g}")
            self.labels["C" + key].set_position((Q, C))
            self.labels["Q" + key].set_text(f"Q{key} = {Q:.3g}")
            self.labels["Q" + key].set_position((Q, 0))
        for i, line in enumerate(self.crossover_lines):
            if i < len(kp.crossovers):
                x = kp.crossovers[i]
                line.set_xdata([x, x])
                self.crossover_labels[i].set_text(f"q× = {x:.3g}")
            else:
                line.set_xdata([np.nan, np.nan])
                self.crossover_labels[i].set_text("")
        # y range: room for both minima and the curves near them, not the huge AFC at tiny q
        top = self._fixed_ylim or 1.9 * max(kp.C0, kp.C1, float(df["A0VC"].iloc[-1]) * 0.6)
        self.ax.set_xlim(sc.output_min, sc.output_max)
        self.ax.set_ylim(0, top)
        for i, label in enumerate(self.crossover_labels):
            if i < len(kp.crossovers):
                label.set_position((kp.crossovers[i], top * 0.97))
        cheaper = df["A1C"].to_numpy() < df["A0C"].to_numpy()
        self.cheaper_strip.set_data(q, np.where(cheaper, top * 0.012, np.nan))
        if relabel:
            self.relabel()
        return self


def plot_cost_curves(scenario: CostScenario | None = None, ax=None, components: bool = True) -> CostCurvesPlot:
    """Redraw Figure 1 of source 003 from ``scenario`` (default: the illustrative scenario).

    The six curves (A0FC, A0VC, A0C before; A1FC, A1VC, A1C after), the minima C0 at Q0 and C1 at
    Q1, the crossover output(s) and, along the output axis, a green strip where innovating is
    cheaper. ``components=False`` shows only the two average-cost curves.
    """
    return CostCurvesPlot(scenario, ax=ax, components=components)


class LearningCurvePlot:
    """Unit variable cost after innovating against cumulative output (log-2 axis: one step per doubling)."""

    def __init__(self, scenario: CostScenario | None = None, ax=None, doublings: float = 4, narrow: bool = False):
        self.narrow = _check_narrow(narrow)
        use_cjk_fonts()
        self._lang = get_language()
        if ax is None:
            fig = new_figure((NARROW_IN, 3.8) if narrow else (6, 4), narrow=narrow, pyplot=not narrow,
                             layout="constrained")
            ax = fig.add_subplot()
            if not narrow:
                fig.narrow = lambda: _in_language(self._lang, lambda: LearningCurvePlot(
                    self.scenario, doublings=self.doublings, narrow=True).figure)
        self.ax, self.figure, self.doublings = ax, ax.figure, doublings
        (self.line,) = ax.plot([], [], color="#b54f00", lw=2.2)
        (self.marker,) = ax.plot([], [], "o", color="#b54f00", ms=7)
        (self.base,) = ax.plot([], [], color="#5b6f95", ls=":", lw=1.4)
        self.label = ax.text(0, 0, "", fontsize=NARROW_PT, fontfamily=_FAST_FONT, transform=_offset(ax, 6, 8))
        self.note = ax.text(0.99, 0.98, "", transform=ax.transAxes, ha="right", va="top",
                            fontsize=NARROW_PT if narrow else 8.5, color="#666666")
        if narrow:
            ax.tick_params(labelsize=NARROW_PT)
        ax.set_xscale("log", base=2)
        # Doublings as plain numbers (128, 256, 512 ...), not 2^7: easier to read for a class, and
        # no mathtext to typeset (which was a third of this plot's drawing time).
        from matplotlib.ticker import FuncFormatter, NullFormatter

        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{x:,.0f}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.grid(alpha=0.25, which="both")
        self.update(scenario)

    def update(self, scenario: CostScenario | None, relabel: bool = True) -> "LearningCurvePlot":
        sc = _check_scenario(scenario)
        self.scenario = sc
        lc = learning_curve(sc, doublings=self.doublings)
        self.line.set_data(lc["cumulative_output"], lc["unit_variable_cost"])
        n0 = sc.reference_cumulative_output
        x_hi = n0 * 2 ** self.doublings
        self.base.set_data([n0, x_hi], [sc.variable_cost_before] * 2)
        self.marker.set_data([sc.cumulative_output], [sc.base_variable_cost_after])
        self.label.set_position((sc.cumulative_output, sc.base_variable_cost_after))
        self.label.set_text(f"{sc.learning_rate:.0%}, N = {sc.cumulative_output:.4g}: v1 = {sc.base_variable_cost_after:.3g}")
        self.ax.set_xlim(n0, max(x_hi, sc.cumulative_output * 1.1))
        self.ax.set_ylim(0, sc.variable_cost_before * 1.1)
        if relabel:
            self.relabel()
        return self

    def relabel(self) -> None:
        self._lang = get_language()
        narrow = self.narrow
        self.line.set_label(t("base variable cost after innovating (v1)", "创新后基础变动成本（v1）"))
        self.base.set_label(t("base variable cost before innovating (v)", "创新前基础变动成本（v）"))
        self.ax.set_title(t("Learning curve (003 §3.1.1)", "学习曲线（003 §3.1.1）"), fontsize=10.5)
        xlabel = t("cumulative output N (thousand units, log scale)", "累计产量 N（千件，对数坐标）")
        self.ax.set_xlabel(wrap(xlabel, 36) if narrow else xlabel, fontsize=NARROW_PT if narrow else None)
        self.ax.set_ylabel(t("unit variable cost (yuan)", "单位变动成本（元）"), fontsize=NARROW_PT if narrow else None)
        self.note.set_text(t("illustrative numbers", "示意性数字"))
        self.ax.legend(handles=[self.line, self.base], loc="lower left", fontsize=NARROW_PT if narrow else 8.5)


def plot_learning_curve(scenario: CostScenario | None = None, ax=None, doublings: float = 4) -> LearningCurvePlot:
    """The learning curve of the scenario over ``doublings`` doublings of cumulative output."""
    return LearningCurvePlot(scenario, ax=ax, doublings=doublings)


@two_forms
def knowledge_integration_diagram():
    """Figure 2 of source 003 (knowledge integration inside the firm), rebuilt from §3.1.2.

    Nodes and edges come from the datasets ``knowledge_integration_nodes`` / ``_edges``; links the
    kit added to complete the picture are drawn dashed. Show with ``casekit.diagrams.show(g)``.
    """
    nodes = load_dataset("knowledge_integration_nodes")
    edges = load_dataset("knowledge_integration_edges")
    col = "name_zh" if get_language() == "zh" else "name_en"
    rel = "relation_zh" if get_language() == "zh" else "relation_en"
    fill = {"knowledge": "#e8f0fe", "form": "#f3f3f3", "people": "#fff4e5", "channel": "#e6f4ea",
            "outcome": "#fde7e9"}
    # the phone's form: the four kinds of knowledge two by two, labels wrapped short
    narrow = pick(False, True)
    g = digraph("knowledge_integration", rankdir="TB", nodesep=pick("0.2", "0.1"), ranksep=pick("0.5", "0.3"))
    g.attr("edge", fontsize="13")   # read at a laptop's notebook width: this drawing is wide in Chinese
    g.attr(label=wrap(t("Knowledge integration inside the firm (003 Figure 2, rebuilt from §3.1.2; dashed: kit's addition)",
                        "企业内部的知识整合（003 图2，依 §3.1.2 重建；虚线为本套件补充）"), pick(64, 30)), labelloc="t")
    knowledge_bottom: list[str] = []
    for group, sub in nodes.groupby("group", observed=True, sort=False):
        with g.subgraph(name=f"cluster_{group}") as s:
            s.attr(style="invis")
            for row in sub.itertuples():
                s.node(str(row.node), wrap(getattr(row, col), pick(12, 10)), fillcolor=fill.get(str(group), "#f4f6fb"))
            if narrow and str(group) == "knowledge" and len(sub) > 2:   # two rows of two, not one row of four
                ids = [str(n) for n in sub["node"]]
                for a, b in zip(ids[: len(ids) // 2], ids[len(ids) // 2:]):
                    g.edge(a, b, style="invis")
                knowledge_bottom = ids[len(ids) // 2:]
    if narrow:   # one column: the kinds of knowledge above the forms it takes and the people who hold it
        for a in knowledge_bottom:
            for b in nodes.loc[nodes["group"].astype(str) == "form", "node"].astype(str):
                g.edge(a, b, style="invis")
    for row in edges.itertuples():
        g.edge(str(row.source), str(row.target), label=wrap(getattr(row, rel), pick(10, 8)),
               style="dashed" if row.basis == "kit_layout" else "solid")
    return g


from ._guard import protect as _protect  # noqa: E402

_protect(globals(), __all__)
