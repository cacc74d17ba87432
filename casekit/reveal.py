"""Decide first, then see what happened: the A/B split of a case in a notebook.

A case method class reads the A case (up to the decision), commits to a decision and a
prediction, argues, and only then learns what the firm did (the B case, 后续进展). Two widgets
carry that order into a notebook or a classroom page:

* :func:`decide` shows a unit's decision points (``decision_points`` in
  ``datasets/decision_cases/<unit>.yaml``): pick an option, write one sentence of reason, change it
  at will. Working alone (JupyterLab), the answers are kept in the user's casekit folder
  (``answers.json`` beside ``settings.json``), so they survive a kernel restart; on the classroom
  server (``CASEKIT_CLASSROOM=1``) they stay in the page's kernel.
* :func:`what_happened` is the reveal: a button that shows the B case. On the classroom server
  every cell below it is hidden until it is pressed (those cells carry the tag ``ck-sequel`` in the
  served copy; the hiding rule lives in this widget, so pressing it shows them).

>>> from casekit import reveal
>>> [p.id for p in reveal.points("keda_zhongtu")][:1]  # doctest: +SKIP
['keep_or_focus']
"""
from __future__ import annotations

import html
import json
import os
import time
from pathlib import Path
from typing import Any

from . import decision_cases as dc
from . import i18n
from .i18n import on_language_change, t
from .settings import _config_root

__all__ = ["mark_sequel", "points", "decide", "what_happened", "answers_path", "saved_answers", "SEQUEL_TAG", "REVEAL_TAG"]

SEQUEL_TAG = "ck-sequel"    # cells after the reveal, in the classroom's served copy
REVEAL_TAG = "ck-reveal"    # the cell that holds the reveal control
from .live import REASON_LIMIT  # characters of a reason; a sentence, not an essay (the store checks the same)
_HIDE = f"<style>.celltag_{SEQUEL_TAG}{{display:none!important}}</style>"
_CSS = """<style>
.ck-choice button.widget-button,.ck-choice .widget-button{min-height:44px;height:auto;white-space:normal;
 text-align:left;line-height:1.35;padding:8px 12px;margin:3px 0}
.ck-choice textarea{min-height:64px;font-size:15px}.ck-choice .ck-q{font-size:15px;line-height:1.5}
.ck-reveal-button.widget-button{min-height:48px;height:auto;white-space:normal;font-size:15px}
</style>"""


def mark_sequel(nb: dict) -> int:
    """Tag every cell after the reveal cell ``ck-sequel`` (in place), for a served copy in which they
    stay hidden until the reveal is pressed; returns how many cells were tagged (0: no reveal cell)."""
    cells = nb.get("cells") if isinstance(nb, dict) else None
    if not isinstance(cells, list):
        return 0
    tags_of = lambda c: (c.get("metadata") or {}).get("tags") or []  # noqa: E731
    at = next((i for i, c in enumerate(cells) if isinstance(c, dict) and REVEAL_TAG in tags_of(c)), None)
    if at is None:
        return 0
    for cell in cells[at + 1:]:
        if isinstance(cell, dict):
            tags = cell.setdefault("metadata", {}).setdefault("tags", [])
            if SEQUEL_TAG not in tags:
                tags.append(SEQUEL_TAG)
    return len(cells) - at - 1


def points(unit: str | int) -> list[dc.DecisionPoint]:
    """The decision points of ``unit``'s case: decisions first, then predictions."""
    case = dc.load_case(unit)
    return sorted(case.decision_points, key=lambda p: p.kind != "decision")


def _classroom() -> bool:
    return os.environ.get("CASEKIT_CLASSROOM", "") == "1"


def answers_path() -> Path:
    """Where a student's own answers are kept when working alone."""
    return _config_root(os.environ) / "answers.json"


def saved_answers() -> dict[str, dict[str, dict[str, Any]]]:
    """The answers kept so far ({unit: {point: {"option", "reason", "at"}}}); {} if none or unreadable."""
    if _classroom():
        return {}
    path = answers_path()
    try:
        if not path.is_file():
            return {}
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def _save(unit: str, point: str, option: str | None, reason: str) -> str | None:
    """Keep one answer; None when kept, else why not (the answer stays in the page either way)."""
    if _classroom():
        return None
    path = answers_path()
    data = saved_answers()
    entry = data.setdefault(unit, {})
    if not isinstance(entry, dict):
        entry = data[unit] = {}
    entry[point] = {"option": option, "reason": reason, "at": time.strftime("%Y-%m-%d %H:%M")}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        return str(exc.strerror or exc)
    return None


class _Point:
    """One decision point: the question, an option button each, a reason box, a status line."""

    def __init__(self, unit: str, point: dc.DecisionPoint, saved: dict[str, Any] | None):
        import ipywidgets as W

        self.unit, self.point = unit, point
        saved = saved if isinstance(saved, dict) else {}
        ids = [o.id for o in point.options]
        self.option: str | None = saved.get("option") if saved.get("option") in ids else None
        self.question = W.HTML()
        self.buttons = []
        for o in point.options:
            b = W.Button(layout=W.Layout(width="100%", max_width="40em"))
            b.on_click(lambda _b, oid=o.id: self._pick(oid))
            self.buttons.append(b)
        reason = saved.get("reason") if isinstance(saved.get("reason"), str) else ""
        self.reason = W.Textarea(value=reason[:REASON_LIMIT], continuous_update=False,
                                 layout=W.Layout(width="100%", max_width="40em"))
        self.reason.observe(self._on_reason, "value")
        self.status = W.HTML()
        self.widget = W.VBox([self.question, *self.buttons, self.reason, self.status])
        self.widget.add_class("ck-choice")
        self.render()

    def render(self) -> None:
        p, lang = self.point, i18n.get_language()
        kind = t("Your decision", "你的决策") if p.kind == "decision" else t("Your prediction", "你的预测")
        self.question.value = (f"<div class='ck-q'><b>{kind}</b>："
                               f"{html.escape(getattr(p, 'question_' + lang))}</div>").replace(
                                   "：", ": " if lang == "en" else "：")
        for b, o in zip(self.buttons, p.options):
            mark = "●" if o.id == self.option else "○"
            b.description = f"{mark} {getattr(o, lang)}"
            b.tooltip = getattr(o, lang)
            b.button_style = "info" if o.id == self.option else ""
        self.reason.placeholder = t(f"One sentence: why? (at most {REASON_LIMIT} characters)",
                                    f"一句话说明理由（最多 {REASON_LIMIT} 字）")
        self.reason.description = ""

    def _pick(self, option: str) -> None:
        self.option = option
        self.render()
        self._store()

    def _on_reason(self, change) -> None:
        text = change["new"] if isinstance(change["new"], str) else ""
        if len(text) > REASON_LIMIT:
            self.reason.value = text[:REASON_LIMIT]   # observed again with the cut text
            self.status.value = t(f"Kept the first {REASON_LIMIT} characters: one sentence is enough.",
                                  f"只保留前 {REASON_LIMIT} 个字：一句话就够了。")
            return
        self._store()

    def _store(self) -> None:
        why = _save(self.unit, self.point.id, self.option, self.reason.value)
        if why:
            self.status.value = t(f"Kept in this page only (could not save to {answers_path()}: {why}).",
                                  f"只保存在本页（无法写入 {answers_path()}：{why}）。")
        elif self.option is None:
            self.status.value = t("Pick an option; you may change it until the class moves on.",
                                  "请选一项；在全班继续之前都可以改。")
        else:
            where = t("in this page", "本页") if _classroom() else t("on this computer", "本机")
            self.status.value = t(f"Saved {where}. You may change it.", f"已保存在{where}，仍可修改。")


class Decide:
    """The decision points of one unit, as :func:`decide` shows them."""

    def __init__(self, unit: str | int):
        import ipywidgets as W

        self.unit = dc._check_unit(unit)
        saved = saved_answers().get(self.unit, {})
        saved = saved if isinstance(saved, dict) else {}
        self.panels = [_Point(self.unit, p, saved.get(p.id)) for p in points(self.unit)]
        self.widget = W.VBox([W.HTML(_CSS), *[p.widget for p in self.panels]])
        on_language_change(self._on_language)

    def answers(self) -> dict[str, dict[str, Any]]:
        return {p.point.id: {"option": p.option, "reason": p.reason.value} for p in self.panels}

    def _on_language(self, _lang: str) -> None:
        for p in self.panels:
            p.render()

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)


def decide(unit: str | int) -> Decide:
    """Commit to the unit's decision and prediction before seeing what happened.

    >>> casekit.reveal.decide("keda_zhongtu")   # doctest: +SKIP
    """
    return Decide(unit)


class WhatHappened:
    """The reveal: a button, then the B case (and, on the classroom server, every cell below)."""

    def __init__(self, unit: str | int, decided: Decide | None = None):
        import ipywidgets as W

        self.unit = dc._check_unit(unit)
        dc._sequel_of(self.unit)    # an analysis exercise has no B case: say so at once
        self.decided = decided
        self.revealed = False
        self._asked = False
        self.button = W.Button(layout=W.Layout(width="100%", max_width="40em"))
        self.button.add_class("ck-reveal-button")
        self.button.on_click(lambda _b: self._press())
        self.body = W.HTML()
        self.widget = W.VBox([W.HTML(_CSS), self.button, self.body])
        self._render()
        on_language_change(lambda _lang: self._render())

    def _undecided(self) -> bool:
        if self.decided is None:
            saved = saved_answers().get(self.unit, {})
            return not (isinstance(saved, dict) and any(isinstance(v, dict) and v.get("option") for v in saved.values()))
        return not any(p.option for p in self.decided.panels if p.point.kind == "decision")

    def _press(self) -> None:
        if not self.revealed and not self._asked and self._undecided():
            self._asked = True
        else:
            self.revealed = True
        self._render()

    def reveal(self) -> None:
        """Show the B case (as pressing the button twice would)."""
        self.revealed = True
        self._render()

    def _render(self) -> None:
        lang = i18n.get_language()
        if self.revealed:
            self.button.layout.display = "none"
            self.body.value = dc.case_html(self.unit, lang, part="B")
            return
        if self._asked:
            self.button.description = t("Show it anyway", "仍然打开")
            self.body.value = _HIDE + "<p>" + t(
                "You have not picked a decision above yet. The discussion works best when everyone has committed "
                "first; press again to see what happened anyway.",
                "你还没有在上面做出选择。大家先各自表态，讨论效果最好；如仍要现在看结果，请再按一次。") + "</p>"
            return
        self.button.description = t("Show what happened (case B)", "看看后来发生了什么（B 案例）")
        self.body.value = _HIDE + "<p>" + t(
            "Open this after you have decided and the class has discussed: it shows what the firm did and what "
            "the analysis below says about it.",
            "请在做出决策、全班讨论之后再打开：这里是企业后来的做法，以及下文对它的分析。") + "</p>"

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)


def what_happened(unit: str | int, decided: Decide | None = None) -> WhatHappened:
    """The reveal control for ``unit``'s B case; pass the :func:`decide` panel to check a choice was made."""
    return WhatHappened(unit, decided)


from ._guard import protect as _protect  # noqa: E402

_protect(globals(), ["points", "decide", "what_happened", "answers_path", "saved_answers"])
