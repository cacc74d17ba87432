"""Guards shared by the widgets and the public functions: bad input becomes one clear line.

* :func:`guarded` makes an ipywidgets control class whose ``.value`` assignments from Python are
  checked first. A value of the wrong type, a non-finite number, a fraction for a whole-number
  slider, an inverted range or an unknown choice leaves the control at its last valid value; an
  out-of-range number is clamped (as ipywidgets does) *and said*. Either way the owner's
  ``report(message)`` callback gets one line (the widget shows it in its readout) and nothing
  is raised, so a notebook cell never shows a traitlets traceback. Values coming from the browser
  do not pass through here (ipywidgets sets them with ``set_trait``), so dragging stays as fast.
* :func:`short` shortens a repr for a message (a 5 MB key must not make a 5 MB message).

Internal module: not part of the public API.
"""
from __future__ import annotations

import math
import numbers
import reprlib
from functools import lru_cache
from typing import Any, Callable

from . import i18n
from .errors import CasekitError
from .i18n import t

_repr = reprlib.Repr()
_repr.maxstring = 60
_repr.maxother = 60
_repr.maxlist = 6
_repr.maxtuple = 6
_repr.maxdict = 4
_repr.maxlevel = 2


def short(value: Any, limit: int = 80) -> str:
    """A repr of ``value`` cut to about ``limit`` characters (never raises)."""
    try:
        text = _repr.repr(value)
    except Exception:  # a broken __repr__ must not break the message about it
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _is_number(v: Any) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(float(v))


def _fmt(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def check_control_value(ctl: Any, value: Any) -> tuple[Any, str | None]:
    """``(value_to_set, problem)`` for a value assigned to ``ctl``: problem is None when fine;
    value_to_set is None when the control must keep its value."""
    name = ctl.__dict__.get("_label") or getattr(ctl, "description", "") or type(ctl).__name__.removeprefix("Guarded")
    has_range = hasattr(ctl, "min") and hasattr(ctl, "max") and not hasattr(ctl, "options")
    if has_range:
        lo, hi = ctl.min, ctl.max
        whole = isinstance(ctl.value, int) or (isinstance(ctl.value, tuple) and ctl.value
                                               and isinstance(ctl.value[0], int))
        items = tuple(value) if isinstance(value, (tuple, list)) and isinstance(ctl.value, tuple) else None
        if isinstance(ctl.value, tuple):
            if items is None or len(items) != 2 or not all(_is_number(v) for v in items):
                return None, t(f"{name}: {short(value)} is not a range; give two numbers (low, high), "
                               f"e.g. ({_fmt(lo)}, {_fmt(hi)}).",
                               f"{name}：{short(value)} 不是范围；请给两个数（下限, 上限），例如 ({_fmt(lo)}, {_fmt(hi)})。")
            if items[0] > items[1]:
                return None, t(f"{name}: the range {short(value)} is upside down; put the lower number first, "
                               f"e.g. ({_fmt(items[1])}, {_fmt(items[0])}).",
                               f"{name}：范围 {short(value)} 上下颠倒；请把较小的数放前面，例如 ({_fmt(items[1])}, {_fmt(items[0])})。")
            if whole and any(float(v) != int(v) for v in items):
                return None, t(f"{name}: use whole numbers, not {short(value)}.",
                               f"{name}：请用整数，而不是 {short(value)}。")
            clamped = tuple(min(max(v, lo), hi) for v in items)
            if clamped != items:
                return clamped, t(f"{name}: {short(value)} goes beyond {_fmt(lo)}–{_fmt(hi)}; set to "
                                  f"{_fmt(clamped[0])}–{_fmt(clamped[1])}.",
                                  f"{name}：{short(value)} 超出 {_fmt(lo)}–{_fmt(hi)}，已设为 {_fmt(clamped[0])}–{_fmt(clamped[1])}。")
            return value, None
        if not _is_number(value):
            return None, t(f"{name}: {short(value)} is not a number; use a number from {_fmt(lo)} to {_fmt(hi)}.",
                           f"{name}：{short(value)} 不是数字；请用 {_fmt(lo)} 到 {_fmt(hi)} 之间的数。")
        if whole and float(value) != int(value):
            return None, t(f"{name}: {short(value)} is not a whole number; use one from {_fmt(lo)} to {_fmt(hi)}.",
                           f"{name}：{short(value)} 不是整数；请用 {_fmt(lo)} 到 {_fmt(hi)} 之间的整数。")
        if not lo <= value <= hi:
            clamped = min(max(value, lo), hi)
            return clamped, t(f"{name}: {_fmt(value)} is outside {_fmt(lo)}–{_fmt(hi)}; set to {_fmt(clamped)}.",
                              f"{name}：{_fmt(value)} 超出 {_fmt(lo)}–{_fmt(hi)}，已设为 {_fmt(clamped)}。")
        return value, None
    return value, None


@lru_cache(maxsize=None)
def guarded(cls: type) -> type:
    """A subclass of the ipywidgets control ``cls`` whose Python-side ``.value`` is checked."""

    class Guarded(cls):
        def __setattr__(self, name: str, value: Any) -> None:
            if name != "value" or not self.__dict__.get("_guard_on"):
                return super().__setattr__(name, value)
            report: Callable[[str], None] | None = self.__dict__.get("_report")
            new, problem = check_control_value(self, value)
            if new is not None:
                try:
                    super().__setattr__(name, new)
                except Exception as exc:  # traitlets' TraitError (an unknown choice) and friends
                    from traitlets import TraitError

                    if not isinstance(exc, TraitError):
                        raise
                    choices = [short(v, 40) for v in getattr(self, "_options_values", ())]
                    if isinstance(self.value, bool) and not choices:
                        choices = ["True", "False"]
                    listed = ", ".join(choices)
                    if len(listed) > 200:
                        listed = listed[:199] + "…"
                    desc = self.__dict__.get("_label") or getattr(self, "description", "") or cls.__name__
                    problem = t(f"{desc}: {short(value)} is not allowed" + (f"; choose one of {listed}."
                                                                           if choices else "."),
                                f"{desc}：{short(value)} 不可用" + (f"；请从 {listed} 中选择。"
                                                                   if choices else "。"))
            if problem is not None:
                self.__dict__["last_problem"] = problem
                if report is not None:
                    report(problem)

    Guarded.__name__ = Guarded.__qualname__ = f"Guarded{cls.__name__}"
    return Guarded


def arm(ctl: Any, report: Callable[[str], None], label: str | None = None) -> Any:
    """Switch on the guard of a control made by :func:`guarded` and send its problems to ``report``
    (``label`` names the control in messages when it has no description of its own)."""
    ctl.__dict__["_report"] = report
    if label:
        ctl.__dict__["_label"] = label
    ctl.__dict__["_guard_on"] = True
    return ctl


# ----------------------------------------------------------------------------- the public boundary
_RAW = (TypeError, ValueError, KeyError, IndexError, AttributeError, LookupError, ArithmeticError,
        RecursionError, MemoryError, UnicodeError, OSError, AssertionError)


def _describe_args(args: tuple, kwargs: dict) -> str:
    parts = [short(a, 40) for a in args] + [f"{k}={short(v, 40)}" for k, v in kwargs.items()]
    text = ", ".join(parts)
    return text if len(text) <= 160 else text[:159] + "…"


def boundary(fn: Callable, qualname: str | None = None) -> Callable:
    """Wrap a public function so that no raw library exception leaves it.

    The function's own checks raise :class:`CasekitError` with a specific message; this is the net
    under them: anything else (a TypeError from a wrong argument type, a RecursionError, a
    MemoryError, a pandas KeyError) becomes one short CasekitError naming the call, the arguments
    (shortened) and where to read what it takes. ``KeyboardInterrupt`` passes through.
    """
    import functools

    if getattr(fn, "__casekit_boundary__", False):
        return fn
    name = qualname or fn.__qualname__
    where = f"{fn.__module__}.{name}"

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except CasekitError:
            raise
        except _RAW as exc:
            shown_args = args[1:] if args and "." in name and not isinstance(args[0], (str, int, float)) else args
            detail = short(str(exc), 120) if not isinstance(exc, (RecursionError, MemoryError)) else \
                t("input nested too deep or too large", "输入嵌套过深或过大")
            raise CasekitError(t(
                f"{name}() cannot use ({_describe_args(shown_args, kwargs)}): {type(exc).__name__}: {detail}. "
                f"Check the arguments against help({where}).",
                f"{name}() 无法使用参数（{_describe_args(shown_args, kwargs)}）：{type(exc).__name__}：{detail}。"
                f"请对照 help({where}) 检查参数。")) from None

    wrapper.__casekit_boundary__ = True
    return wrapper


def protect(namespace: dict, names: list[str] | tuple[str, ...]) -> None:
    """Put :func:`boundary` around each plain function listed in a module's ``__all__``."""
    import inspect

    for n in names:
        obj = namespace.get(n)
        if inspect.isfunction(obj):
            namespace[n] = boundary(obj)


def protect_methods(cls: type, names: list[str] | tuple[str, ...]) -> type:
    """Put :func:`boundary` around the listed methods of a class (in place)."""
    for n in names:
        setattr(cls, n, boundary(getattr(cls, n), f"{cls.__name__}.{n}"))
    return cls


def output_path(path: Any, what: str, allowed: tuple[str, ...]):
    """A ``Path`` to write to, or a CasekitError saying why not (checked before any work is done)."""
    import os
    from pathlib import Path

    example = f"'figures/plot.{allowed[0]}'"
    if not isinstance(path, (str, os.PathLike)) or (isinstance(path, str) and not path.strip()):
        raise CasekitError(t(f"Give the file to save the {what} to as a path such as {example}, not {short(path, 40)}.",
                             f"请用路径指定保存{what}的文件，例如 {example}，而不是 {short(path, 40)}。"))
    text = os.fspath(path)
    if isinstance(text, bytes) or "\x00" in text or len(text) > 1024:
        raise CasekitError(t(f"{short(text, 40)} is not a usable file path; use a short path such as {example}.",
                             f"{short(text, 40)} 不是可用的文件路径；请用较短的路径，例如 {example}。"))
    p = Path(text).expanduser()
    fmt = p.suffix.lower().lstrip(".")
    if fmt not in allowed:
        ends = [f".{a}" for a in allowed if a != "gv"]
        ends_en = ", ".join(ends[:-1]) + f" or {ends[-1]}"
        raise CasekitError(t(f"Cannot save a {what} as '.{fmt[:20]}'. Use a path ending in {ends_en}.",
                             f"无法把{what}保存为 '.{fmt[:20]}'。请用以 {'、'.join(ends)} 结尾的路径。"))
    return p


def prepare_dir(p) -> None:
    """Create ``p``'s folder; a file in the way or a folder we may not write to is a CasekitError."""
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CasekitError(t(f"Cannot create the folder for {short(str(p), 80)}: {exc.strerror or exc}. "
                             "Save into a folder you can write to, e.g. 'figures/'.",
                             f"无法为 {short(str(p), 80)} 创建文件夹：{exc.strerror or exc}。请保存到可写的文件夹，例如 'figures/'。")) from None


def write_error(p, exc: OSError):
    return CasekitError(t(f"Cannot write {short(str(p), 80)}: {exc.strerror or exc}. "
                          "Save into a folder you can write to, e.g. 'figures/'.",
                          f"无法写入 {short(str(p), 80)}：{exc.strerror or exc}。请保存到可写的文件夹，例如 'figures/'。"))


def _protect_i18n() -> None:
    """The language functions get the same net (t() is on every redraw and cannot fail, and
    on_language_change registers callbacks: both left bare). Done here rather than in i18n, which
    _guard itself imports; ``from .i18n import ...`` after this point gets the wrapped functions."""
    import inspect

    for name in i18n.__all__:
        obj = getattr(i18n, name)
        if inspect.isfunction(obj) and name not in ("t", "on_language_change"):
            setattr(i18n, name, boundary(obj))


_protect_i18n()
