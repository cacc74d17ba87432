"""Graphviz diagrams that render everywhere, in both languages.

Builders across the kit return :class:`graphviz.Digraph` objects made with :func:`digraph`, which
presets fonts that carry Chinese glyphs. Show them with :func:`show`:

* the Graphviz ``dot`` program is installed: an SVG, rendered by JupyterLab;
* no ``dot``: the same graph drawn in the browser by Graphviz compiled to WebAssembly
  (``graphviz-anywidget``, offline, no server-side program needed);
* neither: the DOT source, with a one-line hint on how to install Graphviz.

On a phone a diagram laid out for a laptop shrinks until its text cannot be read, so :func:`show`
also draws a narrow form wherever the laptop form would put text under 11 px on a phone
(:data:`PHONE_AREA_PX`): the builder's own narrow layout (a builder decorated with
:func:`two_forms` draws it again under :func:`narrow_layout`, where :func:`pick` chooses the narrow
values), else the graph turned on its side when that reads better. Both forms go into the output
and the screen's width picks one (see :mod:`casekit.plotting`). A narrow form that still cannot be
read at phone width is shown at the width where its text is 11 px, in a box that scrolls sideways.

>>> g = digraph("demo")
>>> g.node("a", "研发 R&D"); g.edge("a", "a")
>>> "研发" in g.source
True
"""
from __future__ import annotations

import functools
import re
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable

import graphviz

from . import i18n
from ._guard import output_path, prepare_dir, write_error
from .plotting import responsive_html
from .datasets import code_label, dataset_names, load_dataset, metadata
from .errors import CasekitError
from .units import unit_heading

__all__ = ["FONTS", "digraph", "has_dot", "show", "save", "render_mode", "wrap", "INSTALL_HINT", "provenance_map"]
# Not in __all__ (the kit's own builders use them): narrow_layout, is_narrow, pick, two_forms,
# phone_text_px, PHONE_AREA_PX.

# fontconfig and browsers both take a comma-separated fallback list.
FONTS = "WenQuanYi Micro Hei,Noto Sans CJK SC,PingFang SC,Microsoft YaHei,Helvetica,Arial,sans-serif"
INSTALL_HINT = (
    "Graphviz's `dot` program is not installed, so this diagram is shown as its DOT source. "
    "Install it with `sudo apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` "
    "(macOS) or `conda install -c conda-forge graphviz`, then re-run the cell."
)

_forced: dict[str, str | None] = {"mode": None}


def has_dot() -> bool:
    """True when the Graphviz ``dot`` program is on the PATH."""
    return shutil.which("dot") is not None


def _has_wasm_widget() -> bool:
    try:
        import graphviz_anywidget  # noqa: F401
    except Exception:
        return False
    return True


def render_mode() -> str:
    """How :func:`show` will draw: ``"svg"``, ``"wasm"`` or ``"source"``.

    Set ``casekit.diagrams._forced["mode"]`` (tests do) to pretend a program is missing.
    """
    if _forced["mode"]:
        return _forced["mode"]
    if has_dot():
        return "svg"
    if _has_wasm_widget():
        return "wasm"
    return "source"


# --------------------------------------------------------------------------------------------
# The narrow form
# --------------------------------------------------------------------------------------------
PHONE_AREA_PX = 350      # a phone's output area (390 px wide, less the page's margins)
MIN_PHONE_TEXT_PX = 11   # no diagram text under this at that width
_narrow = {"on": False}


@contextmanager
def narrow_layout():
    """Inside this block diagram builders draw their narrow (phone) form: :func:`pick` returns its
    second value."""
    old = _narrow["on"]
    _narrow["on"] = True
    try:
        yield
    finally:
        _narrow["on"] = old


def is_narrow() -> bool:
    """True while a builder draws its narrow form."""
    return _narrow["on"]


def pick(wide: Any, narrow: Any) -> Any:
    """``wide`` for the laptop form of a diagram, ``narrow`` for the phone form (builders write
    ``wrap(label, pick(22, 12))``, ``rankdir=pick("LR", "TB")``)."""
    return narrow if _narrow["on"] else wide


def two_forms(builder: Callable[..., graphviz.Digraph]) -> Callable[..., graphviz.Digraph]:
    """Decorate a diagram builder so the graph it returns can draw its narrow form again: the same
    call, in the same language, under :func:`narrow_layout` (``graph.casekit_narrow()``)."""
    @functools.wraps(builder)
    def wrapper(*args, **kwargs):
        g = builder(*args, **kwargs)
        if not _narrow["on"] and isinstance(g, (graphviz.Digraph, graphviz.Graph)):
            lang = i18n.get_language()

            def narrow_form():
                old = i18n.get_language()
                i18n.set_language(lang)
                try:
                    with narrow_layout():
                        return builder(*args, **kwargs)
                finally:
                    i18n.set_language(old)

            g.casekit_narrow = narrow_form
        return g
    return wrapper


def _svg_size(svg: str) -> tuple[float, float, float]:
    """(width px, height px, smallest font px) of dot's SVG at its natural size (dot writes pt)."""
    def px(attr: str) -> float:
        m = re.search(rf'<svg[^>]*?\b{attr}="([\d.]+)(pt|px)?"', svg)
        return float(m.group(1)) * (4 / 3 if (m.group(2) or "pt") == "pt" else 1) if m else 0.0

    fonts = [float(x) for x in re.findall(r'font-size="([\d.]+)"', svg)]
    return px("width"), px("height"), (min(fonts) * 4 / 3 if fonts else 14.0)


def phone_text_px(svg: str) -> float:
    """The smallest text of ``svg`` in px when shown on a phone (scaled down to fit, never up)."""
    w, _h, font = _svg_size(svg)
    return font * min(1.0, PHONE_AREA_PX / w) if w else font


def _turned(graph: graphviz.Digraph | graphviz.Graph):
    """A copy of ``graph`` laid out the other way (left to right <-> top to bottom)."""
    flip = {"LR": "TB", "RL": "BT", "TB": "LR", "BT": "RL"}
    g = graph.copy()
    g.body = [re.sub(r'\brankdir=("?)(LR|RL|TB|BT)\1', lambda m: f"rankdir={flip[m.group(2)]}", line) for line in g.body]
    if not any("rankdir=" in line for line in g.body):
        g.graph_attr["rankdir"] = "LR"
    return g


_UNDRAWN = object()


def _narrow_svg(graph, wide: str, drawn: Any = _UNDRAWN) -> tuple[str | None, float | None]:
    """(narrow SVG, width px to draw it at in a sideways-scrolling box, or None) for ``graph``
    whose laptop form is ``wide``; (None, None) when ``wide`` reads on a phone as it is. ``drawn``
    is the narrow candidate's SVG if :func:`_wide_and_candidate` drew it already."""
    if phone_text_px(wide) >= MIN_PHONE_TEXT_PX:
        return None, None
    build = getattr(graph, "casekit_narrow", None)
    candidates = []
    if isinstance(drawn, str):
        candidates.append(drawn)
    else:   # not drawn yet, or drawing it failed: drawn here, so that a failure is met as it always was
        try:
            if build is not None:
                candidates.append(build().pipe(format="svg", encoding="utf-8"))
            else:
                candidates.append(_turned(graph).pipe(format="svg", encoding="utf-8"))
        except (graphviz.ExecutableNotFound, graphviz.CalledProcessError, CasekitError):
            pass
    best = max(candidates + [wide], key=phone_text_px)
    if phone_text_px(best) >= MIN_PHONE_TEXT_PX:
        return _TITLE.sub("", best), None
    w, _h, font = _svg_size(best)
    return _TITLE.sub("", best), w * (MIN_PHONE_TEXT_PX + 0.5) / font


def _wide_and_candidate(graph) -> tuple[str, Any]:
    """dot's SVG of ``graph`` and of its narrow candidate (the builder's narrow form, else the graph
    turned), drawn at the same time by two ``dot`` processes: a second core draws one while the
    first draws the other, and the narrow form is built while ``dot`` lays out the wide one. The
    candidate is drawn before anyone knows it is needed (12 of the kit's 13 diagrams need it);
    drawing it is only an attempt: what it raised is returned, not raised, and :func:`_narrow_svg`
    draws it again, as it always did, if and only if the wide form needs it."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        wide = pool.submit(graph.pipe, format="svg", encoding="utf-8")
        try:
            build = getattr(graph, "casekit_narrow", None)
            drawn: Any = (build() if build is not None else _turned(graph)).pipe(format="svg", encoding="utf-8")
        except Exception as exc:   # noqa: BLE001 (kept, not raised: see above)
            drawn = exc
        return wide.result(), drawn


def digraph(name: str | None = None, *, rankdir: str = "LR", **graph_attr: str) -> graphviz.Digraph:
    """A ``graphviz.Digraph`` preset for the kit: CJK-capable fonts, readable when projected."""
    g = graphviz.Digraph(name=name or "casekit")
    g.attr(rankdir=rankdir, fontname=FONTS, fontsize="14", bgcolor="white", **graph_attr)
    g.attr("node", fontname=FONTS, fontsize="13", shape="box", style="rounded,filled",
           fillcolor="#f4f6fb", color="#4a5a80")
    g.attr("edge", fontname=FONTS, fontsize="11", color="#4a5a80")
    return g


def wrap(text: str, width: int = 22) -> str:
    """``text`` broken into lines of about ``width`` columns for a node or edge label (a Chinese
    character counts as two columns; existing line breaks are kept), so a diagram stays narrow
    enough to be read at a notebook's width instead of being shrunk.

    >>> wrap("independent-innovation capability raised by collaboration", 20)
    'independent-innovation\\ncapability raised\\nby collaboration'
    >>> wrap("研发营销协同提升自主创新能力", 12)
    '研发营销协\\n同提升自主\\n创新能力'
    >>> wrap("隐含经验类知识", 12)
    '隐含经验\\n类知识'

    In a diagram's narrow form (:func:`narrow_layout`) a hyphenated word may break after its hyphen.
    """
    def cols(s: str) -> int:
        return sum(2 if "\u2e80" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef" else 1 for ch in s)

    def greedy(tokens: list[str], w: int) -> list[str]:
        lines, line = [], ""
        for token in tokens:
            if line and cols(line + token.rstrip()) > w:
                lines.append(line.rstrip())
                line = token.lstrip()
            else:
                line += token
        return lines + [line.rstrip()]

    out: list[str] = []
    for para in str(text).split("\n"):
        tokens = re.findall(r"[\u2e80-\u9fff\uff00-\uffef][，、；：。）」”]?|[^\s\u2e80-\u9fff\uff00-\uffef]+\s*|\s+", para)
        if _narrow["on"]:   # a phone's diagram also breaks "technology-|based" after its hyphen
            tokens = [piece for tok in tokens for piece in re.findall(r"[^-–]+[-–]?\s*|[-–]\s*", tok)]
        lines = greedy(tokens, width)
        # even lines rather than a long one and a stub ("隐含经验类知" / "识")
        for w in range(-(-cols(para) // len(lines)), width):
            even = greedy(tokens, w)
            if len(even) == len(lines):
                lines = even
                break
        out += lines
    return "\n".join(out)


class DotSource:
    """Fallback display: the DOT source and how to get the picture."""

    def __init__(self, graph: graphviz.Digraph):
        self.source = graph.source

    def _repr_markdown_(self) -> str:
        return f"> {INSTALL_HINT}\n\n```dot\n{self.source}\n```"

    def _repr_html_(self) -> str:
        import html

        return (f"<blockquote>{html.escape(INSTALL_HINT)}</blockquote>"
                f"<pre style='white-space:pre-wrap'>{html.escape(self.source)}</pre>")

    def __repr__(self) -> str:
        return f"{INSTALL_HINT}\n\n{self.source}"


_TITLE = re.compile(r"<title>[^<]*</title>\n?")


class FittedSVG:
    """dot's SVG as a notebook shows it: at its natural size when that fits, scaled down with its
    viewBox to the output area's width when it does not, so no diagram runs off the side of the
    screen (a laptop at 1280×800 with the file browser open has about 848 px). JupyterLab draws an
    ``image/svg+xml`` output as an image at its own size, so the notebook gets the same SVG inline
    in HTML with ``max-width: 100%``; the SVG itself stays in the bundle for export and slides.
    Diagrams are laid out (wrapped labels, direction) so their text stays at least 10 px at that
    width; shrinking is the last resort, not the layout."""

    def __init__(self, svg: str, narrow: str | None = None, narrow_width_px: float | None = None):
        # dot gives every node, edge and graph a <title> holding its internal name (``cluster_s1``,
        # ``keda_t_deep``), which a browser shows as a tooltip: a reader sees labels, never those ids.
        self.data = _TITLE.sub("", svg)
        # the phone's form (see show()), or None when this one reads on a phone too
        self.narrow = _TITLE.sub("", narrow) if narrow else None
        self.narrow_width_px = narrow_width_px

    def _repr_svg_(self) -> str:
        return self.data

    def _repr_html_(self) -> str:
        if self.narrow is None:
            body = re.sub(r"^\s*<\?xml[^>]*>\s*(<!DOCTYPE[^>]*>\s*)?", "", self.data)
            body = body.replace("<svg ", '<svg style="max-width:100%;height:auto;display:block" ', 1)
            return f'<div class="ck-diagram" style="max-width:100%">{body}</div>'
        return responsive_html(self.data, self.narrow, narrow_width_px=self.narrow_width_px, kind="ck-diagram")

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/html": self._repr_html_(), "image/svg+xml": self.data}


# The in-browser renderer draws at natural size too: keep its drawing inside the cell.
_WIDGET_CSS = ("<style>.ck-graph{max-width:100%}.ck-graph svg{max-width:100% !important;"
               "height:auto !important}</style>")


def _fitted_widget(source: str):
    import ipywidgets
    from graphviz_anywidget import graphviz_widget

    box = graphviz_widget(source, controls=False)   # its search/zoom bar is cut at a laptop's width
    box.add_class("ck-graph")
    box.layout.max_width = "100%"
    box.children = (*box.children, ipywidgets.HTML(_WIDGET_CSS))
    return box


def show(graph: graphviz.Digraph | graphviz.Graph) -> Any:  # noqa: C901
    """What a notebook cell should display for ``graph``, whatever this machine has (with a narrow
    form for phones where the laptop form would be unreadable on one)."""
    return _show(graph)


def _show(graph: graphviz.Digraph | graphviz.Graph, forms: str = "both") -> Any:  # noqa: C901
    """:func:`show`; ``forms`` is ``"both"``, ``"wide"`` or ``"narrow"`` (an explorer that knows
    which form the screen shows draws only that one on every change)."""
    if not isinstance(graph, (graphviz.Digraph, graphviz.Graph)):
        raise CasekitError(
            f"show() draws a graphviz diagram, but it was given {type(graph).__name__}. "
            "Pass the object a casekit diagram function returned."
        )
    mode = render_mode()
    if mode == "svg":
        try:
            if forms == "narrow":
                build = getattr(graph, "casekit_narrow", None)
                small = (build() if build is not None else graph).pipe(format="svg", encoding="utf-8")
                w, _h, font = _svg_size(small)
                if phone_text_px(small) >= MIN_PHONE_TEXT_PX:
                    return FittedSVG(small)
                return FittedSVG(small, small, w * (MIN_PHONE_TEXT_PX + 0.5) / font)
            if forms == "wide":
                return FittedSVG(graph.pipe(format="svg", encoding="utf-8"))
            wide, drawn = _wide_and_candidate(graph)
            return FittedSVG(wide, *_narrow_svg(graph, wide, drawn))
        except graphviz.ExecutableNotFound:
            mode = "wasm" if _has_wasm_widget() else "source"
        except graphviz.CalledProcessError as exc:  # a malformed graph: show what we can
            return DotSource(graph)
    if mode == "wasm":
        try:
            return _fitted_widget(graph.source)
        except Exception:
            mode = "source"
    return DotSource(graph)


def _draw_into(box: Any, shown: Any) -> None:
    """Put what :func:`show` returned into ``box`` (an ipywidgets Box): an SVG or the DOT source
    updates the box's one HTML child in place; a widget (the in-browser renderer) replaces the
    child, and the one it replaces is closed. Explorers redraw this way rather than by capturing
    output in an ``Output`` widget: a headless executor (nbclient under otter, Voilà) answers
    captured output with a message on the shell channel while it waits for the cell's reply, and
    that send can swallow the reply's wake-up, so the cell never finishes (benchmarks/bench_stall.py)."""
    import ipywidgets

    current = box.children[0] if box.children else None
    if isinstance(shown, ipywidgets.Widget):
        box.children = (shown,)
    elif isinstance(current, ipywidgets.HTML):
        current.value = shown._repr_html_()
        return
    else:
        box.children = (ipywidgets.HTML(shown._repr_html_(), layout=ipywidgets.Layout(max_width="100%")),)
    if current is not None and current is not shown:
        current.close()


def save(graph: graphviz.Digraph | graphviz.Graph, path: str | Path) -> Path:
    """Write ``graph`` to ``path`` (``.svg``, ``.png``, ``.pdf`` or ``.dot``) for slides.

    SVG and PNG need Graphviz's ``dot``; ``.dot`` always works and opens in any Graphviz viewer.
    """
    if not isinstance(graph, (graphviz.Digraph, graphviz.Graph)):
        raise CasekitError(f"save() writes a graphviz diagram, but it was given {type(graph).__name__}. "
                           "Pass the object a casekit diagram function returned.")
    path = output_path(path, "diagram", ("svg", "png", "pdf", "dot", "gv"))
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in ("dot", "gv") and not has_dot():
        raise CasekitError(INSTALL_HINT.replace("this diagram is shown as its DOT source", "it cannot be saved as "
                           f"{fmt.upper()}; save it as .dot instead, or"))
    prepare_dir(path)
    try:
        if fmt in ("dot", "gv"):
            path.write_text(graph.source, encoding="utf-8")
        else:
            path.write_bytes(graph.pipe(format=fmt))
    except OSError as exc:
        raise write_error(path, exc) from None
    return path


def provenance_map() -> graphviz.Digraph:
    """Source documents → the datasets drawn from them → the unit that uses each, from the data."""
    zh = i18n.get_language() == "zh"
    g = digraph("provenance", rankdir="LR", nodesep="0.15", ranksep="1.0")
    sources = load_dataset("sources")
    kinds = dict(zip(sources["document"].astype(str), sources["source_type"].astype(str)))
    docs: set[str] = set()
    for name in dataset_names():
        meta = metadata(name)
        g.node(f"ds_{name}", f"{wrap(meta.title_zh if zh else meta.title_en, 44)}\n({name})", fontsize="11",
               fillcolor="#fff4d6" if meta.illustrative else "#f4f6fb")
        for doc in meta.source.documents:
            docs.add(doc)
            g.edge(f"doc_{doc}", f"ds_{name}")
        g.edge(f"ds_{name}", f"unit_{meta.unit}")
        g.node(f"unit_{meta.unit}", unit_heading(meta.unit), shape="box", fillcolor="#dfe9ff")
    for doc in sorted(docs):
        kind = code_label(kinds[doc], column="sources.source_type") if doc in kinds else ""
        g.node(f"doc_{doc}", f"{'文献' if zh else 'source'} {doc}\\n{kind}", shape="note", fillcolor="#eaf6ea")
    return g


from ._guard import protect  # noqa: E402

protect(globals(), __all__)
