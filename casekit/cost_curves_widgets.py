"""The cost-curve explorer (unit 4): sliders move the curves and the key points C0, C1, Q0, Q1 and
the crossover of source 003's Figure 1, and a readout says in words what changed.

The widget only wires controls to :class:`casekit.cost_curves.CostScenario`; the figure is built
once and its artists are moved on every change (``CostCurvesPlot.update``), then the figure is
re-encoded (JPEG, fast) into an ``ipywidgets.Image`` (works in JupyterLab, Binder, nbclient; no ipympl needed).

A phone gets its own figure (``figure_narrow``: the two plots stacked, 3.6 in wide, text 9 pt or
more), a number box beside every slider (type a value; a swipe is coarse on a small track),
controls a thumb can hit and the readout right under the controls. A zero-size widget reports
whether the page shows the phone's form, and a move redraws only the figure on screen (until a
browser reports, headless runs included, only the laptop's).
All results live in Python state (``explorer.scenario``, ``explorer.key_points``,
``explorer.readout_text``, ``explorer.flags``), so tests set a control's ``.value`` and read them.

>>> ex = CostCurveExplorer()
>>> ex.controls["variable_cost_saving"].value = 0.3
>>> round(ex.key_points.crossover, 6)
50.0
>>> ex.reset(); ex.scenario == ex.default
True
"""
from __future__ import annotations

from functools import lru_cache

import dataclasses
import io
import math

from ._guard import arm, guarded, short
from .cost_curves import CostScenario, KeyPoints, PAYOFFS, parameter_table
from .cost_curves_plots import CostCurvesPlot, LearningCurvePlot
from .errors import CasekitError
from .i18n import on_language_change, t
from .plotting import NARROW_IN, ScreenWatch, phone_style, use_cjk_fonts

__all__ = ["CostCurveExplorer", "cost_curve_explorer", "describe_change"]

# The four levers the issue asks for; cumulative output makes the learning rate bite.
SLIDERS = ("innovation_fixed_cost", "variable_cost_saving", "learning_rate", "cumulative_output")
_STEPS = {"innovation_fixed_cost": 10, "variable_cost_saving": 0.01, "learning_rate": 0.01,
          "cumulative_output": 10, "output": 1}


def _fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:.4g}"


def _grid(lo: float, hi: float, step: float) -> tuple[float, float]:
    """Slider bounds on the step grid. The browser snaps a slider's value to ``min + k * step``: with
    min = 1 and step = 10 the default N = 100 became 101 (C1 19.96, crossover 37.32) and 400 could not
    be reached, so the bounds are moved onto multiples of the step (1 → 10)."""
    return (round(math.ceil(lo / step - 1e-9) * step, 10), round(math.floor(hi / step + 1e-9) * step, 10))


def _snap(value: float, lo: float, step: float) -> float:
    """What the browser shows for ``value``: the nearest point ``lo + k * step`` (no float dust)."""
    decimals = max(0, -math.floor(math.log10(step))) + 2
    return round(lo + round((value - lo) / step) * step, decimals)


def _same(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


@lru_cache(maxsize=1)
def _default_scenario() -> CostScenario:
    return CostScenario()


def describe_change(old: CostScenario, new: CostScenario, _rows=None) -> str:
    """A few sentences, in the current language, on what moved between two scenarios and why."""
    rows = parameter_table().set_index("parameter") if _rows is None else _rows
    name_col = t("name_en", "name_zh")
    if not isinstance(old, CostScenario) or not isinstance(new, CostScenario):
        raise CasekitError(t("describe_change compares two CostScenario objects, e.g. "
                             "describe_change(CostScenario(), CostScenario(learning_rate=0.3)).",
                             "describe_change 比较两个 CostScenario，例如 "
                             "describe_change(CostScenario(), CostScenario(learning_rate=0.3))。"))
    # float dust from a slider (0.39999999999999997 vs 0.4) is no change: never "s: 0.4 → 0.4"
    changed = [f for f in SLIDERS + ("output_min", "output_max")
               if not _same(getattr(old, f), getattr(new, f)) and f"{getattr(old, f):g}" != f"{getattr(new, f):g}"]
    ko, kn = old.key_points(), new.key_points()
    parts: list[str] = []
    for f in changed:
        parts.append(t(f"{rows.loc[f, name_col]}: {getattr(old, f):g} → {getattr(new, f):g}.",
                       f"{rows.loc[f, name_col]}：{getattr(old, f):g} → {getattr(new, f):g}。"))
    if "innovation_fixed_cost" in changed:
        up = new.innovation_fixed_cost > old.innovation_fixed_cost
        parts.append(t(
            f"A1FC {'rises' if up else 'falls'}: the efficient scale Q1 moves from {_fmt(ko.Q1)} to {_fmt(kn.Q1)} "
            f"and the lowest cost C1 from {_fmt(ko.C1)} to {_fmt(kn.C1)}; more output is needed to spread the fixed cost.",
            f"A1FC {'上升' if up else '下降'}：有效规模 Q1 从 {_fmt(ko.Q1)} 变为 {_fmt(kn.Q1)}，最低成本 C1 从 {_fmt(ko.C1)} "
            f"变为 {_fmt(kn.C1)}；需要更多产量来分摊固定成本。"))
    if {"variable_cost_saving", "learning_rate", "cumulative_output"} & set(changed):
        parts.append(t(
            f"A1VC shifts: the base variable cost after innovating is now {new.base_variable_cost_after:.4g} "
            f"(was {old.base_variable_cost_after:.4g}), so C1 moves from {_fmt(ko.C1)} to {_fmt(kn.C1)} while Q1 stays at {_fmt(kn.Q1)}.",
            f"A1VC 平移：创新后的基础变动成本现为 {new.base_variable_cost_after:.4g}（原为 {old.base_variable_cost_after:.4g}），"
            f"C1 从 {_fmt(ko.C1)} 变为 {_fmt(kn.C1)}，Q1 仍为 {_fmt(kn.Q1)}。"))
    if ko.crossovers != kn.crossovers:
        parts.append(t(
            f"The crossover output moves from {', '.join(map(_fmt, ko.crossovers)) or 'none'} to "
            f"{', '.join(map(_fmt, kn.crossovers)) or 'none'}.",
            f"交叉产量从 {'、'.join(map(_fmt, ko.crossovers)) or '无'} 变为 {'、'.join(map(_fmt, kn.crossovers)) or '无'}。"))
    en, zh = PAYOFFS[kn.payoff]
    parts.append(t(f"The innovating firm is {en}.", f"创新企业：{zh}。"))
    if not changed:
        default = _default_scenario()
        is_default = all(_same(getattr(new, f.name), getattr(default, f.name)) for f in dataclasses.fields(new))
        parts.insert(0, t("Default scenario (illustrative numbers)." if is_default else
                          "Current scenario, changed from the default (illustrative numbers).",
                          "默认情景（示意性数字）。" if is_default else "当前情景（已改动默认值；示意性数字）。"))
    return " ".join(parts)


class CostCurveExplorer:
    """Sliders for the fixed cost of innovating, the variable-cost saving, the learning rate (with the
    cumulative output reached) and the output range; a reset button; the figure; a readout."""

    def __init__(self, scenario: CostScenario | None = None, dpi: int = 96):
        import ipywidgets as w
        from matplotlib.figure import Figure

        if scenario is not None and not isinstance(scenario, CostScenario):
            raise CasekitError(t("CostCurveExplorer takes a CostScenario (or nothing for the default).",
                                 "CostCurveExplorer 需要一个 CostScenario（不传则用默认情景）。"))
        use_cjk_fonts()
        self.default = scenario or CostScenario()
        self.scenario = self.default
        self.dpi = dpi
        self.history: list[str] = []
        rows = parameter_table().set_index("parameter")
        self._rows = rows

        # Figures built once, outside pyplot's figure manager, so they are never auto-displayed twice.
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.ticker import NullFormatter

        self.figure = Figure(figsize=(8.6, 4.6), dpi=dpi)   # 826 px: fits the 848-px output area of a laptop unscaled
        FigureCanvasAgg(self.figure)
        self.figure.subplots_adjust(left=0.08, right=0.98, top=0.92, bottom=0.33, wspace=0.25)
        gs = self.figure.add_gridspec(1, 2, width_ratios=[1.6, 1])
        ax_cost, ax_learn = self.figure.add_subplot(gs[0]), self.figure.add_subplot(gs[1])
        # A fixed y-range keeps the picture still while sliders move, so changes are visible.
        y_top = 2.0 * self.default.key_points().C0
        self.cost_plot = CostCurvesPlot(self.scenario, ax=ax_cost, y_max=y_top, legend_cols=2)
        self.learning_plot = LearningCurvePlot(self.scenario, ax=ax_learn)
        ax_learn.xaxis.set_minor_formatter(NullFormatter())  # tick labels are the slow part of a redraw
        # The phone's figure: the two plots one above the other, 3.6 in (346 px) wide.
        self.figure_narrow = Figure(figsize=(NARROW_IN, 8.4), dpi=dpi)
        FigureCanvasAgg(self.figure_narrow)
        self.figure_narrow.subplots_adjust(left=0.17, right=0.96, top=0.95, bottom=0.07, hspace=0.95)
        gs = self.figure_narrow.add_gridspec(2, 1, height_ratios=[1.35, 1])
        self.cost_plot_narrow = CostCurvesPlot(self.scenario, ax=self.figure_narrow.add_subplot(gs[0]), y_max=y_top,
                                               narrow=True)
        self.learning_plot_narrow = LearningCurvePlot(self.scenario, ax=self.figure_narrow.add_subplot(gs[1]),
                                                      narrow=True)
        self.learning_plot_narrow.ax.xaxis.set_minor_formatter(NullFormatter())
        self._blit: dict[str, dict] = {"wide": {}, "narrow": {}}

        self.controls: dict[str, w.Widget] = {}
        self.number_boxes: dict[str, w.BoundedFloatText] = {}
        self.value_labels: dict[str, w.HTML] = {}
        self.last_problem: str | None = None
        Slider, RangeSlider = guarded(w.FloatSlider), guarded(w.FloatRangeSlider)
        # The slider's own readout box is narrow and cut values ("3(", "0.4"); a number box beside
        # the slider shows the value whole, from the model (so it never disagrees with the slider),
        # and takes a typed value (a phone's swipe is coarse: 60 px is a fifth of the track).
        # Names take their natural width (about 230 px at most); a row is 500 px, so on a laptop's
        # 848-px output area the two columns wrap into one instead of cutting anything.
        for name in SLIDERS:
            r = rows.loc[name]
            lo, hi = _grid(float(r["min"]), float(r["max"]), _STEPS[name])
            self.controls[name] = Slider(
                value=self._on_grid(name, getattr(self.scenario, name), lo, hi), min=lo, max=hi,
                step=_STEPS[name], continuous_update=True, readout=False,
                style={"description_width": "initial"}, layout=w.Layout(width="420px"))
            box = w.BoundedFloatText(value=self.controls[name].value, min=lo, max=hi, step=_STEPS[name],
                                     layout=w.Layout(width="80px"))
            box.add_class("ck-number")
            box.observe(lambda ch, n=name: self._on_number(n, ch["new"]), names="value")
            self.number_boxes[name] = box
        lo, hi = _grid(float(rows.loc["output_min", "min"]), float(rows.loc["output_max", "max"]) / 5, _STEPS["output"])
        self.controls["output_range"] = RangeSlider(
            value=(self._on_grid("output", self.scenario.output_min, lo, hi),
                   self._on_grid("output", self.scenario.output_max, lo, hi)),
            min=lo, max=hi, step=_STEPS["output"], continuous_update=True, readout=False,
            style={"description_width": "initial"}, layout=w.Layout(width="420px"))
        self.value_labels["output_range"] = w.HTML(layout=w.Layout(width="80px"))
        for c in self.controls.values():
            arm(c, self._report)
        self.reset_button = w.Button(icon="undo", layout=w.Layout(width="auto"))
        self.image = w.Image(format="jpeg")
        self.image.add_class("ck-wide-only")
        self.image_narrow = w.Image(format="jpeg", layout=w.Layout(max_width="100%", height="auto"))
        self.image_narrow.add_class("ck-phone-only")
        self.readout = w.HTML()
        self.readout.add_class("ck-readout")
        self.watch = ScreenWatch()
        if self.watch is not None:
            self.watch.observe(self._on_screen, names="narrow")
        self._syncing = False
        for c in self.controls.values():
            c.observe(self._on_change, names="value")
        self.reset_button.on_click(lambda _b: self.reset())
        self.readout_text = ""
        self.flags = []
        self.key_points: KeyPoints = self.scenario.key_points()

        def row(n):
            value = self.number_boxes.get(n) or self.value_labels[n]
            r = w.HBox([self.controls[n], value], layout=w.Layout(align_items="center"))
            r.add_class("ck-slider-row")
            return r

        sliders = w.HBox([w.VBox([row(n) for n in SLIDERS[:2]] + [row("output_range")]),
                          w.VBox([row(n) for n in SLIDERS[2:]] + [self.reset_button])],
                         layout=w.Layout(flex_flow="row wrap"))   # two columns of sliders, one on a narrow screen
        sliders.add_class("ck-controls")
        self.widget = w.VBox([phone_style(), *([self.watch] if self.watch is not None else []),
                              sliders, self.image, self.image_narrow, self.readout])
        self.widget.add_class("ck-explorer")
        self.widget.add_class("ck-cost-explorer")
        self._relabel_controls()
        self._render(self.default, self.default, relabel=True)
        on_language_change(self._on_language)

    # ------------------------------------------------------------------ wiring
    def _on_grid(self, name: str, value: float, lo: float, hi: float) -> float:
        """A scenario value as the slider can hold it (the default scenario is always on the grid)."""
        return min(max(_snap(value, lo, _STEPS[name]), lo), hi)

    def _scenario_from_controls(self) -> CostScenario:
        values = {}
        for n in SLIDERS:
            c = self.controls[n]
            values[n] = _snap(float(c.value), c.min, c.step)
        c = self.controls["output_range"]
        lo, hi = (_snap(float(v), c.min, c.step) for v in c.value)
        return self.scenario.replace(output_min=float(lo), output_max=float(max(hi, lo + 1)), **values)

    def _report(self, message: str) -> None:
        """One line in the readout for a value a control could not take; the control keeps a valid value."""
        import html

        self.last_problem = message
        self.readout_text = message
        body = self.readout.value.split("<!--problem-->")[-1]
        self.readout.value = f"<p style='color:#c0392b'>⚠ {html.escape(message)}</p><!--problem-->{body}"

    def _on_number(self, name: str, value) -> None:
        """A typed value: onto the slider (on its grid, within its range), which redraws."""
        if self._syncing or value is None:
            return
        c = self.controls[name]
        c.value = self._on_grid(name, float(value), c.min, c.max)
        if not _same(self.number_boxes[name].value, c.value):   # 305 typed, 310 on the grid: say it
            self._syncing = True
            try:
                self.number_boxes[name].value = c.value
            finally:
                self._syncing = False

    def _on_screen(self, _change=None) -> None:
        """The page switched between the laptop and phone forms: bring the one now shown up to date."""
        self.image.value, self.image_narrow.value = self._frames(self.image.value, self.image_narrow.value)

    def _on_change(self, _change=None) -> None:
        if getattr(self, "_muted", False):
            return
        old = self.scenario
        try:
            new = self._scenario_from_controls()
        except CasekitError as err:  # sliders keep values legal; this guards odd programmatic input
            self._report(str(err))
            return
        self.last_problem = None
        self._render(old, new)

    def _render(self, old: CostScenario, new: CostScenario, relabel: bool = False) -> None:
        self.scenario = new
        for plot in (self.cost_plot, self.learning_plot, self.cost_plot_narrow, self.learning_plot_narrow):
            plot.update(new, relabel=relabel)
        self.key_points = self.cost_plot.key_points
        self.flags = new.flags()
        self.readout_text = describe_change(old, new, self._rows)
        self.history.append(self.readout_text)
        kp = self.key_points
        flags = "".join(f"<li>⚠ {f.message}</li>" for f in self.flags)
        self.readout.value = (
            f"<p><b>Q0</b> = {kp.Q0:.4g}, <b>C0</b> = {kp.C0:.4g}; <b>Q1</b> = {kp.Q1:.4g}, <b>C1</b> = {kp.C1:.4g}; "
            f"{t('crossover', '交叉产量')} = {', '.join(f'{q:.4g}' for q in kp.crossovers) or t('none', '无')} "
            f"<i>({t('illustrative numbers', '示意性数字')})</i></p><p>{self.readout_text}</p>"
            + (f"<ul>{flags}</ul>" if flags else ""))
        self._syncing = True
        try:
            for n in SLIDERS:
                self.number_boxes[n].value = float(getattr(new, n))
        finally:
            self._syncing = False
        self.value_labels["output_range"].value = f"<b>{new.output_min:g}–{new.output_max:g}</b>"
        self.image.value, self.image_narrow.value = self._frames(self.image.value, self.image_narrow.value)

    def _frames(self, wide: bytes, narrow: bytes) -> tuple[bytes, bytes]:
        """The laptop and phone frames. Only the one the page shows is drawn; the other keeps its
        old frame until the screen changes. Until a browser has said which (headless runs, the
        first moment of a page) the laptop frame stands in for the phone's, so nothing is drawn
        twice and a phone whose page cannot report still sees a picture."""
        phone = self.watch.narrow if self.watch is not None else None
        if phone is None:
            wide = self._frame("wide")
            return wide, wide
        if phone:
            return wide, self._frame("narrow")
        return self._frame("wide"), narrow

    def _dynamic_artists(self, form: str = "wide") -> list:
        cp, lp = ((self.cost_plot, self.learning_plot) if form == "wide"
                  else (self.cost_plot_narrow, self.learning_plot_narrow))
        return [cp.cheaper_strip, *cp.lines.values(), *cp.drops.values(), *cp.points.values(),
                *cp.labels.values(), *cp.crossover_lines, *cp.crossover_labels,
                lp.base, lp.line, lp.marker, lp.label]

    def _frame(self, form: str = "wide") -> bytes:
        """Blit: the static layer (axes, ticks, titles, legends; text is the slow part) is drawn
        once per layout and cached; a slider move redraws only the moving artists on top of it."""
        from PIL import Image

        figure = self.figure if form == "wide" else self.figure_narrow
        cp, lp = ((self.cost_plot, self.learning_plot) if form == "wide"
                  else (self.cost_plot_narrow, self.learning_plot_narrow))
        cache = self._blit[form]
        canvas = figure.canvas
        for a in self._dynamic_artists(form):
            a.set_animated(True)
        key = (cp.ax.get_xlim(), cp.ax.get_ylim(), lp.ax.get_xlim(), lp.ax.get_ylim(), t("en", "zh"))
        if key != cache.get("key"):
            canvas.draw()                      # full draw; animated artists are left out
            cache["background"] = canvas.copy_from_bbox(figure.bbox)
            cache["key"] = key
        else:
            canvas.restore_region(cache["background"])
        for a in self._dynamic_artists(form):
            a.axes.draw_artist(a)
        buf = io.BytesIO()
        Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba(), "raw", "RGBA", 0, 1) \
            .convert("RGB").save(buf, format="JPEG", quality=92)  # ~10x faster to encode than PNG
        return buf.getvalue()

    def _relabel_controls(self) -> None:
        col = t("name_en", "name_zh")
        for name in SLIDERS:
            self.controls[name].description = str(self._rows.loc[name, col])
        self.controls["output_range"].description = t("Output range shown", "显示的产量范围")
        for name in SLIDERS:   # a screen reader (and a phone's keyboard) names the box too
            self.number_boxes[name].tooltip = str(self._rows.loc[name, col])
        self.reset_button.description = t("Reset to default", "恢复默认情景")

    def _on_language(self, _lang: str) -> None:
        self._relabel_controls()
        self._render(self.scenario, self.scenario, relabel=True)

    # ------------------------------------------------------------------ public
    def set(self, **values) -> "CostCurveExplorer":
        """Move several sliders at once (one redraw), e.g. ``explorer.set(variable_cost_saving=0.1)``."""
        unknown = sorted(map(str, set(values) - set(self.controls)))
        if unknown:
            raise CasekitError(t(f"No slider called {short(unknown)}. Use one of the sliders: {', '.join(self.controls)}.",
                                 f"没有名为 {short(unknown)} 的滑块。可用滑块：{', '.join(self.controls)}。"))
        self._muted = True
        problems = []
        try:
            for k, v in values.items():
                self.last_problem = None
                self.controls[k].value = v
                if self.last_problem:
                    problems.append(self.last_problem)
        finally:
            self._muted = False
        self._on_change()
        for p in problems:   # said after the redraw, so the readout keeps them
            self._report(p)
        return self

    def reset(self) -> None:
        """Back to the default scenario."""
        old = self.scenario
        self._muted = True
        try:
            for n in SLIDERS:
                c = self.controls[n]
                c.value = self._on_grid(n, getattr(self.default, n), c.min, c.max)
            c = self.controls["output_range"]
            c.value = (self._on_grid("output", self.default.output_min, c.min, c.max),
                       self._on_grid("output", self.default.output_max, c.min, c.max))
        finally:
            self._muted = False
        self.last_problem = None
        self._render(old, self._scenario_from_controls())

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)


def cost_curve_explorer(scenario: CostScenario | None = None) -> CostCurveExplorer:
    """Open the cost-curve explorer (make it the last expression of a cell to show it)."""
    return CostCurveExplorer(scenario)


from ._guard import protect as _protect  # noqa: E402

_protect(globals(), __all__)
