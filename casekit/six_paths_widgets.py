"""Unit 3 widget: the path-fit advisor.

Sliders and toggles for a firm's or cluster's profile; the six paths ranked with the reasons for
and against each, updating at once; presets for Haier, Hisense (one per episode), Aucma and a
typical little giant (unit 2); a reset button. The computation is :func:`casekit.six_paths.advise`;
this module only wires controls to it. Results live in Python state (``advisor.advice``), so
tests and notebooks read them without going through the browser.

On a phone (see :mod:`casekit.plotting`) each control has its name on the line above it and is a
thumb's size, and a short ranking (the three best fits) stays in view at the foot of the screen
while the controls are scrolled through; the full ranking follows the controls.

>>> from casekit.six_paths_widgets import PathFitAdvisor
>>> a = PathFitAdvisor(preset="hisense_chip")
>>> a.advice.top.path
'original'
>>> a.controls["rd_resources"].value = 1
>>> a.advice.top.path != "original"
True
"""
from __future__ import annotations

import html
import time

import ipywidgets as W

from . import i18n
from ._guard import arm, guarded, short
from .errors import CasekitError
from .plotting import phone_style
from .six_paths import (FOR_THRESHOLD, Advice, _path_names, advise, default_profile, factors, preset,
                        preset_info, preset_names)

__all__ = ["PathFitAdvisor", "path_fit_advisor"]

_CUSTOM = "__custom__"
# Fits JupyterLab's output area at 1280x800 with the file browser open (about 848 px wide):
# the controls in one compact column, the ranking beside them in a box that scrolls on its own,
# so the ranking never scrolls away from the lower sliders.
# Measured in Chromium at 1280x800 with the file browser open: about 680 px tall (it was 1,400).
_LABEL_W, _CONTROL_W, _RANKING_W, _RANKING_H = 210, 160, 430, 500


class PathFitAdvisor:
    """The advisor widget. Display it as a cell's last expression (or ``display(advisor)``).

    Attributes kept for code and tests: ``controls`` (field -> control), ``preset_picker``,
    ``reset_button``, ``advice`` (the latest :class:`~casekit.six_paths.Advice`), ``profile``,
    ``updates`` (how many times the ranking was recomputed) and ``last_update_ms``.
    """

    def __init__(self, preset: str | None = None):
        if preset is not None and (not isinstance(preset, str) or preset not in preset_names()):
            raise CasekitError(i18n.t(
                f"There is no preset {short(preset)}. Presets: {', '.join(preset_names())}; choose one of them "
                "(or None for your own profile).",
                f"没有预设 {short(preset)}。可用预设：{', '.join(preset_names())}（或 None 表示自定义画像）。"))
        self._start = preset     # Reset returns here: the preset the cell opened with
        self._base = preset      # the preset the current profile started from (shown while edited)
        self.last_problem: str | None = None
        self._factors = factors()
        self._hold = False
        self.updates = 0
        self.last_update_ms = 0.0
        self.controls: dict[str, W.ValueWidget] = {}
        start = default_profile()
        Toggle, Slider = guarded(W.ToggleButtons), guarded(W.IntSlider)
        for f in self._factors.itertuples():
            if f.kind == "bool":
                c = Toggle(options=[("–", False), ("✓", True)], value=bool(start[f.factor]),
                           style={"button_width": "48px", "description_width": f"{_LABEL_W}px"},
                           layout=W.Layout(width=f"{_LABEL_W + _CONTROL_W}px"))
            else:
                c = Slider(value=int(start[f.factor]), min=int(f.min), max=int(f.max), step=1,
                           continuous_update=True, style={"description_width": f"{_LABEL_W}px"},
                           layout=W.Layout(width=f"{_LABEL_W + _CONTROL_W}px"))
            # its name is the control's own label (a phone shows it above the control)
            c.description_allow_html = True
            c.add_class("ck-factor")
            arm(c, self._report, label=f.factor)
            c.observe(self._on_change, names="value")
            self.controls[f.factor] = c
        self.preset_picker = arm(guarded(W.Dropdown)(layout=W.Layout(width="340px")), self._report)
        self.preset_picker.observe(self._on_preset, names="value")
        self.reset_button = W.Button(icon="undo")
        self.reset_button.on_click(lambda _: self.reset())
        self.header = W.HTML()
        self.preset_note = W.HTML()
        self.result_html = W.HTML()
        self.problem_html = W.HTML()
        self.top_html = W.HTML()          # a phone's short ranking, kept in view under the controls
        self.top_html.add_class("ck-sticky")
        self.top_html.add_class("ck-phone-only")
        rows = [W.HBox([self.controls[k]], layout=W.Layout(align_items="center")) for k in self.controls]
        for r in rows:
            r.add_class("ck-factor-row")
        self.controls_box = W.VBox(rows, layout=W.Layout(width=f"{_LABEL_W + _CONTROL_W + 10}px"))
        self.ranking_box = W.Box([self.result_html], layout=W.Layout(
            width=f"{_RANKING_W}px", max_height=f"{_RANKING_H}px", overflow="auto"))
        self.ranking_box.add_class("ck-scrollbox")
        self.box = W.VBox([
            phone_style(),
            self.header,
            W.HBox([self.preset_picker, self.reset_button], layout=W.Layout(align_items="flex-end")),
            self.preset_note,
            self.problem_html,
            W.HBox([self.controls_box, self.top_html, self.ranking_box]),
        ])
        self.box.add_class("ck-explorer")
        self._relabel()
        i18n.on_language_change(self._on_language)
        if preset is not None:
            self.preset_picker.value = preset   # validated against the options by ipywidgets
            self.apply_preset(preset)
        else:
            self._update()

    # ------------------------------------------------------------------ public actions
    @property
    def profile(self) -> dict:
        return {k: (bool(c.value) if isinstance(c, W.ToggleButtons) else int(c.value))
                for k, c in self.controls.items()}

    def apply_preset(self, name: str) -> None:
        """Set every control from a preset profile (one recomputation, not fifteen)."""
        values = preset(name)
        self._base = name
        self._set_all(values)
        self._hold = True
        try:
            self.preset_picker.value = name
        finally:
            self._hold = False
        self._update()

    def reset(self) -> None:
        """Back to where the advisor opened: its starting preset, or the kit's default profile."""
        if self._start is not None:
            self.apply_preset(self._start)
            return
        self._base = None
        self._set_all(default_profile())
        self._hold = True
        try:
            self.preset_picker.value = _CUSTOM
        finally:
            self._hold = False
        self._update()

    # ------------------------------------------------------------------ wiring
    def _set_all(self, values: dict) -> None:
        self._hold = True
        try:
            for k, v in values.items():
                self.controls[k].value = v
        finally:
            self._hold = False

    def _on_change(self, change) -> None:
        if self._hold:
            return
        name = self.preset_picker.value
        if name not in (None, _CUSTOM) and self.profile != preset(name):
            self._hold = True           # edited: no longer the preset, say so in the picker
            try:
                self.preset_picker.value = _CUSTOM
            finally:
                self._hold = False
        self._update()

    def _report(self, message: str) -> None:
        """One line above the controls for a value a control could not take (it keeps a valid one)."""
        self.last_problem = message
        self.problem_html.value = f"<div style='color:#c0392b'>⚠ {html.escape(message)}</div>"

    def _on_preset(self, change) -> None:
        if self._hold:
            return
        if change["new"] == _CUSTOM or change["new"] is None:
            self._update()
            return
        else:
            self.apply_preset(change["new"])

    def _update(self) -> None:
        t0 = time.perf_counter()
        self.last_problem = None
        self.problem_html.value = ""
        self.advice: Advice = advise(self.profile)
        self.result_html.value = self._render(self.advice)
        self.top_html.value = self._render_top(self.advice)
        self.preset_note.value = self._preset_note()
        self.updates += 1
        self.last_update_ms = (time.perf_counter() - t0) * 1000

    def _on_language(self, _lang: str) -> None:
        self._relabel()

    def _relabel(self) -> None:
        L = i18n.get_language()
        for f in self._factors.itertuples():
            # a block with its own line height: JupyterLab gives widget labels 28-px lines, which made
            # three-line labels 84 px tall and the advisor about 1,200 px (the kit's CSS sets 14 px)
            self.controls[f.factor].description = (
                f"<span title='{html.escape(getattr(f, 'help_' + L))}'>{html.escape(getattr(f, 'label_' + L))}</span>")
            self.controls[f.factor].tooltip = getattr(f, "help_" + L)
        current = self.preset_picker.value
        options = [(i18n.t("(your own profile)", "（自定义画像）"), _CUSTOM)]
        options += [(preset_info(p)["name_" + L], p) for p in preset_names()]
        self._hold = True
        try:
            self.preset_picker.options = options
            self.preset_picker.value = current if current in dict((v, v) for _, v in options) else _CUSTOM
        finally:
            self._hold = False
        self.preset_picker.description = i18n.t("Preset", "预设")
        self.preset_picker.style = {"description_width": "initial"}
        self.preset_picker.add_class("ck-stack")
        self.reset_button.description = i18n.t("Reset", "重置")
        self.header.value = "<b>{}</b><br><small>{}</small>".format(
            html.escape(i18n.t("Path-fit advisor: which of the six paths suits this firm or cluster?",
                               "路径匹配顾问：六条路径中哪条适合这家企业或集群？")),
            html.escape(i18n.t("Conditions from source 004 §3 and §5; the weights are the kit's judgement "
                               "(illustrative), not the paper's. Hover a label for its scale.",
                               "条件来自来源004第3节和第5节；权重是本套件的判断（示意性），并非论文所给。"
                               "鼠标悬停在标签上可查看分值说明。")))
        if hasattr(self, "advice"):
            self.result_html.value = self._render(self.advice)
            self.top_html.value = self._render_top(self.advice)
            self.preset_note.value = self._preset_note()

    def _shown_preset(self) -> str | None:
        """The preset the profile comes from: the picker's, or the one it was edited from."""
        name = self.preset_picker.value
        return self._base if name in (None, _CUSTOM) else name

    def _preset_note(self) -> str:
        name = self._shown_preset()
        if name is None:
            return ""
        info = preset_info(name)
        L = i18n.get_language()
        taken = info["paths_taken"]
        names = [_path_names()[p][0 if L == "en" else 1] for p in taken]
        taken_txt = ", ".join(names) if names else i18n.t("none reported in the source", "原文没有报告")
        changed = self.profile != preset(name)
        edited = i18n.t(" (edited: now your own profile)", "（已修改，现为自定义画像）") if changed else ""
        return ("<div style='font-size:12px;line-height:16px'><b>{}</b>{} · {}<br>{}: {}<br>{} <i>[{}]</i></div>").format(
            html.escape(info["name_" + L]), edited, html.escape(info["period_" + L]),
            html.escape(i18n.t("Path(s) the source reports", "原文报告的路径")), html.escape(taken_txt),
            html.escape(info["rationale_" + L]), html.escape(info["cite"]))

    def _render_top(self, advice: Advice) -> str:
        """The three best fits in one short block: what a phone keeps in view while sliders move."""
        head = html.escape(i18n.t("Best fits (full ranking below the controls)", "最匹配的路径（完整排序见控件下方）"))
        items = "".join(
            f"<div><b>{f.rank}. {html.escape(f.name)}</b> {f.fit:.0f}"
            + (" <span style='color:#c0392b'>" + html.escape(i18n.t("prerequisite missing", "缺少前提")) + "</span>"
               if f.capped else "") + "</div>"
            for f in advice.ranking[:3])
        return f"<div style='font-size:14px;line-height:1.45'><small>{head}</small>{items}</div>"

    def _render(self, advice: Advice) -> str:
        name = self._shown_preset()
        taken = set(preset_info(name)["paths_taken"]) if name is not None else set()
        out = ["<div style='font-size:12px;line-height:1.3'>"]
        for f in advice.ranking:
            color = "#bbbbbb" if f.capped else ("#2b8a3e" if f.fit >= 100 * FOR_THRESHOLD else "#4a78c0")
            star = " ★" if f.path in taken else ""
            cap = (" <span style='color:#c0392b'>" + html.escape(i18n.t("prerequisite missing", "缺少前提"))
                   + "</span>") if f.capped else ""
            out.append(
                f"<div style='margin:4px 0'><b>{f.rank}. {html.escape(f.name)}{star}</b> {f.fit:.0f}{cap}"
                f"<div style='background:#eee;height:8px;width:100%'><div style='background:{color};"
                f"height:8px;width:{f.fit:.1f}%'></div></div>")
            for sign, reasons, col in (("+", f.reasons_for, "#2b8a3e"), ("−", f.reasons_against, "#c0392b")):
                for r in reasons:
                    out.append(f"<div style='color:{col};margin-left:12px'>{sign} {html.escape(r.text)} "
                               f"<small style='color:#888'>[004 {html.escape(r.basis.replace('004 ', ''))}]</small></div>")
            out.append("</div>")
        if taken:
            out.append("<small>★ " + html.escape(i18n.t("the path the source reports for this preset",
                                                          "原文报告该预设采用的路径")) + "</small>")
        out.append("</div>")
        return "".join(out)

    # ------------------------------------------------------------------ display
    def _repr_mimebundle_(self, **kwargs):
        return self.box._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        return f"PathFitAdvisor(preset={self.preset_picker.value!r})\n{self.advice!r}"


def path_fit_advisor(preset: str | None = None) -> PathFitAdvisor:
    """Make the path-fit advisor, optionally starting from a preset (see ``six_paths.preset_names()``)."""
    return PathFitAdvisor(preset=preset)


from ._guard import protect as _protect  # noqa: E402

_protect(globals(), __all__)
