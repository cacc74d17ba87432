"""casekit: a bilingual case-teaching kit on how Chinese SME "little giants" and enterprise
clusters build independent-innovation capability.

>>> import casekit
>>> casekit.set_language("en")
'en'
"""
from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from . import i18n
from .datasets import catalog, codebook, dataset_names, load_dataset, metadata, table
from .errors import CasekitError, install_ipython_handler
from .i18n import chosen_language, get_language, set_language

__all__ = [
    "CasekitError", "catalog", "chosen_language", "codebook", "dataset_names", "get_language", "load_dataset", "metadata",
    "save", "set_language", "table",
]
# The layers above the data (unit models, diagrams, tables, widgets) load when first named, so that
# `import casekit.datasets` loads the data layer alone and `import casekit` stays quick (PEP 562):
# `casekit.diagrams.show(...)` and `casekit.show_case(...)` work as if imported here.
_LAZY = {"show_case": ("decision_cases", "show_case")}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(f".{module}", __name__), attr)
    elif not name.startswith("__"):
        try:
            value = importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__version__ = "0.1.0"


def save(obj: Any, path: str | Path) -> Path:
    """Save a diagram (graphviz) or a plot (matplotlib figure, or an object with ``.figure``/``.fig``)
    as ``.svg``/``.png`` for slides, in one call."""
    import graphviz   # loaded on use, as are diagrams and plotting (matplotlib): `import casekit` stays quick

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


# In an IPython shell (a notebook): errors show as short messages, and DataFrames wrap long text
# instead of cutting it and fit the screen. Outside one, no presentation module is loaded.
if install_ipython_handler():
    from . import tables as _tables

    _tables.install()
