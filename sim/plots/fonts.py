"""Find a CJK font offline, register it with matplotlib, and prove no glyph is missing.

Chinese labels must never show a missing-glyph box. The project depends on ``mplfonts``
(PyPI), which ships Noto Sans CJK SC inside its package directory; we register that file
with matplotlib's font manager directly (no download, and without importing ``mplfonts``,
whose helpers rewrite the user's matplotlibrc). If it is absent, any CJK font the system
has (Debian ``fonts-noto-cjk``, ``fonts-wqy-microhei``) is used. If there is none, ``zh``
falls back to English with a warning.

The check is exact: after drawing, every character of every visible text artist must be in
the character map of one of the fonts matplotlib resolved for it.
"""

from __future__ import annotations

import functools
import importlib.util
import warnings
from pathlib import Path

# Family names in order of preference; the first found is used.
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Noto Sans SC",
    "SimHei",
)
_PACKAGE_FONT_FILES = ("NotoSansCJKsc-Regular.otf", "SimHei.ttf")
LATIN_FAMILY = "DejaVu Sans"  # ships with matplotlib


def _package_font_files() -> list[Path]:
    """CJK font files bundled by the ``mplfonts`` package, if installed."""
    spec = importlib.util.find_spec("mplfonts")
    if spec is None or not spec.submodule_search_locations:
        return []
    base = Path(next(iter(spec.submodule_search_locations))) / "fonts"
    return [base / name for name in _PACKAGE_FONT_FILES if (base / name).is_file()]


@functools.cache
def cjk_family() -> str | None:
    """Register and return the name of a usable CJK font family, or ``None``.

    Cached: registration touches matplotlib's global font manager once per process.
    """
    from matplotlib import font_manager

    for path in _package_font_files():
        try:
            font_manager.fontManager.addfont(str(path))
        except (OSError, RuntimeError):  # unreadable file: try the next source
            continue
    available = {f.name for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in available:
            return family
    return None


def effective_lang(lang: str) -> str:
    """``lang``, or ``"en"`` with a warning when ``zh`` is asked for but no CJK font exists."""
    if lang == "zh" and cjk_family() is None:
        warnings.warn(
            "no CJK font found (install the Python package mplfonts, or Debian's "
            "fonts-noto-cjk); labels fall back to English",
            RuntimeWarning,
            stacklevel=2,
        )
        return "en"
    return lang


def font_families(lang: str) -> list[str]:
    """Font family list for ``lang``: CJK first in ``zh``; in ``en`` a CJK fallback
    still covers Chinese scenario or school names a user may have typed."""
    cjk = cjk_family()
    if lang == "zh" and cjk:
        return [cjk, LATIN_FAMILY]
    return [LATIN_FAMILY, cjk] if cjk else [LATIN_FAMILY]


@functools.cache
def _charmap(path: str) -> frozenset[int]:
    from matplotlib import ft2font

    return frozenset(ft2font.FT2Font(path).get_charmap())


def _font_paths(prop) -> list[str]:
    """Files matplotlib would use for ``prop``, one per family in its list (fallback chain)."""
    from matplotlib import font_manager

    paths = []
    for family in prop.get_family():
        p = prop.copy()
        p.set_family(family)
        try:
            paths.append(font_manager.findfont(p, fallback_to_default=False))
        except ValueError:
            continue
    return paths


def missing_glyphs(fig) -> dict[str, set[str]]:
    """Characters drawn in ``fig`` that none of their fonts covers, keyed by the text.

    Draws the figure first so lazily created texts (tick labels) exist. Whitespace is
    ignored; an empty result means no missing-glyph boxes.
    """
    from matplotlib.text import Text

    fig.canvas.draw()
    missing: dict[str, set[str]] = {}
    for artist in fig.findobj(Text):
        text = artist.get_text()
        if not text or not artist.get_visible():
            continue
        covered: set[int] = set()
        for path in _font_paths(artist.get_fontproperties()):
            covered |= _charmap(path)
        gaps = {ch for ch in text if not ch.isspace() and ord(ch) not in covered}
        if gaps:
            missing[text] = gaps
    return missing
