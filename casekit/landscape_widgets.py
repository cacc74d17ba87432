"""Unit 1 widget: the source-quality lens.

A thin layer over :mod:`casekit.landscape`: controls choose the source types, whether to keep
traceable or untraceable claims, whether to hide the vendor's product pitch, the sort order and
the view (claim list or related figures side by side). The current result lives in Python state
(``lens.result``, ``lens.pairs``, ``lens.counts``) so it can be tested without a browser; an
``HTML`` widget (``lens.table``) only displays it, so the view works the same in nbclient,
JupyterLab and Voila. On a phone the controls are a thumb's size, each with its name above it, and
the claims read as a list of cards (see :mod:`casekit.tables`).

>>> from casekit.landscape_widgets import SourceQualityLens
>>> lens = SourceQualityLens()
>>> lens.source_types.value = ("vendor_blog",)
>>> lens.traceable.value = "untraceable"
>>> len(lens.result)
23
"""
from __future__ import annotations

import html
import re

import ipywidgets as widgets
import pandas as pd

from . import i18n, landscape
from .datasets import records
from ._guard import arm, guarded, short
from .errors import CasekitError
from .plotting import phone_style
from .tables import frame_html

__all__ = ["SourceQualityLens", "source_quality_lens"]

_TRACE_COLOURS = {"reference_list": "#1b5e20", "own_data": "#4c9a52", "named_source": "#7a9a3a",
                  "interview": "#a08a1c", "anonymous_case": "#c46a1f", "unsourced": "#c8453c"}
_SORT_LABELS = {"source_type": ("source type (strongest first)", "来源类型（证据分量由强到弱）"),
                "traceability": ("traceability (most traceable first)", "可追溯性（由强到弱）"),
                "value": ("value, within each unit", "数值（按单位分组）"), "source": ("document", "文献"), "as_of": ("date", "时间"),
                "claim_id": ("claim id", "论断编号")}
_TRACE_FILTER = {"all": ("all claims", "全部论断"), "traceable": ("names a source", "有出处"),
                 "untraceable": ("names no source", "无出处")}
_VIEWS = {"claims": ("claims", "论断列表"), "side_by_side": ("related figures side by side", "相关数字并排对照")}


class SourceQualityLens:
    """Filter and sort the unit-1 claims by source type and traceability; compare related figures.

    Attributes
    ----------
    result : DataFrame
        The claims currently selected (rows of ``srdi_statistics``), in the chosen order.
    pairs : DataFrame
        Related figures from different kinds of source, side by side (:func:`landscape.side_by_side`),
        restricted to the selected source types.
    counts : dict
        ``{"shown", "untraceable", "promotional"}`` for the current selection.
    """

    def __init__(self, source_types=landscape.SOURCE_TYPES, traceable: str = "all",
                 sort_by: str = "source_type", hide_promotional: bool = False, view: str = "claims"):
        if not isinstance(traceable, str) or traceable not in _TRACE_FILTER:
            raise CasekitError(f"traceable must be one of {', '.join(_TRACE_FILTER)}, not {short(traceable)}.")
        if not isinstance(view, str) or view not in _VIEWS:
            raise CasekitError(f"view must be one of {', '.join(_VIEWS)}, not {short(view)}.")
        if source_types is None:
            source_types = landscape.SOURCE_TYPES
        landscape._as_list(source_types, landscape.SOURCE_TYPES, "source type")
        if not isinstance(sort_by, str) or sort_by not in landscape.SORT_KEYS:
            raise CasekitError(f"Cannot sort by {short(sort_by)}. Choose one of: {', '.join(landscape.SORT_KEYS)}.")
        if not isinstance(hide_promotional, bool):
            raise CasekitError(f"hide_promotional must be True or False, not {short(hide_promotional)}.")
        self.last_problem: str | None = None
        self._data = landscape.claims()
        self._data.attrs = {}   # pandas deep-copies attrs on every filter: keep the working copy bare
        self._pairs: dict[str, pd.DataFrame] = {}
        self.source_types = guarded(widgets.SelectMultiple)(rows=3, layout=widgets.Layout(width="230px"))
        self.traceable = guarded(widgets.Dropdown)(layout=widgets.Layout(width="200px"))
        self.sort_by = guarded(widgets.Dropdown)(layout=widgets.Layout(width="260px"))
        self.hide_promotional = guarded(widgets.Checkbox)(value=hide_promotional, indent=False)
        self.view = guarded(widgets.ToggleButtons)(style={"button_width": "auto"})
        self.status = widgets.HTML()
        self.table = widgets.HTML()
        self.problem_html = widgets.HTML()
        # every control carries its own name (a description shown above it), relabelled on a language switch
        self.hint = widgets.HTML()
        self._box: widgets.Widget | None = None
        self._building = True
        self._set_labels()
        self.source_types.value = tuple([source_types] if isinstance(source_types, str) else source_types)
        self.traceable.value = traceable
        self.sort_by.value = sort_by
        self.view.value = view
        self._building = False
        for w in (self.source_types, self.traceable, self.sort_by, self.hide_promotional, self.view):
            arm(w, self._report)
            w.observe(self._on_change, names="value")
        i18n.on_language_change(self._on_language)
        self.result = pd.DataFrame()
        self.pairs = pd.DataFrame()
        self.counts: dict[str, int] = {}
        self.update()

    # -- wiring ---------------------------------------------------------------------------------
    def _set_labels(self) -> None:
        keep = (self.source_types.value, self.traceable.value, self.sort_by.value, self.view.value)
        building, self._building = self._building, True
        self.source_types.options = [(i18n.t(*landscape.SOURCE_TYPE_LABELS[s]), s) for s in landscape.SOURCE_TYPES]
        self.source_types.description = i18n.t("Source types", "来源类型")
        self.source_types.style = {"description_width": "initial"}
        self.source_types.add_class("ck-stack")
        self.traceable.options = [(i18n.t(*v), k) for k, v in _TRACE_FILTER.items()]
        self.sort_by.options = [(i18n.t(*v), k) for k, v in _SORT_LABELS.items()]
        # every control named above it, in the current language
        self.traceable.description = i18n.t("Show", "显示")
        self.sort_by.description = i18n.t("Sort by", "排序")
        for w in (self.traceable, self.sort_by):
            w.style = {"description_width": "initial"}
            w.add_class("ck-stack")
        self.view.options = [(i18n.t(*v), k) for k, v in _VIEWS.items()]
        self.hide_promotional.description = i18n.t("hide the vendor's product pitch", "隐藏厂商的产品推销")
        t = i18n.t
        self.hint.value = ("<div style='color:#555;font-size:11px;line-height:14px'>"
                           + t("Ctrl-click (⌘-click on a Mac) to pick several; Shift-click for a run.",
                               "按住 Ctrl（Mac 上按 ⌘）点击可多选；按住 Shift 点击可连选。") + "</div>")
        if keep[0]:
            self.source_types.value, self.traceable.value, self.sort_by.value, self.view.value = keep
        self._building = building

    def _on_change(self, _change=None) -> None:
        if not self._building:
            self.update()

    def _report(self, message: str) -> None:
        """One line above the table for a value a control could not take (it keeps a valid one)."""
        self.last_problem = message
        self.problem_html.value = f"<div style='color:#c0392b'>⚠ {html.escape(message)}</div>"

    def _on_language(self, _lang: str) -> None:
        self._set_labels()
        self.update()

    # -- the computation ------------------------------------------------------------------------
    def update(self) -> None:
        """Recompute the state from the controls and redraw."""
        self.last_problem = None
        self.problem_html.value = ""
        types = list(self.source_types.value)
        trace = {"all": None, "traceable": True, "untraceable": False}[self.traceable.value]
        promo = False if self.hide_promotional.value else None
        if types:
            self.result = landscape.claims(types, traceable=trace, promotional=promo,
                                           sort_by=self.sort_by.value, data=self._data)
        else:
            self.result = self._data.iloc[0:0]
        lang = i18n.get_language()
        if lang not in self._pairs:            # the data never changes: build each language once
            self._pairs[lang] = landscape.side_by_side()
        pairs = self._pairs[lang]
        cols = [c for c in pairs.columns if c in types]
        self.pairs = pairs[cols + ["note"]] if len(cols) >= 2 else pairs.iloc[0:0][cols + ["note"]]
        self.counts = {
            "shown": len(self.result),
            "untraceable": int((~self.result["names_source"].astype(bool)).sum()) if len(self.result) else 0,
            "promotional": int(self.result["promotional"].astype(bool).sum()) if len(self.result) else 0,
        }
        self._render()

    def display_table(self) -> pd.DataFrame:
        """The claims shown, as a display table in the current language."""
        t = i18n.t
        recs = records(self.result)   # plain dicts: iterrows copies attrs row by row (slow)
        cols = {
            t("source", "来源"): [str(x["source"]) for x in recs],
            t("source type", "来源类型"): [t(*landscape.SOURCE_TYPE_LABELS[str(x["source_type"])]) for x in recs],
            t("claim", "论断"): [i18n.label(x, "claim") for x in recs],
            t("value", "数值"): [landscape._cell(x).split(" (")[0] for x in recs],
            t("as of", "时间"): [x["as_of"] or "—" for x in recs],
            t("backed by", "依据"): [t(*landscape.TRACEABILITY_LABELS[str(x["traceability"])]) for x in recs],
            t("where", "位置"): [x["cite"] for x in recs],
        }
        return pd.DataFrame(cols)

    # -- display --------------------------------------------------------------------------------
    def _render(self) -> None:
        t = i18n.t
        c = self.counts
        self.status.value = (
            f"<b>{c['shown']}</b> {t('claims shown', '条论断')} · "
            f"<span style='color:#c8453c'><b>{c['untraceable']}</b> {t('name no source', '条无出处')}</span> · "
            f"<b>{c['promotional']}</b> {t('promote the publisher', '条在推销发布者自家的产品')}"
        )
        if self.view.value == "side_by_side":
            if self.pairs.empty:
                body = f"<i>{html.escape(t('Select at least two source types to see their related figures side by side.', '请至少选择两类来源，才能并排对照相关数字。'))}</i>"
            else:
                # topics by name, in one header row (the ids and an empty "topic" row header are gone)
                p = self.pairs.rename(columns={**{s: t(*landscape.SOURCE_TYPE_LABELS[s]) for s in landscape.SOURCE_TYPES},
                                               "note": t("how they compare", "如何比较")})
                p.insert(0, t("topic", "主题"), [landscape.related_group_label(g) for g in p.index])
                body = p.to_html(index=False, escape=True)
        elif self.result.empty:
            body = f"<i>{html.escape(t('No claim matches: widen the selection.', '没有符合条件的论断，请放宽筛选。'))}</i>"
        elif self.sort_by.value == "value":
            body = ("<p><small>" + html.escape(t("Sorted by value within each unit: claims are grouped by unit, "
                                                  "since firms, percentages and years are not on one scale.",
                                                  "按单位分组后在组内按数值排序：家数、百分比和年份不在同一尺度上。"))
                    + "</small></p>" + self._claims_html())
        else:
            body = self._claims_html()
        # a box that scrolls on its own on a laptop; on a phone the page scrolls (no scroll inside a scroll)
        self.table.value = f"<div class='ck-scrollbox' style='max-height:420px;overflow:auto;font-size:12px'>{body}</div>"

    def _claims_html(self) -> str:
        tab = self.display_table()
        body = frame_html(tab)
        # the row numbers say nothing here (the laptop table never showed them): hidden
        body = body.replace("<table ", "<table style='font-size:12px' ", 1).replace(
            "</style>", ".ck-lens-claims tr>:first-child{display:none!important}</style>", 1)
        body = body.replace('<div class="ck-frame"', '<div class="ck-frame ck-lens-claims"', 1)
        # colour the 'backed by' cells so untraceable claims stand out when projected
        for label, trace in zip(tab.iloc[:, 5], self.result["traceability"].astype(str)):
            cell = re.compile(r"<td( data-label=\"[^\"]*\")?>" + re.escape(html.escape(label)) + "</td>")
            body = cell.sub(lambda m: f"<td{m.group(1) or ''} style='color:{_TRACE_COLOURS[trace]};font-weight:bold'>"
                                      f"{html.escape(label)}</td>", body, count=1)
        return body

    def widget(self) -> widgets.Widget:
        """The assembled controls, status line and output (built once; relabelled on a language switch)."""
        if self._box is None:
            head = widgets.HBox([
                widgets.VBox([self.source_types, self.hint],
                             layout=widgets.Layout(width="240px")),
                widgets.VBox([self.traceable, self.hide_promotional]),
                widgets.VBox([self.sort_by]),
            ], layout=widgets.Layout(flex_flow="row wrap"))
            self._box = widgets.VBox([phone_style(), head, self.view, self.problem_html, self.status, self.table])
            self._box.add_class("ck-explorer")
        return self._box

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget())


def source_quality_lens(**kwargs) -> SourceQualityLens:
    """Build the source-quality lens (see :class:`SourceQualityLens` for the options)."""
    return SourceQualityLens(**kwargs)


from ._guard import protect as _protect  # noqa: E402

_protect(globals(), __all__)
