"""The glossary (术语表): every kit term in both languages, and answers in either language.

The dataset ``glossary`` holds one row per term: its id, Chinese and English terms, other wordings
(aliases), the source's own term and a note. Exercise checks normalise a student's answer through
it, so an English id, an English label or a Chinese label all count as the same answer:

>>> from casekit.glossary import normalize_id, normalize_answer, term
>>> normalize_id("基础设施共用")          # the source's term (001 §3.2.2), the kit's label
'infrastructure_sharing'
>>> normalize_id("  Infrastructure_Sharing ")
'infrastructure_sharing'
>>> normalize_id("基础设施共享")          # the kit's earlier wording, still accepted
'infrastructure_sharing'
>>> normalize_id("原始创新", kind="path")
'original'
>>> normalize_id("something else")        # not a glossary term: returned stripped, unchanged
'something else'
>>> normalize_answer({"a": "大企业合作", "b": ["跨国并购", "absorption"]})
{'a': 'large_firm_cooperation', 'b': ['cross_border_ma', 'absorption']}
>>> term("niche_winner")["zh"]
'精一赢家'

Notes and notebooks mark glossary terms as ``[[term_id]]`` (e.g. ``[[niche_winner]]``);
:func:`check_terms` reports marked ids that are not in the glossary and Chinese variants (aliases) of
glossary terms written without a marker.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pandas as pd

from . import i18n
from .datasets import code_label, load_dataset
from .errors import CasekitError

__all__ = [
    "glossary", "term", "label", "kinds", "normalize_id", "normalize_answer", "MARK", "TermProblem",
    "check_terms", "strip_marks",
]

#: A term marker in notes and notebooks: ``[[term_id]]``.
MARK = re.compile(r"\[\[\s*([A-Za-z0-9_]+)\s*\]\]")


def glossary() -> pd.DataFrame:
    """The glossary as a new DataFrame (dataset ``glossary``), one row per term."""
    return load_dataset("glossary")


@lru_cache(maxsize=1)
def _rows() -> dict[str, dict]:
    df = load_dataset("glossary")
    out = {}
    for rec in df.astype(object).to_dict(orient="records"):
        rec = {k: ("" if v is None or v is pd.NA else str(v)) for k, v in rec.items()}
        rec["aliases_zh"] = [a for a in rec["aliases_zh"].split("|") if a.strip()]
        rec["aliases_en"] = [a for a in rec["aliases_en"].split("|") if a.strip()]
        rec["zh_variants"] = [a for a in rec.get("zh_variants", "").split("|") if a.strip()]
        rec["used_in"] = rec["used_in"].split()
        out[rec["id"]] = rec
    return out


@lru_cache(maxsize=1)
def _kinds() -> tuple[str, ...]:
    found = set()
    for r in _rows().values():
        found.add(r["kind"])
        found.update(u.split(".")[-1] for u in r["used_in"] if "." in u)
    return tuple(sorted(found))


def kinds() -> list[str]:
    """The kinds of term (``path``, ``mechanism``, ``cluster_mode`` ...) :func:`normalize_id` accepts:
    a term's ``kind``, or the name of a dataset column that holds its id (``lead``, ``dimension`` ...)."""
    return list(_kinds())


def term(id: str) -> dict:
    """One term as a dict (``id``, ``kind``, ``zh``, ``en``, ``aliases_zh``, ``aliases_en``,
    ``zh_variants``, ``source_term``, ``source_document``, ``note_zh``, ``note_en``, ``used_in``, ``cite``).

    ``id`` may also be a label in either language.
    """
    rows = _rows()
    if not isinstance(id, str):
        raise CasekitError(f"term() takes a glossary id or label as text, not {type(id).__name__} "
                           f"({str(id)[:40]}); e.g. term('niche_winner'). term() 的参数应是术语 id 或名称（文本），"
                           f"例如 term('niche_winner')。")
    key = normalize_id(id)
    if key not in rows:
        import difflib

        close = difflib.get_close_matches(str(key), list(rows), n=3)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise CasekitError(f"{id!r} is not in the glossary.{hint} "
                           "casekit.glossary.glossary() lists every term.")
    r = rows[key]
    return {**r, "aliases_zh": list(r["aliases_zh"]), "aliases_en": list(r["aliases_en"]),
            "zh_variants": list(r["zh_variants"]), "used_in": list(r["used_in"])}


def label(id: str, lang: str | None = None, column: str | None = None) -> str:
    """The label of an id in the current (or given) language: the glossary's term (or, for a dataset's
    own ids, its ``name_zh``/``name_en``); ``column`` (``"firms.founder_background"``) puts that
    column's codebook labels first. The id itself when it has no label."""
    return code_label(id, lang, column)


# ------------------------------------------------------------------------------------------------
# normalising answers
# ------------------------------------------------------------------------------------------------
_QUOTES = str.maketrans({"“": "", "”": "", "‘": "", "’": "", '"': "", "'": "", "「": "", "」": "",
                         "《": "", "》": "", "–": "-", "—": "-", "‐": "-", "−": "-", "·": " "})


def _key(value: str) -> str:
    """Case-, width- and whitespace-insensitive form of a label: NFKC folds full-width letters,
    digits and punctuation (（）：，) to their ASCII forms; quotes go; spaces, hyphens and
    underscores count as one separator."""
    s = unicodedata.normalize("NFKC", value).translate(_QUOTES).casefold()
    s = re.sub(r"[\s_\-]+", " ", s).strip(" .。;；:：,，、")
    # spaces next to a Chinese character carry nothing ("基础 设施共用", "研发 R&D")
    return re.sub(r"(?<=[\u3400-\u9fff]) | (?=[\u3400-\u9fff])", "", s)


@lru_cache(maxsize=1)
def _index() -> dict[str, list[tuple[str, int]]]:
    """Normalised label -> [(id, rank)]: rank 0 for the id, 1 for the kit's labels, 2 for aliases."""
    idx: dict[str, list[tuple[str, int]]] = {}
    for r in _rows().values():
        for rank, labels in ((0, [r["id"]]), (1, [r["zh"], r["en"]]), (2, r["aliases_zh"] + r["aliases_en"] + r["zh_variants"])):
            for lab in labels:
                k = _key(lab)
                if k and (r["id"], rank) not in idx.setdefault(k, []):
                    idx[k].append((r["id"], rank))
    return idx


def _matches_kind(id: str, kind: str) -> bool:
    r = _rows()[id]
    return r["kind"] == kind or any(u == kind or u.split(".")[-1] == kind for u in r["used_in"])


def normalize_id(value: Any, kind: str | None = None) -> Any:
    """The glossary id for ``value``: an English id, an English label or a Chinese label or alias
    (case-, width- and whitespace-insensitive; full-width punctuation tolerated). Anything else comes
    back stripped but otherwise unchanged (non-strings come back as they are).

    ``kind`` (a :func:`kinds` entry such as ``"path"``, ``"mechanism"``, ``"lead"``) limits the
    match to terms of that kind or used in a column of that name. A label that names several terms
    of different ids (without ``kind`` to tell them apart) comes back unchanged.
    """
    if not isinstance(value, str):
        return value
    stripped = value.strip()
    if kind is not None and kind not in _kinds():
        raise CasekitError(f"Unknown kind of term {kind!r}. Kinds: {', '.join(kinds())}.")
    hits = _index().get(_key(stripped), [])
    if kind is not None:
        hits = [h for h in hits if _matches_kind(h[0], kind)]
    if not hits:
        return stripped
    best = min(rank for _, rank in hits)
    ids = sorted({i for i, rank in hits if rank == best})
    return ids[0] if len(ids) == 1 else stripped


_MAX_ANSWER_DEPTH = 50           # an answer is a list, a set or a dict of ids: two or three levels
_MAX_ANSWER_ITEMS = 100_000      # items visited in all; a shared sub-list counts each time it is met


def normalize_answer(obj: Any, kind: str | None = None) -> Any:
    """:func:`normalize_id` applied element-wise: to a str, to the items of a list / tuple / set,
    and to the keys and values of a dict (recursively). Other values come back unchanged.

    The walk is bounded: an answer that contains itself, nests more than 50 levels deep or holds
    more than 100,000 items in all is a :class:`CasekitError` that says how to write it instead.
    """
    return _normalize(obj, kind, 0, set(), [_MAX_ANSWER_ITEMS])


def _normalize(obj: Any, kind: str | None, depth: int, open_ids: set[int], budget: list[int]) -> Any:
    if isinstance(obj, str):
        return normalize_id(obj, kind)
    if not isinstance(obj, (dict, list, tuple, set, frozenset)):
        return obj
    if id(obj) in open_ids:
        raise CasekitError(i18n.t(
            f"The answer contains itself (a {type(obj).__name__} inside its own items), so it has no end. "
            "Write the ids out plainly, e.g. ['original', 'absorption'].",
            f"答案包含了它自身（{type(obj).__name__} 的元素里又有它自己），没有尽头。请直接写出编号，例如 "
            "['original', 'absorption']。"))
    if depth >= _MAX_ANSWER_DEPTH:
        raise CasekitError(i18n.t(
            f"The answer nests more than {_MAX_ANSWER_DEPTH} levels deep (lists inside lists). An answer is a list, "
            "a set or a dict of ids: write it flat, e.g. ['original', 'absorption'].",
            f"答案嵌套超过 {_MAX_ANSWER_DEPTH} 层（列表套列表）。答案是由编号组成的列表、集合或字典：请写成一层，例如 "
            "['original', 'absorption']。"))
    budget[0] -= len(obj)
    if budget[0] < 0:
        raise CasekitError(i18n.t(
            f"The answer holds more than {_MAX_ANSWER_ITEMS:,} items in all; an answer names a few ids. Check what "
            "the variable holds and write the answer itself.",
            f"答案总共超过 {_MAX_ANSWER_ITEMS:,} 项；答案只需列出几个编号。请检查该变量的内容，直接写出答案。"))
    open_ids.add(id(obj))
    try:
        def walk(v: Any) -> Any:
            return _normalize(v, kind, depth + 1, open_ids, budget)

        if isinstance(obj, dict):
            return {walk(k): walk(v) for k, v in obj.items()}
        if isinstance(obj, list):
            return [walk(v) for v in obj]
        if isinstance(obj, tuple):
            return tuple(walk(v) for v in obj)
        return type(obj)(walk(v) for v in obj)
    finally:
        open_ids.discard(id(obj))


# ------------------------------------------------------------------------------------------------
# term marking in notes and notebooks
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TermProblem:
    """One problem :func:`check_terms` found: ``kind`` is ``"unknown_id"`` or ``"unmarked_variant"``."""

    kind: str
    text: str       # the marker or the variant as written
    id: str         # the marked id, or the glossary id the variant belongs to
    line: int       # 1-based line in the checked text
    hint: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.text!r}: {self.hint}"


def strip_marks(text: str) -> str:
    """The text with every ``[[term_id]]`` marker removed (what a reader should see)."""
    return MARK.sub("", text)


@lru_cache(maxsize=1)
def _variants() -> list[tuple[str, str, str]]:
    """(variant, id, kit's term) for every Chinese wording the kit has replaced (``zh_variants``),
    longest first so that a long variant is reported once, not also as its parts."""
    out = [(v, r["id"], r["zh"]) for r in _rows().values() for v in r["zh_variants"]]
    return sorted(out, key=lambda v: -len(v[0]))


@lru_cache(maxsize=None)
def _marker_after(id: str) -> re.Pattern:
    return re.compile(r"\s*[”」》]?\s*(?:<!--\s*)?\[\[\s*" + re.escape(id) + r"\s*\]\]")


def check_terms(text: str, ignore: tuple[str, ...] = ()) -> list[TermProblem]:
    """Problems with the glossary terms of one text (a note, a notebook's markdown):

    * ``unknown_id``: a ``[[term_id]]`` marker whose id is not in the glossary;
    * ``unmarked_variant``: a Chinese variant of a glossary term (one of its ``zh_variants``, such as
      基础设施共享 for 基础设施共用) written without a marker. Write the kit's term instead, or mark it
      (``基础设施共享[[infrastructure_sharing]]``) where the variant is deliberate, e.g. when naming
      a replaced wording. (Other aliases, such as the short form 小巨人, are fine unmarked.)

    In a notebook, a marker can sit in an HTML comment so that readers do not see it:
    ``精一赢家<!-- [[niche_winner]] -->``.

    ``ignore`` lists variants to accept. Returns an empty list when all is well.
    """
    if not isinstance(text, str):
        raise CasekitError(f"check_terms() takes text (str), not {type(text).__name__}; pass a note's or a cell's "
                           f"text, e.g. check_terms(path.read_text(encoding='utf-8')). "
                           f"check_terms() 的参数应是文本（str），不是 {type(text).__name__}。")
    if isinstance(ignore, str) or not all(isinstance(v, str) for v in ignore):
        raise CasekitError("ignore is a tuple of variants (text), e.g. ignore=('基础设施共享',). "
                           "ignore 应是若干变体文本组成的元组，例如 ignore=('基础设施共享',)。")
    rows = _rows()
    ids = list(rows)
    suggestions: dict[str, list[str]] = {}
    problems: list[TermProblem] = []
    hints: dict[str, str] = {}
    lines = text.split("\n")
    for n, line in enumerate(lines, 1):
        for m in MARK.finditer(line):
            if m.group(1) not in rows:
                if m.group(1) not in suggestions:   # once per unknown id, and only for the first 50 of them
                    suggestions[m.group(1)] = (__import__("difflib").get_close_matches(m.group(1), ids, n=1)
                                               if len(suggestions) < 50 else [])
                close = suggestions[m.group(1)]
                problems.append(TermProblem("unknown_id", m.group(0), m.group(1), n,
                                            f"{m.group(1)!r} is not a glossary id"
                                            + (f" (did you mean {close[0]!r}?)" if close else "")))
        taken = bytearray(len(line))   # 1 where a longer variant already matched (bytes: set and searched in C)
        for variant, id, preferred in _variants():
            if variant in ignore:
                continue
            start = line.find(variant)
            while start >= 0:
                end = start + len(variant)
                negated = start > 0 and line[start - 1] in "无不"   # 无可争议: "undisputed", not a variant
                if not negated and taken.find(1, start, end) < 0:
                    taken[start:end] = b"\x01" * (end - start)
                    # matched in place: slicing the rest of the line for each variant was quadratic
                    marked = _marker_after(id).match(line, end)
                    if not marked:
                        hint = hints.get(variant)
                        if hint is None:   # one hint per variant, however often it is met
                            hint = hints[variant] = (f"a variant of {preferred} ({id}); write {preferred}, or mark "
                                                     f"a deliberate variant as {variant}[[{id}]]")
                        problems.append(TermProblem("unmarked_variant", variant, id, n, hint))
                start = line.find(variant, end)
    return problems
