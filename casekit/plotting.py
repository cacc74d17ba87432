"""matplotlib set up for Chinese glyphs, figures that read on a phone, and saving figures for slides.

matplotlib's default font has no CJK glyphs and draws empty boxes. :func:`use_cjk_fonts` puts a
CJK font first in the sans-serif list (WenQuanYi Micro Hei, Noto Sans CJK, the macOS and Windows
system fonts), rebuilding matplotlib's font cache once if a font was installed after the cache.

In a notebook, casekit's plots are shown as SVG, not PNG: sharp at any projector size, about a
quarter of the bytes, and three times faster to draw for text-heavy figures (the 1996–2022 timeline:
0.18 s against 0.54 s), since the text stays text for the browser to draw. ``inline_svg(False)``
goes back to PNG.

A figure is drawn in the kernel before anyone knows how wide the reader's screen is. A kit figure
drawn for a laptop (826 px) shrinks to a phone's 356 px with its text at about 5 px, so the kit's
figures come in two forms: the laptop one and, where that one would be unreadable at phone width,
a narrow one (3.6 in, 346 px, no text under 9 pt, 12 px). Both go into the cell's HTML output as
inline SVG and a CSS rule picks one by the screen's width (:data:`PHONE_PX`); the style travels with
the output, so JupyterLab and Voilà show the same. The ``image/svg+xml`` copy of the wide form
stays in the output for export and slides. Plot functions make their figures with
:func:`new_figure` and set ``fig.narrow`` to a function that draws the narrow form.
"""
from __future__ import annotations

import io
import itertools
import re
from pathlib import Path
from typing import Any

from ._guard import output_path, prepare_dir, short, write_error
from .errors import CasekitError

# The narrow-screen helpers below (PHONE_PX, new_figure, responsive_html, phone_style, ...) serve the
# kit's plot, diagram and widget modules; they are not part of the public API.
__all__ = ["CJK_FONTS", "use_cjk_fonts", "cjk_font_available", "inline_svg", "save"]

CJK_FONTS = ["WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans CJK JP", "Source Han Sans SC",
             "PingFang SC", "Heiti SC", "Microsoft YaHei", "SimHei"]
_done = {"configured": False, "font": None, "inline": None}


def inline_svg(enabled: bool = True) -> bool:
    """Show matplotlib figures in this notebook as SVG (``True``) or PNG (``False``).

    Returns True when a notebook kernel took the setting; outside a notebook it does nothing.
    casekit turns SVG on at its first plot unless you have called this yourself.
    """
    _done["inline"] = enabled
    try:
        from IPython import get_ipython

        shell = get_ipython()
        if shell is None or "IPKernelApp" not in shell.config:
            return False
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        set_matplotlib_formats("svg" if enabled else "png")
        _install_formatters(shell)
        return True
    except Exception:   # an old or unusual front end: keep its default format
        return False


def _find_cjk_font() -> str | None:
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    for name in CJK_FONTS:
        if name in names:
            return name
    # The cache may predate a font installed later (FIELD-NOTES): rebuild once and look again.
    fm = font_manager._load_fontmanager(try_read_cache=False)
    font_manager.fontManager = fm
    names = {f.name for f in fm.ttflist}
    return next((n for n in CJK_FONTS if n in names), None)


def use_cjk_fonts() -> str | None:
    """Configure matplotlib so Chinese renders as glyphs. Returns the CJK font used, or None.

    Cheap after the first call.
    """
    if _done["configured"]:
        return _done["font"]
    import matplotlib

    font = _find_cjk_font()
    if font is None:
        import warnings

        warnings.warn(
            "No Chinese (CJK) font found: Chinese labels in plots will show as boxes. Install one "
            "(Debian/Ubuntu: sudo apt-get install fonts-wqy-microhei) and restart the kernel.",
            stacklevel=2,
        )
    rc = matplotlib.rcParams
    rc["font.family"] = "sans-serif"
    rc["font.sans-serif"] = ([font] if font else []) + [f for f in rc["font.sans-serif"] if f != font]
    rc["axes.unicode_minus"] = False
    rc["svg.fonttype"] = "none"  # keep text as text in SVG so slides stay editable and sharp
    if _done["inline"] is None:
        inline_svg(True)
    _done.update(configured=True, font=font)
    return font


def cjk_font_available() -> bool:
    """True when matplotlib can draw Chinese glyphs on this machine."""
    return use_cjk_fonts() is not None


# --------------------------------------------------------------------------------------------
# Figures for narrow screens
# --------------------------------------------------------------------------------------------
PHONE_PX = 600          # at most this wide (CSS px), a screen gets the narrow forms: phones held upright
NARROW_IN = 3.6         # a narrow figure: 346 px, inside a 390-px phone's output area (about 356 px)
NARROW_PT = 9           # its smallest text: 12 px on screen, still 11 px on a 360-px phone

_svg_ids = itertools.count()
_XML_HEAD = re.compile(r"^\s*<\?xml[^>]*>\s*(<!DOCTYPE[^>]*>\s*)?")
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.S)


def _responsive_class() -> type:
    """:class:`ResponsiveFigure`, defined on first use (importing matplotlib takes half a second,
    and a module that only draws diagrams should not pay it)."""
    if "figure_class" not in _done:
        from matplotlib.figure import Figure

        class ResponsiveFigure(Figure):
            """A matplotlib Figure that can also draw its narrow form: ``fig.narrow`` is None or a
            function returning a Figure drawn for a phone (:data:`NARROW_IN` wide). In a notebook
            the cell shows both and the screen's width picks one; elsewhere it is an ordinary Figure."""

            narrow = None

        ResponsiveFigure.__module__, ResponsiveFigure.__qualname__ = __name__, "ResponsiveFigure"
        _done["figure_class"] = ResponsiveFigure
    return _done["figure_class"]


def __getattr__(name: str) -> Any:   # plotting.ResponsiveFigure, built when first asked for
    if name == "ResponsiveFigure":
        return _responsive_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def new_figure(figsize: tuple[float, float], *, narrow: bool = False, pyplot: bool = False, **kwargs):
    """A figure for a kit plot. The wide form is a ``ResponsiveFigure`` (left to pyplot when
    ``pyplot`` is true, so the inline backend shows it at the end of the cell); a narrow form is a
    plain Figure outside pyplot (drawn while the wide one is shown, it must not be shown again)."""
    if narrow:
        from matplotlib.figure import Figure

        return Figure(figsize=figsize, **kwargs)
    if pyplot:
        import matplotlib.pyplot as plt

        return plt.figure(figsize=figsize, FigureClass=_responsive_class(), **kwargs)
    return _responsive_class()(figsize=figsize, **kwargs)


def _figure_svg(fig) -> str:
    """The SVG the inline backend would show (tight bounding box), drawn once.

    A figure laid out by hand to fit its canvas (``fig.fits_canvas = True``: margins set with
    ``subplots_adjust``, no layout engine) is saved at its own size instead: cropping to the tight
    box costs matplotlib a second full layout pass (the Keda–Zhongtu timeline: 110 ms a form instead
    of 53 ms) only to trim a margin of a tenth of an inch. tests/test_plotting.py checks that nothing
    of such a figure lies outside its canvas, in both forms and both languages."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches=None if getattr(fig, "fits_canvas", False) else "tight")
    return buf.getvalue()


def inline_svg_markup(svg: str, style: str = "max-width:100%;height:auto;display:block") -> str:
    """An SVG document made fit to sit inline in HTML beside others: no XML header, no metadata,
    its ids (markers, clip paths, glyphs) prefixed so two figures on one page never share one, and
    matplotlib's catch-all ``*{...}`` style limited to this SVG."""
    n = next(_svg_ids)
    body = _METADATA.sub("", _XML_HEAD.sub("", svg))
    body = re.sub(r'\bid="([^"]+)"', lambda m: f'id="ck{n}-{m.group(1)}"', body)
    body = re.sub(r'(href=")#([^"]+)"', lambda m: f'{m.group(1)}#ck{n}-{m.group(2)}"', body)
    body = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#ck{n}-{m.group(1)})", body)
    body = body.replace("<svg ", f'<svg class="ck-svg{n}" style="{style}" ', 1)
    body = body.replace('<style type="text/css">*{', f'<style type="text/css">.ck-svg{n} *{{', 1)
    return body


# The rule that picks a form. Repeated in every output that needs it (a few hundred bytes): each
# output carries its own style, in JupyterLab, Voilà and an exported page alike.
_FORMS_CSS = (f"<style>.ck-forms>.ck-n{{display:none}}.ck-forms>div>svg{{max-width:100%;height:auto}}"
              f".ck-forms .ck-scroll{{overflow-x:auto;-webkit-overflow-scrolling:touch}}"
              f".ck-forms .ck-scroll>svg{{max-width:none}}"
              f"@media (max-width:{PHONE_PX}px){{.ck-forms>.ck-w{{display:none}}.ck-forms>.ck-n{{display:block}}}}"
              f"</style>")


def responsive_html(wide: str, narrow: str | None = None, *, narrow_width_px: float | None = None,
                    kind: str = "ck-figure") -> str:
    """HTML showing SVG ``wide`` on a laptop and ``narrow`` on a screen at most :data:`PHONE_PX`
    wide (``wide`` on both when there is no narrow form). ``narrow_width_px`` draws the narrow form
    at that width inside a box that scrolls sideways (a diagram that cannot get narrow enough to be
    read: panned, never shrunk to unreadable text)."""
    if narrow is None:
        return f'<div class="{kind}" style="max-width:100%">{inline_svg_markup(wide)}</div>'
    if narrow_width_px:
        n_div = (f'<div class="ck-n ck-scroll">'
                 f'{inline_svg_markup(narrow, f"width:{narrow_width_px:.0f}px;height:auto;display:block")}</div>')
    else:
        n_div = f'<div class="ck-n">{inline_svg_markup(narrow)}</div>'
    return (f'<div class="ck-forms {kind}" style="max-width:100%">{_FORMS_CSS}'
            f'<div class="ck-w">{inline_svg_markup(wide)}</div>{n_div}</div>')


def figure_forms(fig) -> tuple[str, str | None]:
    """(wide SVG, narrow SVG or None) of a figure; the narrow one is drawn, saved and closed here."""
    wide = _figure_svg(fig)
    build = getattr(fig, "narrow", None)
    if build is None:
        return wide, None
    small = build()
    try:
        return wide, _figure_svg(small)
    finally:
        small.clear()


def _figure_html(fig) -> str | None:
    """A notebook's HTML for a kit figure: both forms inline (SVG mode only; PNG mode shows a PNG)."""
    if _done["inline"] is False:
        return None
    wide, narrow = figure_forms(fig)
    fig.__dict__["_ck_svg"] = wide       # the image/svg+xml formatter comes next: no second drawing
    return responsive_html(wide, narrow)


def _figure_svg_output(fig) -> str | None:
    cached = fig.__dict__.pop("_ck_svg", None)
    if cached is not None or _done["inline"] is False:
        return cached
    return _figure_svg(fig)


def _install_formatters(shell) -> None:
    """Register the two-form view of kit figures with IPython (text/html, then image/svg+xml)."""
    formatters = shell.display_formatter.formatters
    formatters["text/html"].for_type(_responsive_class(), _figure_html)
    formatters["image/svg+xml"].for_type(_responsive_class(), _figure_svg_output)
    callbacks = getattr(getattr(shell, "events", None), "callbacks", {}).get("post_execute")
    if isinstance(callbacks, list) and _no_raster_for_svg not in callbacks:
        callbacks.insert(0, _no_raster_for_svg)   # before pyplot's own post_execute draw


def _no_raster_for_svg() -> None:
    """After a cell, pyplot draws every changed figure it manages with the backend's renderer (Agg:
    a raster), then the inline backend shows each figure, which IPython formats. A kit figure in a
    notebook showing SVG is shown by :func:`_figure_html`, which draws both forms itself: that
    raster is never seen, and drawing it costs as much as drawing one SVG form (0.1-0.2 s). Run just
    before pyplot's drawing, this marks such figures drawn; the inline backend shows them all the same.
    A figure with a layout engine (constrained layout) is laid out when its SVG is saved, as
    ``savefig`` does in a script; the Agg layout pass it used to get here first (70-150 ms for each
    of unit 04's cost-curve figures) only moved its axes by at most 0.4 pt in the SVG."""
    import sys

    pyplot = sys.modules.get("matplotlib.pyplot")
    cls = _done.get("figure_class")
    if pyplot is None or cls is None or not _done["inline"]:
        return
    try:
        import matplotlib

        backend = str(matplotlib.rcParams._get_backend_or_none() or "")
        if ("matplotlib_inline" not in backend and backend != "inline") or not matplotlib.is_interactive():
            return   # pyplot draws nothing after the cell (or draws for a screen): nothing to spare
        from matplotlib._pylab_helpers import Gcf

        for manager in Gcf.get_all_fig_managers():
            figure = manager.canvas.figure
            if isinstance(figure, cls) and figure.stale:
                figure.stale = False
    except Exception:   # an unusual matplotlib: let pyplot draw as it always does
        return


# --------------------------------------------------------------------------------------------
# Explorer controls a thumb can use
# --------------------------------------------------------------------------------------------
#: Touch-sized controls for the explorers on a narrow screen (scoped to ``.ck-explorer``): every
#: dropdown, checkbox row, toggle, button and slider handle at least 44 px tall, the label of each
#: control on its own line above it, sliders the full width, and ``.ck-sticky`` (the verdict) kept
#: in view at the bottom of the screen while the explorer's controls are on it. Laptops keep the
#: compact layout.
PHONE_CSS = f"""<style>
.ck-explorer .ck-stack.widget-inline-hbox{{flex-wrap:wrap;height:auto;align-content:flex-start}}
.ck-explorer .ck-stack>.widget-label{{flex:0 0 100%;width:100%!important;max-width:100%!important;text-align:left;
line-height:18px;height:auto;margin:0 0 2px 0;white-space:normal}}
.ck-explorer .ck-stack>select{{flex:1 1 auto;min-width:0}}
.ck-explorer .widget-dropdown.ck-stack>select{{height:var(--jp-widgets-inline-height,28px)}}
.ck-explorer .ck-sticky{{background:#fff}}
.ck-explorer .ck-factor{{height:auto;min-height:var(--jp-widgets-inline-height,28px)}}
.ck-explorer .ck-factor>.widget-label{{white-space:normal;line-height:14px;font-size:12px;height:auto;align-self:center;overflow:visible;text-align:right}}
.ck-explorer .ck-factor.widget-toggle-buttons{{display:flex;align-items:center}}
.ck-explorer .ck-factor.widget-toggle-buttons>div{{display:flex;flex:0 0 auto}}
@media (min-width:{PHONE_PX + 1}px){{.ck-explorer .ck-phone-only{{display:none!important}}}}
@media (max-width:{PHONE_PX}px){{
.jp-OutputArea-output:has(.ck-explorer),.jp-OutputArea-child:has(.ck-explorer),.jp-Cell-outputArea:has(.ck-explorer),
.jp-Cell-outputWrapper:has(.ck-explorer),.ck-explorer,.ck-explorer .widget-box{{overflow:visible!important}}
.ck-explorer{{width:100%!important;max-width:100%!important;min-width:0!important}}
.ck-explorer .widget-box{{max-width:100%!important;min-width:0!important}}
.ck-explorer .widget-hbox{{flex-wrap:wrap!important}}
.ck-explorer .widget-hbox>.widget-box,.ck-explorer .widget-hbox>.widget-html,.ck-explorer .widget-vbox>.widget-html{{width:100%!important;max-width:100%!important}}
.ck-explorer .widget-dropdown,.ck-explorer .widget-hslider,.ck-explorer .widget-text,.ck-explorer .widget-select-multiple,
.ck-explorer .widget-toggle-buttons,.ck-explorer .widget-checkbox{{width:100%!important;max-width:100%!important;height:auto!important;flex-wrap:wrap!important}}
.ck-explorer .widget-inline-hbox>.widget-label{{flex:0 0 100%!important;width:100%!important;max-width:100%!important;min-width:0!important;
text-align:left!important;white-space:normal!important;line-height:20px!important;height:auto!important;font-size:15px!important;margin:4px 0 2px 0!important}}
.ck-explorer .widget-dropdown>select,.ck-explorer .widget-text input,.ck-explorer .ck-number input{{min-height:44px!important;height:44px!important;font-size:16px!important;flex:1 1 auto!important;max-width:100%!important}}
.ck-explorer .widget-select-multiple select{{font-size:16px!important;min-height:88px!important}}
.ck-explorer .widget-checkbox{{min-height:44px!important}}
.ck-explorer .widget-checkbox label.widget-label-basic{{min-height:44px!important;display:flex!important;align-items:center!important;gap:10px;font-size:15px!important;width:100%!important}}
.ck-explorer .widget-checkbox input[type=checkbox]{{width:26px!important;height:26px!important;margin:0 4px!important;flex:0 0 26px}}
.ck-explorer .jupyter-button,.ck-explorer .widget-toggle-button{{min-height:44px!important;height:auto!important;font-size:15px!important}}
.ck-explorer .widget-toggle-buttons .widget-toggle-button{{min-width:64px!important}}
.ck-explorer .ck-factor.widget-toggle-buttons{{flex-wrap:wrap!important}}
.ck-explorer .ck-factor.widget-toggle-buttons>.widget-label{{flex:0 0 100%!important;width:100%!important;font-size:15px!important;
line-height:20px!important;text-align:left!important;margin:4px 0 2px 0!important}}
.ck-explorer .widget-hslider .slider-container{{flex:1 1 120px!important;min-width:0!important;height:44px!important;display:flex!important;align-items:center!important;margin:0 22px!important}}
.ck-explorer .widget-hslider .slider{{width:100%!important}}
.ck-explorer .widget-hslider .noUi-target{{height:8px!important}}
.ck-explorer .widget-hslider .noUi-handle{{width:44px!important;height:44px!important;top:-19px!important;right:-22px!important;
border:10px solid transparent!important;background-clip:padding-box!important;border-radius:50%!important;box-sizing:border-box!important;
box-shadow:none!important;background-color:var(--jp-brand-color1,#1976d2)!important}}
.ck-explorer .widget-hslider .noUi-handle:before,.ck-explorer .widget-hslider .noUi-handle:after{{display:none}}
.ck-explorer .widget-readout{{min-width:3em!important;font-size:15px!important;line-height:44px!important;height:44px!important}}
.ck-explorer .widget-box.ck-slider-row{{position:relative;display:block!important;width:100%!important}}
.ck-explorer .ck-slider-row>.widget-hslider{{width:100%!important}}
.ck-explorer .ck-slider-row>.widget-hslider>.widget-label{{min-height:44px!important;display:flex!important;align-items:center;
padding-right:104px!important;box-sizing:border-box}}
.ck-explorer .ck-slider-row>.ck-number,.ck-explorer .ck-slider-row>.widget-html{{position:absolute!important;top:4px;right:0;
width:96px!important;min-width:96px!important;margin:0!important}}
.ck-explorer .ck-slider-row>.widget-html{{line-height:44px!important;text-align:right}}
.ck-explorer .ck-number input{{width:100%!important}}
.ck-explorer .ck-sticky{{position:sticky!important;bottom:0;z-index:20;background:#fff;box-shadow:0 -3px 8px rgba(0,0,0,.2);
padding:6px 4px!important;max-height:40vh;overflow-y:auto!important;width:100%!important;box-sizing:border-box}}
.ck-explorer .ck-sticky .widget-html-content,.ck-explorer .ck-sticky.widget-html .widget-html-content{{line-height:1.45!important}}
.ck-explorer .ck-scrollbox{{max-height:none!important;overflow:visible!important}}
.ck-explorer>.ck-readout{{order:1}}
.ck-explorer>.widget-image,.ck-explorer>.ck-after{{order:2}}
.ck-explorer .ck-wide-only{{display:none!important}}
.ck-explorer .widget-image{{max-width:100%!important;height:auto!important}}
}}
</style>"""


def phone_style():
    """An HTML widget carrying :data:`PHONE_CSS`; an explorer puts it among its children (the style
    travels with the widget into JupyterLab and Voilà) and adds the class ``ck-explorer`` to its box."""
    import ipywidgets

    return ipywidgets.HTML(PHONE_CSS, layout=ipywidgets.Layout(height="0px", margin="0", overflow="hidden"))


def ScreenWatch():  # noqa: N802 (a widget class, built on first use: anywidget is imported late)
    """A zero-size widget whose ``narrow`` trait says whether the page shows the narrow forms
    (``None`` until a browser reports: headless runs keep both forms up to date). An explorer that
    redraws a picture on every move draws only the form the screen shows, and the other one when
    the screen changes. Returns None where anywidget is not installed."""
    cls = _screen_watch_class()
    return cls() if cls is not None else None


def _screen_watch_class():
    if "watch" not in _done:
        try:
            import anywidget
            import traitlets
        except ImportError:
            _done["watch"] = None
            return None

        class _ScreenWatch(anywidget.AnyWidget):
            _esm = f"""
            function render({{ model, el }}) {{
              el.style.display = 'none';
              const mq = window.matchMedia('(max-width: {PHONE_PX}px)');
              const send = () => {{ if (model.get('narrow') !== mq.matches) {{ model.set('narrow', mq.matches); model.save_changes(); }} }};
              send();
              mq.addEventListener('change', send);
              return () => mq.removeEventListener('change', send);
            }}
            export default {{ render }};
            """
            narrow = traitlets.Bool(None, allow_none=True).tag(sync=True)

        _done["watch"] = _ScreenWatch
    return _done["watch"]


def save(fig, path: str | Path, dpi: int = 200) -> Path:
    """Save a matplotlib figure as ``.svg``, ``.png`` or ``.pdf`` for slides."""
    if not hasattr(fig, "savefig"):
        raise CasekitError(f"save() writes a matplotlib figure, not {type(fig).__name__}. Pass the figure "
                           "(or the object) a casekit plot function returned.")
    if isinstance(dpi, bool) or not isinstance(dpi, (int, float)) or not 10 <= dpi <= 1200:
        raise CasekitError(f"dpi must be a number from 10 to 1200 (200 suits slides), not {short(dpi, 30)}.")
    path = output_path(path, "figure", ("svg", "png", "pdf"))
    prepare_dir(path)
    try:
        fig.savefig(path, dpi=dpi, bbox_inches="tight")
    except OSError as exc:
        raise write_error(path, exc) from None
    return path


from ._guard import protect  # noqa: E402

protect(globals(), __all__)
