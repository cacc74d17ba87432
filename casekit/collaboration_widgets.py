"""The stage-transition explorer: thin ipywidgets wiring over :mod:`casekit.collaboration`.

Controls map to arguments of :func:`alternative_from_settings`; every change re-evaluates and keeps
the result in Python state (``explorer.case``, ``explorer.result``, ``explorer.graph``), so tests
drive it headlessly by setting control ``.value`` and reading those attributes.

Every control carries its name in the current language, above it. On a phone (see
:mod:`casekit.plotting`) the controls are a thumb's size, the verdict stays in view at the foot of
the screen while the controls above it are scrolled through, and the comparison diagram comes in
its narrow form; a zero-size widget says which form the page shows, so a change redraws only that one.

>>> from casekit.collaboration_widgets import StageExplorer
>>> ex = StageExplorer("keda", draw=False)
>>> ex.result.verdict
'consistent'
>>> ex.stage_controls[2]["include"].value = False      # skip the market expansion stage
>>> ex.result.capabilities_not_formed
['trend_judgment', 'rule_building']
>>> ex.reset(); ex.result.verdict
'consistent'
"""
from __future__ import annotations

import itertools
from typing import Any

import ipywidgets as W

from . import collaboration as co
from . import collaboration_diagrams as cd
from ._guard import arm, guarded, short
from .datasets import bare, load_dataset
from .diagrams import _draw_into, _show
from .errors import CasekitError
from .i18n import get_language, on_language_change, t
from .plotting import ScreenWatch, phone_style

__all__ = ["StageExplorer", "EvidenceBrowser", "alternative_from_settings", "explore"]


def _wrap() -> W.Layout:
    """A row of controls that wraps onto the next line instead of running off a narrow screen."""
    return W.Layout(flex_flow="row wrap", align_items="center")


# Labels take their natural width ("business m…" was cut at a fixed 90 px).
_WHOLE_LABEL = {"description_width": "initial"}


def _named(w: W.Widget, label: str) -> W.Widget:
    """A control with its name above it (``ck-stack``), in the current language."""
    w.description = label
    w.style = _WHOLE_LABEL
    w.add_class("ck-stack")
    return w


def alternative_from_settings(actual: co.Case, *, stages: list[dict] | None = None, order: tuple[int, ...] | None = None,
                              boundaries: dict[int, int] | None = None, business_model: str | None = None,
                              collaboration_mode: str | None = None, resource_constraint: str | None = None) -> co.Case:
    """Build an alternative from explorer settings (pure; the widget only collects the values).

    ``stages[i]`` may hold ``include``, ``borrow`` (``"firm:j"``), ``rd_activity``,
    ``marketing_activity``, ``interaction`` (or ``depth`` and ``lead``), ``intermediary``; ``boundaries[k]`` is the first year
    of stage ``k + 1``; ``order`` lists the positions of the included stages.
    """
    case = actual
    for i, s in enumerate(stages or [], 1):
        if s.get("borrow"):
            firm, j = s["borrow"].split(":")
            case = case.borrow(i, firm, int(j))
        kw = {k: s[k] for k in ("rd_activity", "marketing_activity", "interaction", "depth", "lead", "intermediary")
              if s.get(k) is not None}
        if kw:
            case = case.change(i, **kw)
    for k, year in sorted((boundaries or {}).items()):
        if k < len(case.stages):
            case = case.move_boundary(k, int(year))
    included = [i for i, s in enumerate(stages or [], 1) if s.get("include", True)] if stages else list(range(1, len(case.stages) + 1))
    for i in sorted(set(range(1, len(case.stages) + 1)) - set(included), reverse=True):
        case = case.skip(i)
    if order and len(order) == len(case.stages) and sorted(order) != list(order):
        case = case.reorder(list(order))
    if business_model:
        case = case.with_business_model(business_model)
    if collaboration_mode:
        case = case.with_mode(collaboration_mode)
    if resource_constraint:
        case = case.with_resources(resource_constraint)
    return case


class StageExplorer:
    """Pick a firm, edit its stages, and see the diagram, the capabilities and the findings at once."""

    def __init__(self, firm: str | co.Case = "keda", extra_cases: list[co.Case] | None = None, draw: bool = True):
        self.cases: dict[str, co.Case] = {f: co.actual_case(f) for f in co.case_names()}
        for c in extra_cases or []:
            self.cases[c.firm] = c
        if isinstance(firm, co.Case):
            self.cases[firm.firm] = firm.actual
            firm = firm.firm
        if not isinstance(firm, str) or firm not in self.cases:
            firm = short(firm)
            raise CasekitError(t(f"No case {firm}; choose one of {', '.join(self.cases)} or pass a loaded Case.",
                                 f"没有案例 {firm}；可选 {', '.join(self.cases)}，或传入已读入的 Case。"))
        self.draw = draw
        self._busy = False
        self.last_problem: str | None = None
        self.case: co.Case | None = None
        self.result: co.Evaluation | None = None
        self.graph = None
        Dropdown = guarded(W.Dropdown)
        self.firm = arm(Dropdown(layout=W.Layout(width="260px")), self._report)
        self.firm.add_class("ck-stack")
        self.business_model = arm(Dropdown(layout=W.Layout(width="340px")), self._report)
        self.mode = arm(Dropdown(layout=W.Layout(width="300px")), self._report)
        self.resources = arm(Dropdown(layout=W.Layout(width="240px")), self._report)
        self.order = arm(Dropdown(layout=W.Layout(width="200px")), self._report)
        self.reset_button = W.Button(icon="undo")
        self.reset_button.on_click(lambda _b: self.reset())
        self.summary = W.HTML()
        self.findings_html = W.HTML()
        # The diagram is a widget's value, never output captured into an ``Output`` widget: a
        # headless executor (nbclient under otter, Voilà) mimics an Output widget by sending a
        # comm message on the shell channel while it waits for the cell's reply, and that send can
        # swallow the reply's wake-up, so the cell never finishes (see benchmarks/bench_stall.py).
        self.diagram = W.Box(layout=W.Layout(width="100%", max_width="100%"))
        self.diagram.add_class("ck-after")
        self.watch = ScreenWatch()     # which form of the diagram the page shows (None: not known)
        if self.watch is not None:
            self.watch.observe(lambda _c: self._draw(), names="narrow")
        self.summary.add_class("ck-sticky")   # on a phone: kept in view below the controls being changed
        self.stage_box = W.VBox()
        self.boundary_box = W.HBox()
        self.stage_controls: dict[int, dict[str, W.Widget]] = {}
        self.boundaries: dict[int, W.IntSlider] = {}
        self.firm.observe(self._on_firm, "value")
        for w in (self.business_model, self.mode, self.resources, self.order):
            w.observe(self._update, "value")
        self.problem_html = W.HTML()
        # Built once: re-creating the rows on every change made the browser re-render the controls,
        # and the control being moved with the arrow keys lost focus after each step.
        self.widget = W.VBox([
            phone_style(), *([self.watch] if self.watch is not None else []),
            W.HBox([self.firm, self.reset_button], layout=W.Layout(align_items="flex-end")),
            W.HBox([self.business_model, self.mode, self.resources, self.order], layout=_wrap()),
            self.stage_box, self.boundary_box, self.problem_html, self.summary, self.findings_html, self.diagram])
        self.widget.add_class("ck-explorer")
        self._build_static_labels()
        self.firm.options = [(c.name, f) for f, c in self.cases.items()]
        self.firm.value = firm  # builds the stage controls
        if self.firm.value == firm and self.case is None:
            self._on_firm()
        on_language_change(self._on_language)

    # -- building ------------------------------------------------------------------------------
    def _build_static_labels(self):
        self.firm.description = t("firm", "企业")
        self.firm.style = _WHOLE_LABEL
        _named(self.business_model, t("business model", "业务模式"))
        _named(self.mode, t("mode", "协同模式"))
        _named(self.resources, t("resources", "资源约束"))
        _named(self.order, t("order of the stages", "阶段顺序"))
        self.reset_button.description = t("reset to actual", "重置为实际")
        self.business_model.options = [(co.term(b), b) for b in co.BUSINESS_MODELS]
        self.mode.options = [(co.term(m), m) for m in co.MODES]
        self.resources.options = [(co.term(r), r) for r in ("strong", "weak")]

    def _actual(self) -> co.Case:
        return self.cases[self.firm.value]

    def _on_firm(self, _change=None):
        self._busy = True
        try:
            actual = self._actual()
            self._build_static_labels()
            self.business_model.value = actual.business_model
            self.mode.value = actual.collaboration_mode
            self.resources.value = actual.resource_constraint
            self._build_stage_controls(actual)
        finally:
            self._busy = False
        self._update()

    def _build_stage_controls(self, actual: co.Case):
        n = len(actual.stages)
        self.stage_controls = {}
        rows = []
        borrow_opts = [(t("(own stage)", "（本阶段）"), "")]
        for f, c in self.cases.items():
            if f != actual.firm:
                borrow_opts += [(f"{c.name} {j}: {s.name}", f"{f}:{j}") for j, s in enumerate(c.stages, 1)]
        Dropdown, Checkbox, IntSlider = guarded(W.Dropdown), guarded(W.Checkbox), guarded(W.IntSlider)
        inter_opts = [(o.name, o.id) for o in actual.options("interaction")]
        for i, s in enumerate(actual.stages, 1):
            # each dropdown named above it (a phone shows one control a line: a name says which is which)
            ctl = {
                "include": Checkbox(value=True, description=t(f"include stage {i}", f"保留第{i}阶段"), indent=False,
                                      layout=W.Layout(width="130px")),
                "borrow": _named(Dropdown(options=borrow_opts, value="", layout=W.Layout(width="230px")),
                                 t("or take a stage from another firm", "或借用另一企业的阶段")),
                "rd_activity": _named(Dropdown(options=[(o.name, o.id) for o in actual.options("rd")], value=s.rd_activity,
                                               layout=W.Layout(width="200px")), t("R&D activity", "研发活动")),
                "marketing_activity": _named(Dropdown(options=[(o.name, o.id) for o in actual.options("marketing")],
                                                      value=s.marketing_activity, layout=W.Layout(width="260px")),
                                             t("marketing activity", "营销活动")),
                # the interaction pattern by name; depth and lead below are the same choice, kept in step
                "interaction": _named(Dropdown(options=inter_opts, value=s.interaction, layout=W.Layout(width="220px"),
                                               tooltip=t("interaction pattern", "互动模式")),
                                      t("interaction pattern", "互动模式")),
                "depth": _named(Dropdown(options=[(t(f"depth {d}", f"深度{d}"), d) for d in (1, 2, 3)], value=s.depth or 1,
                                         layout=W.Layout(width="100px")), t("depth", "互动深度")),
                "lead": _named(Dropdown(options=[(t("R&D leads", "研发主导"), "rd"), (t("marketing leads", "营销主导"), "marketing")],
                                        value=s.lead or "rd", layout=W.Layout(width="140px")), t("who leads", "主导方")),
                "intermediary": Checkbox(value=s.intermediary, description=t("via an intermediary", "经中介部门"),
                                           indent=False, layout=W.Layout(width="150px")),
            }
            for name, w in ctl.items():
                arm(w, self._report)
                w.observe(self._on_interaction if name in ("interaction", "depth", "lead") else self._update, "value")
            self.stage_controls[i] = ctl
            # wrap rather than cut off on a narrow screen or a 1280-px projector
            row = W.HBox([W.HTML(f"<b>{i}. {s.name}</b>", layout=W.Layout(width="170px")), *ctl.values()],
                         layout=W.Layout(flex_flow="row wrap", align_items="flex-end"))
            row.add_class("ck-stage-row")
            rows.append(row)
        self.stage_box.children = rows
        self.boundaries = {}
        for k in range(1, n):
            a, b = actual.stages[k - 1], actual.stages[k + 1 - 1]
            sl = arm(IntSlider(value=b.start_year, min=min(a.start_year, b.start_year), max=max(b.end_year, a.end_year),
                               description=t(f"stage {k + 1} starts in", f"第{k + 1}阶段始于"), continuous_update=True,
                               style=_WHOLE_LABEL), self._report)
            sl.observe(self._on_boundary, "value")
            self.boundaries[k] = sl
        self._constrain_boundaries()
        self.boundary_box.children = list(self.boundaries.values())
        self.boundary_box.layout = _wrap()
        self._set_order_options(n)

    def _constrain_boundaries(self):
        """Each year slider stays between its neighbours, so every stage keeps at least one year:
        stage k + 1 cannot start before stage k has begun (stage 2 at 2000 left stage 1 empty)."""
        actual = self._actual()
        first, last = actual.stages[0].start_year, actual.stages[-1].end_year
        for k, sl in self.boundaries.items():
            lo = (self.boundaries[k - 1].value if k - 1 in self.boundaries else first) + 1
            hi = self.boundaries[k + 1].value - 1 if k + 1 in self.boundaries else last
            if lo > sl.max:
                sl.max, sl.min = hi, lo
            else:
                sl.min, sl.max = lo, hi

    def _on_boundary(self, _change=None):
        if self._busy:
            return
        self._busy = True
        try:
            self._constrain_boundaries()
        finally:
            self._busy = False
        self._update()

    def _on_interaction(self, change):
        """The interaction pattern and its depth/lead are one choice: keep the three controls in step."""
        if self._busy:
            return
        owner = change["owner"]
        for ctl in self.stage_controls.values():
            if owner in (ctl["interaction"], ctl["depth"], ctl["lead"]):
                break
        else:
            return
        cat = co.catalog()
        self._busy = True
        try:
            if owner is ctl["interaction"]:
                o = self._actual().option(ctl["interaction"].value)
                if o is not None and o.lead in ("rd", "marketing"):
                    ctl["depth"].value, ctl["lead"].value = o.level, o.lead
            else:
                o = cat.interaction_for(ctl["depth"].value, ctl["lead"].value)
                if o is not None and o.id in dict((v, v) for _, v in ctl["interaction"].options):
                    ctl["interaction"].value = o.id
        finally:
            self._busy = False
        self._update()

    def _report(self, message: str):
        """One line above the verdict for a value a control could not take (it keeps a valid one)."""
        import html

        self.last_problem = message
        self.problem_html.value = f"<div style='color:#c0392b'>⚠ {html.escape(message)}</div>"

    def _set_order_options(self, n: int):
        perms = list(itertools.permutations(range(1, n + 1))) if n <= 4 else [tuple(range(1, n + 1))]
        self.order.options = [(" → ".join(map(str, p)), p) for p in perms]
        self.order.value = tuple(range(1, n + 1))

    # -- state -------------------------------------------------------------------------------
    def settings(self) -> dict[str, Any]:
        """The current control values as arguments of :func:`alternative_from_settings`."""
        actual = self._actual()
        stages = []
        for i, ctl in self.stage_controls.items():
            s = actual.stages[i - 1]
            entry: dict[str, Any] = {"include": ctl["include"].value, "borrow": ctl["borrow"].value or None}
            for k in ("rd_activity", "marketing_activity", "intermediary"):
                if ctl[k].value != getattr(s, k):
                    entry[k] = ctl[k].value
            if ctl["depth"].value != s.depth:
                entry["depth"] = ctl["depth"].value
            if ctl["lead"].value != s.lead:
                entry["lead"] = ctl["lead"].value
            if ctl["interaction"].value != s.interaction and "depth" not in entry and "lead" not in entry:
                entry["interaction"] = ctl["interaction"].value   # a pattern with no depth/lead (own case files)
            stages.append(entry)
        bounds = {k: sl.value for k, sl in self.boundaries.items() if sl.value != actual.stages[k].start_year}
        n_incl = sum(1 for s in stages if s["include"])
        order = self.order.value if self.order.value and len(self.order.value) == n_incl else None
        return {"stages": stages, "order": order, "boundaries": bounds,
                "business_model": self.business_model.value if self.business_model.value != actual.business_model else None,
                "collaboration_mode": self.mode.value if self.mode.value != actual.collaboration_mode else None,
                "resource_constraint": self.resources.value if self.resources.value != actual.resource_constraint else None}

    def _update(self, _change=None):
        if self._busy:
            return
        self.last_problem = None
        self.problem_html.value = ""
        actual = self._actual()
        n_incl = sum(1 for c in self.stage_controls.values() if c["include"].value)
        if self.order.value is None or len(self.order.value) != n_incl:
            self._busy = True
            try:
                self._set_order_options(n_incl)
            finally:
                self._busy = False
        try:
            self.case = alternative_from_settings(actual, **self.settings())
            self.result = co.evaluate(self.case, actual)
        except CasekitError as exc:  # e.g. a borrowed stage that no longer fits: say so, keep going
            self.case = actual
            self.result = co.Evaluation(case=actual, actual=actual, valid=False, problems=(str(exc),))
        self.graph = cd.compare(self.result)
        self._render()

    def _render(self):
        r = self.result
        colour = {"consistent": "#2ca02c", "debatable": "#ff9f1c", "contradicts": "#d62728", "invalid": "#777"}[r.verdict]
        formed = ", ".join(r.label(c) for c in r.capabilities_formed) or "—"
        lost = ", ".join(r.label(c) for c in r.capabilities_not_formed) or "—"
        self.summary.value = (
            f"<div style='border-left:6px solid {colour};padding:4px 10px'><b>{r.verdict_label}</b><br>"
            f"{t('Capabilities formed', '形成的能力')}: {formed}<br>{t('Not formed', '未形成')}: {lost}<br>"
            f"<i>{t('Discuss', '讨论')}: {r.question}</i></div>")
        items = []
        for f in r.findings:
            ev = "; ".join((e["concept_zh"] if get_language() == "zh" else e["concept_en"]) for e in f.evidence)
            c = "#d62728" if f.severity == "contradicts" else "#ff9f1c"
            where = t(f"stage {f.stage}", f"第{f.stage}阶段") if f.stage else t("whole case", "整体")
            items.append(f"<li><span style='color:{c}'><b>{f.severity_label}</b></span> · {f.rule_name} ({where}): "
                         f"{f.reason}<br><small>{t('Evidence', '证据')}: {ev or '—'} · {f.cite}</small></li>")
        if not r.valid:
            items = [f"<li>{p}</li>" for p in r.problems]
        self.findings_html.value = "<ul>" + "".join(items) + "</ul>" if items else ""
        self._draw()

    def _draw(self):
        """The comparison diagram: the form the page shows (both until a browser has said which)."""
        if not self.draw or self.graph is None:
            return
        phone = self.watch.narrow if self.watch is not None else None
        _draw_into(self.diagram, _show(self.graph, "both" if phone is None else ("narrow" if phone else "wide")))

    def reset(self):
        """Back to the actual case of the selected firm."""
        self._on_firm()

    def _on_language(self, _lang: str):
        firm = self.firm.value
        self._busy = True
        try:
            self.firm.options = [(c.name, f) for f, c in self.cases.items()]
            self.firm.value = firm
        finally:
            self._busy = False
        self._on_firm()

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)


def explore(firm: str | co.Case = "keda", extra_cases: list[co.Case] | None = None) -> StageExplorer:
    """Open the stage-transition explorer (the notebook's one-liner)."""
    return StageExplorer(firm, extra_cases)


class EvidenceBrowser:
    """Browse the paraphrased evidence (``evidence`` dataset) by firm, stage and construct."""

    def __init__(self, firm: str = "keda"):
        firms = ("keda", "zhongtu")
        if not isinstance(firm, str) or firm.strip().lower() not in firms:
            raise CasekitError(t(f"EvidenceBrowser has no firm {short(firm)}; use 'keda' or 'zhongtu', e.g. EvidenceBrowser('keda').",
                                 f"EvidenceBrowser 没有企业 {short(firm)}；请用 'keda' 或 'zhongtu'，例如 EvidenceBrowser('keda')。"))
        self.data = load_dataset("evidence")
        self.last_problem: str | None = None
        self.problem_html = W.HTML()
        self.firm = arm(guarded(W.Dropdown)(options=[("Keda 科达", "keda"), ("Zhongtu 中涂", "zhongtu")],
                                            value=firm.strip().lower(), layout=W.Layout(width="200px")), self._report)
        self.construct = arm(guarded(W.Dropdown)(layout=W.Layout(width="420px")), self._report)
        _named(self.firm, t("firm", "企业"))
        _named(self.construct, t("stage · construct", "阶段 · 构念"))
        self.view = W.HTML()
        self.rows = self.data.iloc[0:0]
        self.firm.observe(self._on_firm, "value")
        self.construct.observe(self._show, "value")
        self.widget = W.VBox([phone_style(), W.HBox([self.firm, self.construct], layout=_wrap()), self.problem_html,
                              self.view])
        self.widget.add_class("ck-explorer")
        self._on_firm()

    def _report(self, message: str):
        """One line above the evidence for a value a control could not take (it keeps a valid one)."""
        import html

        self.last_problem = message
        self.problem_html.value = f"<div style='color:#c0392b'>⚠ {html.escape(message)}</div>"

    def _on_firm(self, _change=None):
        part = self.data[self.data.firm == self.firm.value]
        zh = get_language() == "zh"
        opts = []
        for (stage, construct_en, construct_zh), _ in part.groupby(["stage_order", "construct_en", "construct_zh"],
                                                                     observed=True, sort=False):
            opts.append((f"{stage} · {construct_zh if zh else construct_en}", construct_en))
        self.construct.options = opts
        self.construct.value = opts[0][1]
        self._show()

    def _show(self, _change=None):
        zh = get_language() == "zh"
        d, b = self.data, bare(self.data)   # b: the same columns, no provenance for pandas to copy into each
        self.rows = d[(b.firm == self.firm.value) & (b.construct_en == self.construct.value)]
        items = "".join(f"<li><b>{r.concept_zh if zh else r.concept_en}</b> ({r.concept_zh}): "
                        f"{r.summary_zh if zh else r.summary_en} <small>[{r.cite}]</small></li>" for r in bare(self.rows).itertuples())
        self.view.value = f"<ul>{items}</ul>"

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)


from ._guard import protect as _protect  # noqa: E402

_protect(globals(), __all__)
