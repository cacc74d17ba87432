"""casekit: a bilingual case-teaching kit on how Chinese SME "little giants" and enterprise
clusters build independent-innovation capability.

>>> import casekit
>>> casekit.set_language("en")
'en'
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from . import diagrams, i18n, plotting, tables  # so casekit.diagrams.show(...) works after `import casekit`
from .datasets import catalog, codebook, dataset_names, load_dataset, metadata, table
from .decision_cases import show_case
from .errors import CasekitError, install_ipython_handler
from .i18n import chosen_language, get_language, set_language

__all__ = [
    "CasekitError", "catalog", "chosen_language", "codebook", "dataset_names", "get_language", "load_dataset", "metadata",
    "save", "set_language", "table",
]
__version__ = "0.1.0"


def save(obj: Any, path: str | Path) -> Path:
    """Save a diagram (graphviz) or a plot (matplotlib figure, or an object with ``.figure``/``.fig``)
    as ``.svg``/``.png`` for slides, in one call."""
    import graphviz

    if isinstance(obj, (graphviz.Digraph, graphviz.Graph)):
        from .diagrams import save as _save_graph

        return _save_graph(obj, path)
    fig = obj
    for attr in ("figure", "fig"):
        if not hasattr(fig, "savefig") and hasattr(fig, attr):
            fig = getattr(fig, attr)
    if hasattr(fig, "savefig"):
        from .plotting import save as _save_fig

        return _save_fig(fig, path)
    raise CasekitError(
        f"casekit.save() saves a diagram or a plot, not {type(obj).__name__}. Pass the object a "
        "casekit diagram or plot function returned."
    )


from ._guard import boundary as _boundary  # noqa: E402

save = _boundary(save)


install_ipython_handler()
tables.install()   # in a notebook: DataFrames wrap long text instead of cutting it, and fit the screen
