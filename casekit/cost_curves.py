"""Cost curves of an in-firm technology-innovation cluster (unit 4; source 003 §3.1.1, Figure 1).

Source 003 argues in words that innovating raises a firm's average fixed cost (A1FC above A0FC:
R&D, new equipment, information-control systems) and lowers its average variable cost (A1VC below
A0VC); since AC = AFC + AVC and the two AFC curves converge as output grows, the innovating firm's
lowest average cost C1 lies below C0, at a larger output Q1 than Q0, and beyond some output it
is the cheaper producer (A0C > A1C). That below that output the innovating firm is the dearer one is
not stated: it is the kit's inference from the curves, labelled so wherever it is shown. The paper
gives shapes, not numbers, so this module fixes a simple
functional form and **illustrative** parameters (dataset ``cost_scenario``):

* ``AFC(q) = F / q``  (F0 before, F1 = F0 + dF after innovating)
* ``AVC(q) = v + c * q``  (v0 = v before, v1 = v * (1 - s) after; ``c`` is a congestion term that
  makes AVC rise as the plant fills up, so AC is U-shaped)
* ``AC(q) = AFC(q) + AVC(q)``

Everything the source names is then analytic: the minimum of AC is at ``q* = sqrt(F / c)`` with
``AC(q*) = v + 2 * sqrt(F * c)``; the crossover outputs solve ``(c1 - c0) q**2 - (v0 - v1) q + dF = 0``.
A learning curve (Wright's law) lowers the post-innovation variable cost by the factor
``(N / N0) ** -b`` with ``b = -log2(1 - learning_rate)`` as cumulative output N grows.

>>> sc = CostScenario()
>>> kp = sc.key_points()
>>> round(kp.Q0, 6), round(kp.C0, 6), round(kp.Q1, 6), round(kp.C1, 6), kp.crossover
(50.0, 24.0, 100.0, 20.0, 37.5)
>>> [r.holds for r in sc.relations()]
[True, True, True, True, True, True]
>>> round(float(learning_factor(200, 0.2, 100)), 6)   # one doubling on an 80 % curve
0.8
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

from ._guard import protect, protect_methods, short
from .datasets import code_label, load_dataset
from .errors import CasekitError
from .i18n import t

__all__ = [
    "CostScenario", "KeyPoints", "Relation", "Flag", "default_scenario", "parameter_table",
    "average_fixed_cost", "average_variable_cost", "average_cost", "minimum_average_cost",
    "crossover_outputs", "learning_exponent", "learning_factor", "learning_curve",
]

_EPS = 1e-12


# ----------------------------------------------------------------------------- parameters
@lru_cache(maxsize=1)
def _parameter_rows() -> pd.DataFrame:
    return load_dataset("cost_scenario").set_index("parameter")


def parameter_table() -> pd.DataFrame:
    """The illustrative default parameters with units, slider ranges and bilingual names."""
    return load_dataset("cost_scenario")


def _default(name: str) -> float:
    return float(_parameter_rows().loc[name, "value"])


# Rules that make economic sense; slider ranges live in the dataset, these are the hard limits.
_RULES = {
    "fixed_cost_before": ("gt0", "a positive fixed cost per period, e.g. 100", "正的每期固定成本，例如 100"),
    "innovation_fixed_cost": ("ge0", "zero or a positive extra fixed cost, e.g. 300", "零或正的新增固定成本，例如 300"),
    "variable_cost_before": ("gt0", "a positive variable cost per unit, e.g. 20", "正的单位变动成本，例如 20"),
    "variable_cost_saving": ("share", "a share from 0 up to (not including) 1, e.g. 0.4 for 40 %", "0 到 1 之间（不含 1）的比例，例如 0.4 表示节约 40%"),
    "congestion_before": ("gt0", "a positive number (without it AC has no minimum), e.g. 0.04", "正数（否则平均成本没有最低点），例如 0.04"),
    "congestion_after": ("gt0", "a positive number (without it AC has no minimum), e.g. 0.04", "正数（否则平均成本没有最低点），例如 0.04"),
    "learning_rate": ("share", "a share from 0 up to (not including) 1, e.g. 0.2 for an 80 % learning curve", "0 到 1 之间（不含 1）的比例，例如 0.2 表示 80% 学习曲线"),
    "reference_cumulative_output": ("gt0", "a positive cumulative output, e.g. 100", "正的累计产量，例如 100"),
    "cumulative_output": ("gt0", "a positive cumulative output, e.g. 400", "正的累计产量，例如 400"),
    "output_min": ("gt0", "a positive output, e.g. 1", "正的产量，例如 1"),
    "output_max": ("gt0", "a positive output above output_min, e.g. 200", "大于 output_min 的正产量，例如 200"),
}


# Magnitudes kept within what the model can compute without overflow (F / q, c * q, sqrt(F c) stay far
# from float limits): 1e308 used to give Q0 = inf and C1 = inf with the source label.
_TINY, _HUGE = 1e-6, 1e9


def _check_number(name: str, value) -> float:
    rule, allowed_en, allowed_zh = _RULES[name]
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise CasekitError(t(
            f"{name} must be a number, not {type(value).__name__} ({short(value, 40)}). Allowed: {allowed_en}.",
            f"{name} 必须是数字，而不是 {type(value).__name__}（{short(value, 40)}）。允许：{allowed_zh}。"))
    try:
        value = float(value)
    except OverflowError:
        value = math.inf
    ok = math.isfinite(value) and {
        "gt0": value > 0, "ge0": value >= 0, "share": 0 <= value < 1}[rule]
    if not ok:
        raise CasekitError(t(
            f"{name} = {value:g} is not allowed. Use {allowed_en}.",
            f"{name} = {value:g} 不可用。请使用{allowed_zh}。"))
    if value > _HUGE or (rule == "gt0" and value < _TINY):
        raise CasekitError(t(
            f"{name} = {value:g} is outside what the model computes reliably ({_TINY:g} to {_HUGE:g}). Use {allowed_en}.",
            f"{name} = {value:g} 超出模型能可靠计算的范围（{_TINY:g} 到 {_HUGE:g}）。请使用{allowed_zh}。"))
    return value


def _param(what_en: str, what_zh: str, value, *, zero_ok: bool = False) -> float:
    """A cost parameter of the stateless curve functions: a finite number, positive (or zero), bounded."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise CasekitError(t(f"{what_en} must be a number, not {type(value).__name__} ({short(value, 40)}).",
                             f"{what_zh}必须是数字，而不是 {type(value).__name__}（{short(value, 40)}）。"))
    v = float(value)
    low_ok = v >= 0 if zero_ok else v > 0
    if not math.isfinite(v) or not low_ok or v > _HUGE or (v and v < _TINY):
        need_en = "zero or a positive number" if zero_ok else "a positive number"
        need_zh = "零或正数" if zero_ok else "正数"
        raise CasekitError(t(f"{what_en} = {v:g} is not allowed: use {need_en} from {_TINY:g} to {_HUGE:g} "
                             "(a cost cannot be negative, infinite or NaN).",
                             f"{what_zh} = {v:g} 不可用：请使用 {_TINY:g} 到 {_HUGE:g} 之间的{need_zh}"
                             "（成本不能为负、无穷大或 NaN）。"))
    return v


# ----------------------------------------------------------------------------- stateless curves
_MAX_POINTS = 1_000_000


def _as_output(q) -> np.ndarray:
    if isinstance(q, (str, bytes, dict, set)) or q is None:
        raise CasekitError(t(f"Output q is a positive number or a list/array of them, not {short(q, 40)}.",
                             f"产量 q 应为正数或正数的列表/数组，而不是 {short(q, 40)}。"))
    try:
        arr = np.asarray(q, dtype=float)
    except (TypeError, ValueError, OverflowError):
        raise CasekitError(t(f"Output q is a positive number or a list/array of them, not {short(q, 40)}.",
                             f"产量 q 应为正数或正数的列表/数组，而不是 {short(q, 40)}。")) from None
    if arr.size > _MAX_POINTS:
        raise CasekitError(t(f"{arr.size:,} outputs is more than this model evaluates at once ({_MAX_POINTS:,}); "
                             "use fewer points.", f"产量点数 {arr.size:,} 超过一次可计算的上限（{_MAX_POINTS:,}）；请减少点数。"))
    # 1e-200 keeps F / q finite for every allowed F; the upper bound keeps c * q finite
    if arr.size and (not np.all(np.isfinite(arr)) or np.any(arr < 1e-200) or np.any(arr > 1e12)):
        raise CasekitError(t("Output q must be a positive, finite number of at most 1e12 (average cost is cost per "
                             "unit of a positive output).",
                             "产量 q 必须是不超过 1e12 的有限正数（平均成本是对正产量而言的单位成本）。"))
    return arr


def average_fixed_cost(q, fixed_cost: float):
    """``F / q``: falls strictly as output grows.

    >>> average_fixed_cost([50, 100], 100).tolist()
    [2.0, 1.0]
    """
    return _param("fixed_cost", "固定成本 fixed_cost", fixed_cost, zero_ok=True) / _as_output(q)


def _afc(q: np.ndarray, fixed_cost: float) -> np.ndarray:   # checked inputs (scenario fields), no re-checks
    return fixed_cost / q


def _avc(q: np.ndarray, base: float, congestion: float) -> np.ndarray:
    return base + congestion * q


def average_variable_cost(q, base: float, congestion: float):
    """``v + c * q``: the base variable cost plus a congestion term that rises with output.

    >>> average_variable_cost([0.5, 50], 20, 0.04).tolist()
    [20.02, 22.0]
    """
    base = _param("base", "基础变动成本 base", base, zero_ok=True)
    congestion = _param("congestion", "拥挤系数 congestion", congestion, zero_ok=True)
    return base + congestion * _as_output(q)


def average_cost(q, fixed_cost: float, base: float, congestion: float):
    """``AC = AFC + AVC``.

    >>> float(average_cost(50, 100, 20, 0.04))
    24.0
    """
    return average_fixed_cost(q, fixed_cost) + average_variable_cost(q, base, congestion)


def minimum_average_cost(fixed_cost: float, base: float, congestion: float) -> tuple[float, float]:
    """The output ``q* = sqrt(F / c)`` at which AC is lowest and that lowest value ``v + 2 sqrt(F c)``.

    From ``dAC/dq = -F / q**2 + c = 0``.

    >>> minimum_average_cost(400, 12, 0.04)
    (100.0, 20.0)
    """
    fixed_cost = _param("fixed_cost", "固定成本 fixed_cost", fixed_cost)
    base = _param("base", "基础变动成本 base", base, zero_ok=True)
    congestion = _param("congestion", "拥挤系数 congestion", congestion)   # 0: AC falls for ever, no minimum
    return _min_ac(fixed_cost, base, congestion)


def _min_ac(fixed_cost: float, base: float, congestion: float) -> tuple[float, float]:
    q = math.sqrt(fixed_cost / congestion)
    return q, base + 2.0 * math.sqrt(fixed_cost * congestion)


def crossover_outputs(extra_fixed: float, variable_gap: float, congestion_gap: float) -> tuple[float, ...]:
    """Positive outputs where AC after innovation equals AC before, sorted.

    ``AC1 - AC0 = dF / q - dv + dc * q`` with ``dF = F1 - F0``, ``dv = v0 - v1`` (the saving per unit)
    and ``dc = c1 - c0``. Multiplying by ``q > 0`` gives ``dc q**2 - dv q + dF = 0``: linear when
    ``dc = 0`` (``q = dF / dv``), otherwise a quadratic solved in the numerically stable form.

    >>> crossover_outputs(300, 8, 0.0)
    (37.5,)
    >>> crossover_outputs(300, 8, 0.04)   # congestion rises faster after innovating: a band
    (50.0, 150.0)
    """
    dF, dv, dc = (_gap(n, v) for n, v in (("extra_fixed", extra_fixed), ("variable_gap", variable_gap),
                                          ("congestion_gap", congestion_gap)))
    return _crossovers(dF, dv, dc)


def _crossovers(dF: float, dv: float, dc: float) -> tuple[float, ...]:
    if abs(dc) < _EPS:
        if abs(dv) < _EPS or abs(dF) < _EPS:
            return ()
        q = dF / dv
        return (q,) if q > 0 else ()
    disc = dv * dv - 4.0 * dc * dF
    if disc < 0:
        return ()
    root = math.sqrt(disc)
    # Vieta-based pair avoids cancellation when 4*dc*dF is tiny next to dv**2.
    qa = (dv + math.copysign(root, dv)) / (2.0 * dc) if dv != 0 else root / (2.0 * dc)
    qb = dF / (dc * qa) if qa != 0 else -qa
    roots = sorted({r for r in (qa, qb) if r > 0 and math.isfinite(r)})
    return tuple(roots)


def _gap(name: str, value) -> float:
    """A difference between before and after (may be negative): finite and bounded."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise CasekitError(t(f"{name} must be a number, not {type(value).__name__} ({short(value, 40)}).",
                             f"{name} 必须是数字，而不是 {type(value).__name__}（{short(value, 40)}）。"))
    v = float(value)
    if not math.isfinite(v) or abs(v) > _HUGE:
        raise CasekitError(t(f"{name} = {v:g} is not allowed: use a finite number between -{_HUGE:g} and {_HUGE:g}.",
                             f"{name} = {v:g} 不可用：请使用 -{_HUGE:g} 到 {_HUGE:g} 之间的有限数。"))
    return v


# ----------------------------------------------------------------------------- learning
def learning_exponent(learning_rate: float) -> float:
    """Wright's exponent ``b = -log2(1 - rate)``: unit cost is multiplied by ``1 - rate`` per doubling.

    >>> round(learning_exponent(0.2), 4)
    0.3219
    """
    rate = _check_number("learning_rate", learning_rate)
    return -math.log2(1.0 - rate)


def learning_factor(cumulative_output, learning_rate: float, reference_cumulative_output: float):
    """``(N / N0) ** -b``: the share of the reference unit cost left after cumulative output N.

    >>> learning_factor([100, 200, 400], 0.2, 100).round(4).tolist()
    [1.0, 0.8, 0.64]
    """
    n0 = _check_number("reference_cumulative_output", reference_cumulative_output)
    try:
        n = _as_output(cumulative_output)
    except CasekitError:
        raise CasekitError(t(f"Cumulative output must be a positive number (or a list of them) of at most 1e12, "
                             f"not {short(cumulative_output, 40)}.",
                             f"累计产量必须是不超过 1e12 的正数（或其列表），而不是 {short(cumulative_output, 40)}。")) from None
    return (n / n0) ** (-learning_exponent(learning_rate))


# ----------------------------------------------------------------------------- results
@dataclass(frozen=True)
class Relation:
    """One relation about 003's Figure 1 (stated by 003 unless its text says it is the kit's inference), and whether the scenario keeps it."""

    id: str
    holds: bool
    en: str
    zh: str

    @property
    def text(self) -> str:
        return t(self.en, self.zh)

    def __repr__(self) -> str:
        return f"{'✓' if self.holds else '✗'} {self.text}"


@dataclass(frozen=True)
class Flag:
    """A warning that the chosen numbers break one of the source's relations, with a question why."""

    id: str
    en: str
    zh: str

    @property
    def message(self) -> str:
        return t(self.en, self.zh)

    def __repr__(self) -> str:
        return f"⚠ {self.message}"


PAYOFFS = {
    "beyond_crossover": ("cheaper beyond the crossover output (003 §3.1.1), dearer below it (kit's inference from the curves)",
                         "超过交叉产量后更便宜（003 §3.1.1），低于交叉产量时更贵（本套件根据曲线所作的推断）"),
    "always": ("cheaper at every output", "在任何产量下都更便宜"),
    "never": ("never cheaper: innovation does not pay off at any output", "在任何产量下都不更便宜：创新始终不划算"),
    "band": ("cheaper only between two outputs", "只在两个产量之间更便宜"),
    "below_crossover": ("cheaper below the crossover output, dearer beyond it", "低于交叉产量时更便宜，超过后更贵"),
    "identical": ("the same as before at every output", "在任何产量下都与创新前相同"),
}


@dataclass(frozen=True)
class KeyPoints:
    """Q0, C0 (lowest AC before innovating), Q1, C1 (after) and the crossover output(s).

    All computed analytically; ``method`` says how.
    """

    Q0: float
    C0: float
    Q1: float
    C1: float
    crossovers: tuple[float, ...]
    payoff: str
    method: str = ("analytic: Q = sqrt(F / c), C = v + 2 sqrt(F c); crossovers solve "
                   "(c1 - c0) q^2 - (v0 - v1) q + (F1 - F0) = 0")

    @property
    def crossover(self) -> float | None:
        """The output beyond which the innovating firm is cheaper (None when there is no such output)."""
        if self.payoff == "beyond_crossover":
            return self.crossovers[0]
        if self.payoff == "band":
            return self.crossovers[0]
        return None

    def __repr__(self) -> str:
        cross = ", ".join(f"{q:.4g}" for q in self.crossovers) or t("none", "无")
        en, zh = PAYOFFS[self.payoff]
        return "\n".join([
            t("Key points (analytic)", "关键点（解析解）"),
            f"  Q0 = {self.Q0:.4g}, C0 = {self.C0:.4g}   " + t("(lowest AC before innovation)", "（创新前平均成本最低点）"),
            f"  Q1 = {self.Q1:.4g}, C1 = {self.C1:.4g}   " + t("(lowest AC after innovation)", "（创新后平均成本最低点）"),
            "  " + t("crossover output(s): ", "交叉产量：") + cross,
            "  " + t("innovating firm: ", "创新企业：") + t(en, zh),
        ])


# ----------------------------------------------------------------------------- scenario


@dataclass(frozen=True, repr=False)
class CostScenario:
    """Illustrative parameters of the before/after cost curves, validated at construction.

    Any field left out takes its default from the dataset ``cost_scenario``. Numbers that break
    the source's relations are allowed; :meth:`flags` says which relation breaks and asks why.

    Examples
    --------
    >>> sc = CostScenario(variable_cost_saving=0.25)
    >>> sc.fixed_cost_after, sc.base_variable_cost_after
    (400.0, 15.0)
    >>> CostScenario(fixed_cost_before=-5)
    Traceback (most recent call last):
    ...
    casekit.errors.CasekitError: fixed_cost_before = -5 is not allowed. Use a positive fixed cost per period, e.g. 100.
    """

    fixed_cost_before: float = None
    innovation_fixed_cost: float = None
    variable_cost_before: float = None
    variable_cost_saving: float = None
    congestion_before: float = None
    congestion_after: float = None
    learning_rate: float = None
    reference_cumulative_output: float = None
    cumulative_output: float = None
    output_min: float = None
    output_max: float = None

    def __post_init__(self):
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            value = _default(f.name) if value is None else value
            object.__setattr__(self, f.name, _check_number(f.name, value))
        if self.output_min >= self.output_max:
            raise CasekitError(t(
                f"output_min ({self.output_min:g}) must be below output_max ({self.output_max:g}).",
                f"output_min（{self.output_min:g}）必须小于 output_max（{self.output_max:g}）。"))

    # derived quantities -------------------------------------------------------------------
    @property
    def fixed_cost_after(self) -> float:
        """F1 = F0 + dF."""
        return self.fixed_cost_before + self.innovation_fixed_cost

    @property
    def learning(self) -> float:
        """Share of the post-innovation base variable cost left after learning (1.0: none yet)."""
        return float(learning_factor(self.cumulative_output, self.learning_rate,
                                     self.reference_cumulative_output))

    @property
    def base_variable_cost_after(self) -> float:
        """v1 = v (1 - s) times the learning factor."""
        return self.variable_cost_before * (1.0 - self.variable_cost_saving) * self.learning

    def replace(self, **changes) -> "CostScenario":
        """A new scenario with some parameters changed (validated again)."""
        unknown = sorted(set(changes) - {f.name for f in dataclasses.fields(self)})
        if unknown:
            raise CasekitError(t(
                f"Unknown parameter(s) {short(unknown, 80)}. Use the parameters of a CostScenario: {', '.join(_RULES)}.",
                f"未知参数 {short(unknown, 80)}。CostScenario 的参数有：{', '.join(_RULES)}。"))
        return dataclasses.replace(self, **changes)

    def with_learning(self, cumulative_output: float) -> "CostScenario":
        """The same scenario after the firm has made ``cumulative_output`` with the new technology."""
        return self.replace(cumulative_output=cumulative_output)

    def outputs(self, n: int = 400) -> np.ndarray:
        """An output grid over the range shown (for plotting only; key points never use it)."""
        return np.linspace(self.output_min, self.output_max, _count("n", n))

    # curves -------------------------------------------------------------------------------
    def curves(self, q=None) -> pd.DataFrame:
        """The six curves of Figure 1 (average fixed, variable and total cost; 0 before, 1 after
        innovating) at outputs ``q`` (default: :meth:`outputs`)."""
        q = self.outputs() if q is None else _as_output(q)
        v0, v1 = self.variable_cost_before, self.base_variable_cost_after
        out = {
            "q": q,
            "A0FC": _afc(q, self.fixed_cost_before),
            "A0VC": _avc(q, v0, self.congestion_before),
            "A1FC": _afc(q, self.fixed_cost_after),
            "A1VC": _avc(q, v1, self.congestion_after),
        }
        for k in "01":  # AC = AFC + AVC
            out[f"A{k}C"] = out[f"A{k}FC"] + out[f"A{k}VC"]
        return pd.DataFrame(out)[["q"] + [f"A{k}{part}" for k in "01" for part in ("FC", "VC", "C")]]

    def key_points(self) -> KeyPoints:
        """Q0, C0, Q1, C1 and the crossover output(s), analytically."""
        q0, c0 = _min_ac(self.fixed_cost_before, self.variable_cost_before, self.congestion_before)
        q1, c1 = _min_ac(self.fixed_cost_after, self.base_variable_cost_after, self.congestion_after)
        dF = self.innovation_fixed_cost
        dv = self.variable_cost_before - self.base_variable_cost_after
        dc = self.congestion_after - self.congestion_before
        roots = _crossovers(dF, dv, dc)
        return KeyPoints(q0, c0, q1, c1, roots, _payoff(dF, dv, dc, roots))

    def cost_difference(self, q):
        """AC1 - AC0 at ``q``: negative where the innovating firm is cheaper."""
        q = _as_output(q)
        dv = self.variable_cost_before - self.base_variable_cost_after
        return self.innovation_fixed_cost / q - dv + (self.congestion_after - self.congestion_before) * q

    # the source's relations ---------------------------------------------------------------
    def relations(self) -> list[Relation]:
        """Six relations about Figure 1, each checked for these numbers.

        The first five are stated in source 003 §3.1.1. Of the crossover, 003 states only the far side
        (beyond some output A0C > A1C); that the innovating firm is dearer below that output is the
        kit's inference from the curves, and the relation's text says so.
        """
        kp = self.key_points()
        lo, hi = self.output_min, self.output_max
        gap = lambda q: (self.base_variable_cost_after + self.congestion_after * q) - (
            self.variable_cost_before + self.congestion_before * q)
        return [
            Relation("fixed_cost_higher", self.innovation_fixed_cost > 0,
                     "A1FC lies above A0FC (innovating adds fixed cost)", "A1FC 高于 A0FC（创新增加固定成本）"),
            # AVC is linear in q, so checking both ends of the range checks all of it.
            Relation("variable_cost_lower", gap(lo) < 0 and gap(hi) < 0,
                     "A1VC lies below A0VC over the output shown", "在所示产量范围内 A1VC 低于 A0VC"),
            Relation("afc_converge", self.innovation_fixed_cost > 0,
                     "A1FC and A0FC converge as output grows", "随产量增加 A1FC 与 A0FC 趋同"),
            Relation("c1_below_c0", kp.C1 < kp.C0, "the lowest cost after, C1, is below C0", "创新后最低平均成本 C1 低于 C0"),
            Relation("q1_beyond_q0", kp.Q1 > kp.Q0, "C1 is reached at a larger output: Q1 > Q0", "C1 出现在更大的产量上：Q1 > Q0"),
            Relation("crossover", kp.payoff == "beyond_crossover",
                     "beyond some output the innovating firm is cheaper, A1C below A0C (003 §3.1.1); below it the "
                     "innovating firm is dearer (kit's inference from the curves, not stated in 003)",
                     "超过某一产量后创新企业成本更低，A1C 低于 A0C（003 §3.1.1）；低于这一产量时创新企业成本更高"
                     "（本套件根据曲线所作的推断，003 没有这样说）"),
        ]

    def flags(self) -> list[Flag]:
        """Warnings for numbers that break the source's relations, each with a question to think about."""
        kp = self.key_points()
        out: list[Flag] = []
        if kp.payoff == "never":
            out.append(Flag("never_pays",
                "With these numbers innovation never pays off: why? Compare what it adds to fixed cost with what it saves per unit, and how fast its costs rise with output.",
                "按这组数字，创新在任何产量下都不划算：为什么？比较它增加的固定成本、每件节约的变动成本，以及成本随产量上升的快慢。"))
        if self.innovation_fixed_cost == 0:
            out.append(Flag("no_extra_fixed_cost",
                "Innovating costs nothing fixed here (dF = 0), so A1FC = A0FC and there is no crossover: is that realistic for R&D, equipment and information systems?",
                "这里创新没有新增固定成本（ΔF = 0），A1FC 与 A0FC 重合，也就没有交叉点：对研发、设备和信息系统投入来说，这现实吗？"))
        rel = {r.id: r for r in self.relations()}
        if not rel["variable_cost_lower"].holds:
            out.append(Flag("variable_cost_not_lower",
                "A1VC is not below A0VC everywhere in the range shown: the saving is too small or congestion after innovating rises too fast. What would the source say the innovation is for?",
                "在所示范围内 A1VC 并非处处低于 A0VC：节约太少，或创新后的拥挤成本上升太快。按原文的说法，这项创新图的是什么？"))
        if not rel["c1_below_c0"].holds:
            out.append(Flag("c1_not_below_c0",
                f"C1 ({kp.C1:.4g}) is not below C0 ({kp.C0:.4g}): at its best the innovating firm is no cheaper. Why can it still be cheaper at some outputs, or not at all?",
                f"C1（{kp.C1:.4g}）不低于 C0（{kp.C0:.4g}）：创新企业在最佳产量下也不更便宜。为什么它仍可能在某些产量上更便宜，或者完全不会？"))
        if not rel["q1_beyond_q0"].holds:
            out.append(Flag("q1_not_beyond_q0",
                f"Q1 ({kp.Q1:.4g}) is not beyond Q0 ({kp.Q0:.4g}): what must happen to fixed cost and congestion for the efficient scale to grow?",
                f"Q1（{kp.Q1:.4g}）不大于 Q0（{kp.Q0:.4g}）：固定成本和拥挤系数要怎样变化，有效规模才会扩大？"))
        if kp.payoff == "band":
            a, b = kp.crossovers
            out.append(Flag("cheaper_only_in_band",
                f"The innovating firm is cheaper only between {a:.4g} and {b:.4g}: its congestion cost rises faster than before. Why does that cap the advantage at high output?",
                f"创新企业只在 {a:.4g} 到 {b:.4g} 之间更便宜：它的拥挤成本比创新前上升得快。为什么这会在高产量时吃掉优势？"))
        if kp.payoff in ("beyond_crossover", "band") and kp.crossovers[0] > self.output_max:
            out.append(Flag("crossover_beyond_range",
                f"The crossover ({kp.crossovers[0]:.4g}) lies beyond the largest output shown ({self.output_max:g}): can this firm sell that much?",
                f"交叉产量（{kp.crossovers[0]:.4g}）超出所示最大产量（{self.output_max:g}）：这家企业卖得掉这么多吗？"))
        return out

    def __repr__(self) -> str:
        kp = self.key_points()
        lines = [t("CostScenario (illustrative numbers, not from the source)", "CostScenario（示意性数字，并非原文数据）")]
        lang = t("en", "zh")
        for f in dataclasses.fields(self):
            # the label a reader reads, with the keyword a reader types beside it
            lines.append(f"  {code_label(f.name, lang)} ({f.name}) = {getattr(self, f.name):g}")
        lines.append(f"  -> F1 = {self.fixed_cost_after:g}, v1 = {self.base_variable_cost_after:.4g}"
                     + (t(f" (learning factor {self.learning:.3f})", f"（学习系数 {self.learning:.3f}）")
                        if self.learning != 1 else ""))
        lines += ["  " + line for line in repr(kp).splitlines()]
        lines += [f"  {r!r}" for r in self.flags()]
        return "\n".join(lines)


def _count(name: str, n, hi: int = 100_000) -> int:
    """A number of points: a whole number from 2 to ``hi`` (outputs(10**10) asked for 74.5 GiB)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) and not (isinstance(n, float) and n.is_integer()):
        raise CasekitError(t(f"{name} is a whole number of points from 2 to {hi:,}, not {short(n, 30)}; e.g. 400.",
                             f"{name} 是点数，应为 2 到 {hi:,} 之间的整数，而不是 {short(n, 30)}；例如 400。"))
    if not 2 <= n <= hi:
        raise CasekitError(t(f"{name} = {int(n):,} points is outside 2 to {hi:,}; e.g. 400 draws a smooth curve.",
                             f"{name} = {int(n):,} 个点超出 2 到 {hi:,} 的范围；例如 400 个点即可画出平滑曲线。"))
    return int(n)


def _payoff(dF: float, dv: float, dc: float, roots: tuple[float, ...]) -> str:
    """Where the innovating firm is cheaper, from the sign of ``dF/q - dv + dc q`` on (0, inf)."""
    def diff(q: float) -> float:
        return dF / q - dv + dc * q

    if not roots:
        if abs(dF) < _EPS and abs(dv) < _EPS and abs(dc) < _EPS:
            return "identical"
        # no sign change: one probe decides (a double root also lands here)
        # probe where the difference is largest relative to q, away from any near-root that the
        # tolerance dropped (e.g. a fixed-cost rise of 1e-133 has a "root" at q ~ 1e-67)
        probes = [1.0]
        if dF and abs(dc) >= _EPS:
            probes.append(math.sqrt(abs(dF / dc)))
        if dF and abs(dv) >= _EPS:
            probes.append(abs(dF / dv))
        if abs(dv) >= _EPS and abs(dc) >= _EPS:
            probes.append(abs(dv / dc))
        probe = max(probes, key=lambda q: abs(diff(q)) * q)
        return "always" if diff(probe) < 0 else "never"
    if len(roots) == 1:
        q = roots[0]
        below, above = diff(q / 2), diff(q * 2)
        if below > 0 and above < 0:
            return "beyond_crossover"
        if below < 0 and above > 0:
            return "below_crossover"
        return "always" if min(below, above) < 0 else "never"
    mid = math.sqrt(roots[0] * roots[1])
    return "band" if diff(mid) < 0 else "beyond_crossover"


def default_scenario() -> CostScenario:
    """The dataset's illustrative default: Q0 = 50, C0 = 24, Q1 = 100, C1 = 20, crossover 37.5."""
    return CostScenario()


def learning_curve(scenario: CostScenario | None = None, doublings: float = 4, n: int = 200) -> pd.DataFrame:
    """Unit variable cost after innovation against cumulative output, from N0 to N0 * 2**doublings.

    Columns: ``cumulative_output``, ``factor`` (share of the reference cost left) and
    ``unit_variable_cost`` (v (1 - s) times the factor).

    >>> lc = learning_curve(doublings=2, n=3)
    >>> lc["cumulative_output"].tolist(), lc["unit_variable_cost"].round(3).tolist()
    ([100.0, 200.0, 400.0], [12.0, 9.6, 7.68])
    """
    if scenario is not None and not isinstance(scenario, CostScenario):
        raise CasekitError(t(f"scenario must be a CostScenario (or None for the default), not {short(scenario, 40)}.",
                             f"scenario 应为 CostScenario（或 None 表示默认情景），而不是 {short(scenario, 40)}。"))
    sc = scenario or CostScenario()
    if isinstance(doublings, bool) or not (isinstance(doublings, (int, float)) and 0 < doublings <= 20):
        raise CasekitError(t(f"doublings must be a number between 0 and 20, e.g. 4, not {short(doublings, 30)}.",
                             f"doublings 必须是 0 到 20 之间的数，例如 4，而不是 {short(doublings, 30)}。"))
    n0 = sc.reference_cumulative_output
    cum = n0 * 2.0 ** np.linspace(0.0, float(doublings), _count("n", n))
    factor = learning_factor(cum, sc.learning_rate, n0)
    base = sc.variable_cost_before * (1.0 - sc.variable_cost_saving)
    return pd.DataFrame({"cumulative_output": cum, "factor": factor, "unit_variable_cost": base * factor})


protect(globals(), [n for n in __all__ if n not in ("CostScenario", "KeyPoints", "Relation", "Flag")])
protect_methods(CostScenario, ["replace", "with_learning", "outputs", "curves", "key_points", "cost_difference",
                               "relations", "flags"])
