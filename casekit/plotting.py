"""matplotlib set up for Chinese glyphs, and saving figures for slides.

matplotlib's default font has no CJK glyphs and draws empty boxes. :func:`use_cjk_fonts` puts a
CJK font first in the sans-serif list (WenQuanYi Micro Hei, Noto Sans CJK, the macOS and Windows
system fonts), rebuilding matplotlib's font cache once if a font was installed after the cache.
"""
from __future__ import annotations

from pathlib import Path

from .errors import CasekitError

__all__ = ["CJK_FONTS", "use_cjk_fonts", "cjk_font_available", "save"]

CJK_FONTS = ["WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans CJK JP", "Source Han Sans SC",
             "PingFang SC", "Heiti SC", "Microsoft YaHei", "SimHei"]
_done = {"configured": False, "font": None}


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
    _done.update(configured=True, font=font)
    return font


def cjk_font_available() -> bool:
    """True when matplotlib can draw Chinese glyphs on this machine."""
    return use_cjk_fonts() is not None


def save(fig, path: str | Path, dpi: int = 200) -> Path:
    """Save a matplotlib figure as ``.svg``, ``.png`` or ``.pdf`` for slides."""
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in ("svg", "png", "pdf"):
        raise CasekitError(f"Cannot save a figure as '.{fmt}'. Use a path ending in .svg, .png or .pdf.")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    return path
