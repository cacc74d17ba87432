"""Language switching: every label a user sees exists in Chinese and English.

>>> from casekit import i18n
>>> i18n.set_language("zh")
'zh'
>>> i18n.t("stage", "阶段")
'阶段'
>>> i18n.label({"name_en": "Keda", "name_zh": "科达"}, "name")
'科达'
>>> i18n.set_language("en")
'en'
>>> i18n.t("stage", "阶段")
'stage'
"""
from __future__ import annotations

import inspect
import weakref
from typing import Any, Callable

from .errors import CasekitError
from .settings import chosen_language

__all__ = ["LANGUAGES", "chosen_language", "get_language", "set_language", "t", "label", "on_language_change"]

LANGUAGES = ("en", "zh")
# The user's choice (CASEKIT_LANG, else the settings file, else English), read once per kernel.
_state = {"lang": chosen_language()}
# Bound methods are held weakly, so a widget nobody holds any more stops redrawing (and is freed).
_callbacks: list[Callable[[str], None] | weakref.WeakMethod] = []


def _short(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) or len(value) < 60 else repr(value[:40]) + "…"
    return text if len(text) < 80 else text[:79] + "…"


def get_language() -> str:
    """The current display language, ``"en"`` or ``"zh"``."""
    return _state["lang"]


def set_language(lang: str) -> str:
    """Switch tables, diagrams and widgets to ``"zh"`` (中文) or ``"en"`` (English).

    Open widgets that registered with :func:`on_language_change` redraw themselves (only when the
    language actually changes).
    """
    if not isinstance(lang, str) or lang.strip().lower() not in LANGUAGES:
        raise CasekitError(
            f"Unknown language {_short(lang)}. Use casekit.set_language('en') for English or "
            f"casekit.set_language('zh') for Chinese (中文)."
        )
    lang = lang.strip().lower()
    if lang == _state["lang"]:
        return lang
    _state["lang"] = lang
    for entry in list(_callbacks):
        cb = entry() if isinstance(entry, weakref.WeakMethod) else entry
        if cb is None:   # its widget is gone
            _callbacks.remove(entry)
            continue
        try:
            cb(lang)
        except Exception:  # a broken widget must not stop the switch for the others
            pass
    return lang


def on_language_change(callback: Callable[[str], None]) -> Callable[[str], None]:
    """Register ``callback(lang)`` to run after :func:`set_language` changes the language.

    A bound method (``self._relabel``) is held weakly: registering does not keep its object alive.
    """
    _callbacks.append(weakref.WeakMethod(callback) if inspect.ismethod(callback) else callback)
    return callback


def t(en: str, zh: str) -> str:
    """Return ``en`` or ``zh`` for the current language."""
    return zh if _state["lang"] == "zh" else en


def label(obj: Any, field: str, lang: str | None = None) -> str:
    """``obj[field + "_zh"]`` or ``obj[field + "_en"]`` for the current (or given) language.

    ``obj`` may be a mapping, a pandas Series / namedtuple row, or any object with attributes.
    """
    if not isinstance(field, str) or len(field) > 60 or (lang is not None and lang not in LANGUAGES):
        raise CasekitError(f"label() takes a field name such as 'name' and lang 'en', 'zh' or None, not "
                           f"{_short(field)} / {_short(lang)}; use e.g. label(row, 'name').")
    lang = lang or _state["lang"]
    key = f"{field}_{lang}"
    try:
        return obj[key]
    except (KeyError, TypeError, IndexError):
        pass
    if hasattr(obj, key):
        return getattr(obj, key)
    raise CasekitError(f"No {key!r} label on {type(obj).__name__}: pass a row or mapping with the fields "
                       f"{field}_en and {field}_zh.")

