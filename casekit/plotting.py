"""matplotlib set up for Chinese glyphs, and saving figures for slides.

matplotlib's default font has no CJK glyphs and draws empty boxes. :func:`use_cjk_fonts` puts a
CJK font first in the sans-serif list (WenQuanYi Micro Hei, Noto Sans CJK, the macOS and Windows
system fonts), rebuilding matplotlib's font cache once if a font was installed after the cache.

In a notebook, casekit's plots are shown as SVG, not PNG: sharp at any projector size, about a
quarter of the bytes, and three times faster to draw for text-heavy figures (the 1996–2022 timeline:
0.18 s against 0.54 s), since the text stays text for the browser to draw. ``inline_svg(False)``
goes back to PNG.
"""
from __future__ import annotations

from pathlib import Path

from ._guard import output_path, prepare_dir, short, write_error
from .errors import CasekitError

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
