"""How tables look in a notebook: long text wraps instead of being cut with "...", text columns keep
a readable width (Chinese is never squeezed to a character a line), and a table is never wider
than the output area (a laptop at 1280×800 with JupyterLab's file browser open has about 848 px).

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

import itertools
import re

import pandas as pd

from .datasets import code_labels, label_codes  # re-exported: labelling codes is the data layer's job

__all__ = ["frame_html", "install", "uninstall", "glossary", "label_codes"]

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


def frame_html(df: pd.DataFrame) -> str:
    """``df`` as HTML for a notebook: no cut text, wrapping text columns with a minimum width."""
    cls = f"ck-t{next(_ids)}"
    opt = pd.get_option
    max_rows = opt("display.max_rows")
    if max_rows and len(df) > max_rows:   # as pandas does: a long table shows min_rows of them
        max_rows = opt("display.min_rows") or max_rows
    max_cols = opt("display.max_columns")
    body = df.to_html(max_rows=max_rows, max_cols=max_cols, show_dimensions=opt("display.show_dimensions"),
                      border=0, sparsify=False, classes=["dataframe", "ck-table", cls])
    rules = [f".{cls}{{border-collapse:collapse;max-width:100%;table-layout:auto}}",
             f".{cls} td,.{cls} th{{white-space:normal;overflow-wrap:anywhere;vertical-align:top;"
             f"text-overflow:clip}}"]
    offset = df.index.nlevels
    if max((_columns(str(v)) for v in df.index[:500]), default=0) <= 24:   # "12", "keda": never "1/2"
        rules.append(f".{cls} tbody th{{white-space:nowrap;overflow-wrap:normal}}")
    if not max_cols or df.shape[1] <= max_cols:   # with columns left out, positions would not match
        for j, width in enumerate(_widths(df)):
            align = "text-align:left;" if _is_text(df.iloc[:, j]) else ""
            rules.append(f".{cls} tr>:nth-child({offset + j + 1}){{min-width:{width:.1f}em;{align}}}")
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
