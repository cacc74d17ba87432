"""How tables look in a notebook: long text wraps instead of being cut with "...", text columns keep
a readable width (Chinese is never squeezed to a character a line), and a table is never wider
than the output area (a laptop at 1280×800 with JupyterLab's file browser open has about 848 px).

On a phone (a screen at most ``PHONE_PX`` = 600 px wide) a table too wide for it reads as a list
instead: each row a card, each cell on its own line after its column's name ("成立年月：2000-10"),
the row's label (an index that is not just row numbers) as the card's heading. The style travels
with the table's HTML, so JupyterLab and Voilà show the same.

pandas' own notebook view cuts every cell after 50 characters and lets JupyterLab set column
widths, which squeezes Chinese to a character or two a line. Once casekit is imported in a
notebook, every DataFrame is shown through :func:`frame_html` instead (``install`` does this;
``uninstall`` goes back to pandas' view). The rows shown still follow pandas' ``display.max_rows``.

>>> import pandas as pd
>>> html = frame_html(pd.DataFrame({"how": ["x" * 80], "n": [1]}))
>>> "x" * 80 in html and "..." not in html
True
>>> "min-width:" in html and "white-space:normal" in html
True
"""
from __future__ import annotations

import html
import itertools
import re

import pandas as pd

from . import i18n
from ._guard import short
from .datasets import bare, code_labels, label_codes, load_dataset  # label_codes re-exported: the data layer's job
from .errors import CasekitError

__all__ = ["frame_html", "install", "uninstall", "glossary", "label_codes", "quirks", "SourceNotes"]

_ids = itertools.count()
_CJK = re.compile(r"[\u2e80-\u9fff\uff00-\uffef]")


def _columns(text: str) -> int:
    """Display width in columns: a Chinese character takes two."""
    return len(text) + len(_CJK.findall(text))


def _is_text(col: pd.Series) -> bool:
    dtype = col.dtype
    return (pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)
            or isinstance(dtype, pd.CategoricalDtype))


# Widths in em of the table's font (JupyterLab: 13 px): about 60 em fit 848 px, less each column's padding.
_AREA_EM, _PAD_EM, _LONG_EM, _HEAD_EM, _FLOOR_EM = 60.0, 1.0, 11.0, 5.5, 3.0


def _widths(df: pd.DataFrame) -> list[float]:
    """A minimum width (em) for each column: its longest entry (capped, so long text wraps), at
    least a short header's width; scaled down together when the table would be wider than the
    output area, but never under 3 em (Chinese keeps three characters a line)."""
    wanted = []
    for j in range(df.shape[1]):
        col = df.iloc[:, j]
        values = col.dropna().head(500).astype(str) if _is_text(col) else col.dropna().head(500).map(str)
        longest = max((_columns(v) for v in values), default=1)
        header = max((_columns(str(h)) for h in (df.columns[j] if isinstance(df.columns[j], tuple)
                                                    else (df.columns[j],))), default=1)
        wanted.append(max(min(longest * 0.55, _LONG_EM), min(header * 0.55, _HEAD_EM)))
    budget = _AREA_EM - _PAD_EM * (df.shape[1] + df.index.nlevels) - 3.0 * df.index.nlevels
    total = sum(wanted)
    if total > budget > 0:
        wanted = [max(w * budget / total, min(w, _FLOOR_EM)) for w in wanted]
    return wanted


PHONE_PX = 600          # the kit's breakpoint (casekit.plotting.PHONE_PX): at most this wide, a phone
_PHONE_EM = 25.0        # a table at most this wide (em) stays a table on a phone (25 em: 325 px)


def _label(col) -> str:
    """A column's name as a card shows it before the value: "成立年月：" or "founded: "."""
    text = " · ".join(str(c) for c in col) if isinstance(col, tuple) else str(col)
    return text + ("：" if _CJK.search(text[-1:] or "") else ": ")


def _cards(body: str, df: pd.DataFrame) -> str:
    """pandas' HTML with each data cell carrying its column's name (``data-label``), for the
    phone's list view."""
    labels = [html.escape(_label(c), quote=True) for c in df.columns]

    def row(m: re.Match) -> str:
        cells = iter(labels)
        return re.sub(r"<td\b", lambda _c: f'<td data-label="{next(cells, "")}"', m.group(0))

    head, sep, rest = body.partition("<tbody>")
    return head + sep + re.sub(r"<tr\b.*?</tr>", row, rest, flags=re.S)


def _phone_rules(cls: str, plain_index: bool) -> str:
    """The list view under PHONE_PX: rows become cards, headers give way to each cell's label."""
    t = f".{cls}"
    rules = [f"{t},{t}>tbody,{t}>tbody>tr,{t}>tbody>tr>td,{t}>tbody>tr>th{{display:block!important;"
             f"width:auto!important;min-width:0!important;max-width:100%!important;text-align:left!important}}",
             f"{t}>thead{{display:none!important}}",
             f"{t}>tbody>tr{{border-top:1px solid #c8c8c8;padding:6px 0!important}}",
             f"{t}>tbody>tr>td,{t}>tbody>tr>th{{padding:2px 6px!important;border:none!important;"
             f"overflow-wrap:break-word!important;white-space:normal!important}}",
             f"{t}>tbody>tr>th{{font-weight:700;display:inline-block!important;margin-right:.6em}}",
             f"{t}>tbody>tr>td::before{{content:attr(data-label);font-weight:600;color:#555}}"]
    if plain_index:   # row numbers say nothing on a card
        rules.append(f"{t}>tbody>tr>th{{display:none!important}}")
    return f"@media (max-width:{PHONE_PX}px){{{''.join(rules)}}}"


def frame_html(df: pd.DataFrame) -> str:
    """``df`` as HTML for a notebook: no cut text, wrapping text columns with a minimum width (a
    list of cards on a phone when the table is wider than one)."""
    df = bare(df)   # the HTML shows no attrs: pandas need not copy them into every column it formats
    cls = f"ck-t{next(_ids)}"
    opt = pd.get_option
    max_rows = opt("display.max_rows")
    if max_rows and len(df) > max_rows:   # as pandas does: a long table shows min_rows of them
        max_rows = opt("display.min_rows") or max_rows
    max_cols = opt("display.max_columns")
    body = df.to_html(max_rows=max_rows, max_cols=max_cols, show_dimensions=opt("display.show_dimensions"),
                      border=0, sparsify=False, classes=["dataframe", "ck-table", cls])
    # A long id (an English header is its column's name) may break anywhere on a laptop; the minimum
    # widths below keep every column at three characters or more, and a phone gets cards instead.
    rules = [f".{cls}{{border-collapse:collapse;max-width:100%;table-layout:auto}}",
             f".{cls} td,.{cls} th{{white-space:normal;overflow-wrap:anywhere;vertical-align:top;"
             f"text-overflow:clip}}"]
    offset = df.index.nlevels
    if max((_columns(str(v)) for v in df.index[:500]), default=0) <= 24:   # "12", "keda": never "1/2"
        rules.append(f".{cls} tbody th{{white-space:nowrap;overflow-wrap:normal}}")
    whole = not max_cols or df.shape[1] <= max_cols   # with columns left out, positions would not match
    if whole:
        widths = _widths(df)
        for j, width in enumerate(widths):
            align = "text-align:left;" if _is_text(df.iloc[:, j]) else ""
            rules.append(f".{cls} tr>:nth-child({offset + j + 1}){{min-width:{width:.1f}em;{align}}}")
        index_em = max((_columns(str(v)) for v in df.index[:500]), default=1) * 0.55 * df.index.nlevels
        if sum(widths) + _PAD_EM * (df.shape[1] + df.index.nlevels) + index_em > _PHONE_EM:
            body = _cards(body, df)
            plain = isinstance(df.index, pd.RangeIndex)
            rules.append(_phone_rules(cls, plain))
    return f'<div class="ck-frame" style="max-width:100%"><style>{"".join(rules)}</style>{body}</div>'


def _shell():
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    return shell if shell is not None and hasattr(shell, "display_formatter") else None


def install() -> bool:
    """Show DataFrames through :func:`frame_html` in this IPython session. True if it took."""
    shell = _shell()
    if shell is None:
        return False
    shell.display_formatter.formatters["text/html"].for_type(pd.DataFrame, frame_html)
    return True


def uninstall() -> None:
    """Back to pandas' own notebook view."""
    shell = _shell()
    if shell is not None:
        shell.display_formatter.formatters["text/html"].type_printers.pop(pd.DataFrame, None)


def glossary() -> dict[str, tuple[str, str]]:
    """Every id the kit names, with its (English, Chinese) label (from the data: the glossary, then
    the ids of datasets that carry ``name_en``/``name_zh``); see :func:`casekit.datasets.code_labels`."""
    return code_labels()


# --------------------------------------------------------------------------------------------
# A dataset's notes on its source, as a reader should meet them
# --------------------------------------------------------------------------------------------
class SourceNotes:
    """A dataset's recorded quirks of its source (``df.attrs["quirks"]``) shown as a note in both
    languages, the current one first: never as a Python list of strings. ``notes.items`` keeps the
    records (``id``, ``en``, ``zh``)."""

    _TITLE = ("Notes on the source", "关于原文的说明")

    def __init__(self, items: list[dict], dataset: str = ""):
        self.items = [dict(q) for q in items]
        self.dataset = dataset

    def _pairs(self) -> list[tuple[str, str]]:
        first, second = ("zh", "en") if i18n.get_language() == "zh" else ("en", "zh")
        return [(str(q.get(first, "")), str(q.get(second, ""))) for q in self.items]

    def _repr_html_(self) -> str:
        title = i18n.t(*self._TITLE)
        other = self._TITLE[0] if i18n.get_language() == "zh" else self._TITLE[1]
        where = f" <code>{html.escape(self.dataset)}</code>" if self.dataset else ""
        rows = "".join(f"<li><span>{html.escape(a)}</span><br><span style='color:#555'>{html.escape(b)}</span></li>"
                       for a, b in self._pairs())
        return (f"<div class='ck-source-notes' style='border-left:4px solid #d9b84c;background:#fffbea;"
                f"padding:6px 12px;margin:4px 0;max-width:100%;overflow-wrap:break-word'>"
                f"<b>{html.escape(title)}</b> · <span style='color:#555'>{html.escape(other)}</span>{where}"
                f"<ul style='margin:4px 0;padding-left:1.2em'>{rows}</ul></div>")

    def __repr__(self) -> str:
        lines = [f"{i18n.t(*self._TITLE)}{' (' + self.dataset + ')' if self.dataset else ''}:"]
        for a, b in self._pairs():
            lines += [f"- {a}", f"  {b}"]
        return "\n".join(lines)

    def __len__(self) -> int:
        return len(self.items)


def quirks(data: str | pd.DataFrame, ids: list[str] | tuple[str, ...] | str | None = None) -> SourceNotes:
    """The recorded quirks of a dataset's source (its inconsistencies, kept and flagged, never
    fixed) as a bilingual note for a notebook, e.g. ``tables.quirks("interviews")``; ``ids`` keeps
    some of them (e.g. ``"no_countermeasure_for_spillovers"``).

    >>> notes = quirks("interviews")
    >>> len(notes) >= 1 and "19.8" in repr(notes)
    True
    """
    if isinstance(data, str):
        df = load_dataset(data)
    elif isinstance(data, pd.DataFrame):
        df = data
    else:
        raise CasekitError(i18n.t(
            f"quirks() takes a dataset name such as 'interviews' or a DataFrame it returned, not {short(data, 40)}.",
            f"quirks() 需要数据集名称（如 'interviews'）或其 DataFrame，而不是 {short(data, 40)}。"))
    items = df.attrs.get("quirks") or []
    if not isinstance(items, list):
        items = []
    if ids is not None:
        wanted = [ids] if isinstance(ids, str) else list(ids) if isinstance(ids, (list, tuple)) else None
        known = [str(q.get("id")) for q in items if isinstance(q, dict)]
        if wanted is None or any(not isinstance(w, str) or w not in known for w in wanted):
            raise CasekitError(i18n.t(f"ids must name quirks of this dataset: {', '.join(known) or '(none)'}; "
                                      f"got {short(ids, 60)}.",
                                      f"ids 应为本数据集的说明编号：{'、'.join(known) or '（无）'}；收到的是 {short(ids, 60)}。"))
        items = [q for q in items if q.get("id") in wanted]
    name = df.attrs.get("name") if isinstance(df.attrs.get("name"), str) else ""
    return SourceNotes([q for q in items if isinstance(q, dict)], name)
