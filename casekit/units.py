"""The kit's four units. Each has one number, the prefix of its notebook file (``01``–``04``), shown
to readers as "Unit 2 · Keda & Zhongtu" / "第 2 单元 · 科达与中涂"; code and data refer to a unit by
its name, which does not change. The registry is data: the dataset ``units`` (``datasets/units.csv``).

Earlier casekit versions numbered the units 0–3, so a number from an old script or handout may mean
another unit: :func:`find_unit` refuses 0, and :func:`renumbering_note` gives the line that goes
with a number whose meaning changed (1–3).

>>> from casekit import units
>>> units.unit_names()
['srdi_landscape', 'keda_zhongtu', 'qingdao_six_paths', 'in_firm_cluster_costs']
>>> units.unit_number("keda_zhongtu"), units.unit_notebook("keda_zhongtu")
(2, '02_keda_zhongtu')
>>> units.unit_heading("keda_zhongtu", "en"), units.unit_heading("keda_zhongtu", "zh")
('Unit 2 · Keda & Zhongtu', '第 2 单元 · 科达与中涂')
>>> units.find_unit(4)
'in_firm_cluster_costs'
"""
from __future__ import annotations

import numbers
from functools import lru_cache
from typing import Any

from . import datasets, i18n
from ._guard import short
from .errors import CasekitError

__all__ = ["unit_names", "find_unit", "unit_number", "unit_notebook", "unit_title", "unit_heading",
           "renumbering_note"]


@lru_cache(maxsize=1)
def _rows() -> tuple[dict, ...]:
    df = datasets.load_dataset("units").sort_values("number")
    return tuple({"unit": str(r.unit), "number": int(r.number), "notebook": str(r.notebook),
                  "title_zh": str(r.title_zh), "title_en": str(r.title_en)} for r in df.itertuples(index=False))


def _both(en: str, zh: str, sep: str = "\n") -> str:
    """Both languages, the current one first (a message about numbers may meet either reader)."""
    return sep.join((zh, en) if i18n.get_language() == "zh" else (en, zh))


def _listing() -> str:
    return " · ".join(f"{r['number']} {r['unit']}" for r in _rows())


def _lang(lang: Any) -> str:
    if lang is None:
        return i18n.get_language()
    if lang not in ("zh", "en"):
        raise CasekitError(i18n.t(f"Language {short(lang, 20)} is not available; choose 'zh' or 'en'.",
                                  f"没有语言 {short(lang, 20)}；请选择 'zh' 或 'en'。"))
    return lang


def unit_names() -> list[str]:
    """The unit names in teaching order (the order of their numbers)."""
    return [r["unit"] for r in _rows()]


def find_unit(unit: str | int) -> str:
    """The name of ``unit``, given as a name (``"keda_zhongtu"``), a notebook file name without
    ``.ipynb`` (``"02_keda_zhongtu"``) or a number 1–4 (``2``)."""
    rows = _rows()
    if isinstance(unit, numbers.Integral) and not isinstance(unit, bool):
        for r in rows:
            if r["number"] == unit:
                return r["unit"]
        if unit == 0:
            raise CasekitError(_both(
                "There is no unit 0: units are numbered 1–4 as their notebook files (01–04); earlier casekit "
                f"versions numbered them 0–3. Give a number or a name: {_listing()}.",
                "没有第 0 单元：单元编号为 1–4，与笔记本文件 01–04 一致（casekit 早期版本编为 0–3）。"
                f"请给出编号或名称：{_listing()}。"))
    elif isinstance(unit, str):
        key = unit.strip().lower().removesuffix(".ipynb")
        for r in rows:
            if key in (r["unit"], r["notebook"]):
                return r["unit"]
    raise CasekitError(_both(
        f"There is no unit {short(unit, 40)}. Units are numbered 1–4 as their notebook files (01–04); "
        f"give a number or a name: {_listing()}.",
        f"没有单元 {short(unit, 40)}。单元编号为 1–4，与笔记本文件 01–04 一致；请给出编号或名称：{_listing()}。"))


def _row(unit: Any) -> dict:
    name = find_unit(unit)
    return next(r for r in _rows() if r["unit"] == name)


def unit_number(unit: str | int) -> int:
    """The number readers see for ``unit``: the prefix of its notebook file (1–4)."""
    return _row(unit)["number"]


def unit_notebook(unit: str | int) -> str:
    """The narrative notebook of ``unit``, without ``.ipynb`` (e.g. ``"02_keda_zhongtu"``)."""
    return _row(unit)["notebook"]


def unit_title(unit: str | int, lang: str | None = None) -> str:
    """The short title of ``unit`` in ``lang`` (default: the current language), e.g. "Keda & Zhongtu"."""
    lang = _lang(lang)
    return _row(unit)[f"title_{lang}"]


def unit_heading(unit: str | int, lang: str | None = None) -> str:
    """The heading of ``unit``, one style per language: "Unit 2 · Keda & Zhongtu", "第 2 单元 · 科达与中涂"."""
    lang = _lang(lang)
    r = _row(unit)
    if lang == "zh":
        return f"第 {r['number']} 单元 · {r['title_zh']}"
    return f"Unit {r['number']} · {r['title_en']}"


def renumbering_note(unit: str | int, lang: str | None = None) -> str:
    """One bilingual line for a unit given by a number whose meaning changed (1–3: earlier casekit
    versions numbered the units 0–3), saying which unit the number means now and which it meant;
    ``""`` for a name or for 4. The current language (or ``lang``) comes first."""
    lang = _lang(lang)
    if not isinstance(unit, numbers.Integral) or isinstance(unit, bool):
        return ""
    now = _row(unit)
    old = next((r for r in _rows() if r["number"] == unit + 1), None)
    if old is None:
        return ""
    n = now["number"]
    en = (f"This is Unit {n} · {now['title_en']}: units are numbered as their notebook files (01–04); in earlier "
          f"casekit versions unit {n} was {old['title_en']}. Give the name, \"{now['unit']}\", to leave out this note.")
    zh = (f"这是第 {n} 单元 · {now['title_zh']}：单元编号与笔记本文件 01–04 一致；casekit 早期版本的第 {n} 单元是"
          f"{old['title_zh']}。传入名称 \"{now['unit']}\" 即不再显示本提示。")
    return f"{zh} · {en}" if lang == "zh" else f"{en} · {zh}"


from ._guard import protect as _protect  # noqa: E402

_protect(globals(), __all__)
