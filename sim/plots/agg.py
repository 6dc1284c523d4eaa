"""An Agg canvas whose text costs less: each string laid out, measured and each glyph
rasterised once per process, not at every draw. The pixels are matplotlib's own.

Why: drawing text was the largest single cost left in a report (about 0.5 s of CPU of 3.3 s
for the baseline in Chinese: 770 texts, 4,400 glyphs). Matplotlib 3.11's Agg renderer shapes
each string (``FT2Font._layout``: character map lookups through the CJK fallback chain,
kerning) and rasterises each glyph through FreeType at every draw, and measures each string
once per figure. A report draws the same strings (years, county names, tick values) on panel
after panel, so 60% of its texts and 40% of its glyph images repeat exactly.

What is reused is exactly what matplotlib would compute again: a string's layout for the
same fonts, size, resolution and hinting; its extent; and a glyph's coverage bitmap for the
same font, size, rotation and sub-pixel offset (FreeType's rasterisation moves by whole
pixels with the glyph, so only the offset's 1/64-pixel fraction is part of the key). The
drawn pixels are the same (``tests/test_report_speed.py`` compares them with matplotlib's
renderer). On another matplotlib version whose renderer lacks the private calls used here,
the canvas draws text through matplotlib's own code unchanged.
"""

from __future__ import annotations

import math
import threading
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.backends import backend_agg
from matplotlib.backends._backend_agg import RendererAgg as _PixelBuffer
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.ft2font import FT2Font

# the private pieces of matplotlib's Agg text path (3.11) that this module reproduces
FAST_TEXT = (all(hasattr(FT2Font, name) for name in ("_layout", "_set_transform",
                                                      "_render_glyph"))
             and all(hasattr(backend_agg, name) for name in ("get_hinting_flag", "_fontManager",
                                                             "get_font", "RenderMode")))

# entries kept per thread before a cache is emptied (a report makes about 300 layouts and
# 2,500 glyph images; the bound only protects a long-lived process such as the app)
MAX_ENTRIES = 50_000


class _Caches(threading.local):
    """Per thread, as matplotlib's own font objects are (``get_font`` keys on the thread)."""

    def __init__(self) -> None:
        self.layouts: dict[tuple, list] = {}
        self.extents: dict[tuple, tuple[float, float, float]] = {}
        self.glyphs: dict[tuple, tuple[np.ndarray, int, int]] = {}
        self.heights: dict[tuple, tuple] = {}
        self.stats = {"layouts": 0, "extents": 0, "glyphs": 0, "heights": 0}  # computed


CACHES = _Caches()


def cache_stats() -> dict[str, int]:
    """How many layouts, extents, glyph images and font heights this thread has computed
    (not reused)."""
    return dict(CACHES.stats)


def clear_caches() -> None:
    """Forget this thread's layouts, extents and glyph images."""
    CACHES.layouts.clear()
    CACHES.extents.clear()
    CACHES.glyphs.clear()
    CACHES.heights.clear()


def _bounded(cache: dict) -> dict:
    if len(cache) >= MAX_ENTRIES:
        cache.clear()
    return cache


def _font_key(prop: Any) -> tuple:
    """The font files (fallback chain) matplotlib resolves ``prop`` to, and the rc settings
    that change how FreeType loads them."""
    return (tuple(backend_agg._fontManager._find_fonts_by_props(prop)),
            mpl.rcParams["text.hinting_factor"], mpl.rcParams["text.kerning_factor"],
            backend_agg.get_hinting_flag())


class CachingRendererAgg(RendererAgg):
    """``RendererAgg`` that reuses text layouts, extents and glyph images (see the module)."""

    figure: Any = None  # the figure whose canvas made this renderer (set by the canvas)

    def _get_font_height_metrics(self, prop: Any) -> tuple:
        """The font's ascent, descent and line gap in pixels, as ``Text._get_layout``
        computes them from the font's OS/2 (else hhea) table, once per font, size and
        resolution.

        Why: ``Text._get_layout`` otherwise reads two sfnt tables (each converted to a
        Python dict) every time a text is measured, about 2% of a report's CPU; it asks a
        renderer that has this method first. The resolution is the figure's, as there.
        """
        figure = self.figure
        if not FAST_TEXT or figure is None:
            return None, None, None
        dpi = figure.dpi
        size = prop.get_size_in_points()
        key = (_font_key(prop), size, dpi)
        found = CACHES.heights.get(key)
        if found is None:
            found = (None, None, None)
            font = backend_agg.get_font(backend_agg._fontManager._find_fonts_by_props(prop))
            for table_name, gap, ascent, descent in (
                    ("OS/2", "sTypoLineGap", "sTypoAscender", "sTypoDescender"),
                    ("hhea", "lineGap", "ascent", "descent")):
                table = font.get_sfnt_table(table_name)
                if table is None:
                    continue
                scale = 1 / font.get_sfnt_table("head")["unitsPerEm"] * size * dpi / 72
                found = (table[ascent] * scale, -table[descent] * scale, table[gap] * scale)
                break
            _bounded(CACHES.heights)[key] = found
            CACHES.stats["heights"] += 1
        return found

    def get_text_width_height_descent(self, s: str, prop: Any, ismath: Any) -> tuple:
        """Matplotlib's measure of ``s``, computed once per font, size and resolution."""
        if ismath or not FAST_TEXT:
            return super().get_text_width_height_descent(s, prop, ismath)
        key = (_font_key(prop), prop.get_size_in_points(), self.dpi, s)
        found = CACHES.extents.get(key)
        if found is None:
            found = super().get_text_width_height_descent(s, prop, ismath)
            _bounded(CACHES.extents)[key] = found
            CACHES.stats["extents"] += 1
        return found

    def draw_text(self, gc: Any, x: float, y: float, s: str, prop: Any, angle: float,
                  ismath: Any = False, mtext: Any = None) -> None:
        """Matplotlib 3.11's ``RendererAgg.draw_text`` for plain text, with the string's
        layout and each glyph's bitmap reused when they were made before."""
        if ismath or not FAST_TEXT:
            return super().draw_text(gc, x, y, s, prop, angle, ismath, mtext)
        features = mtext.get_fontfeatures() if mtext is not None else None
        language = mtext.get_language() if mtext is not None else None
        fonts = _font_key(prop)
        flags = fonts[-1]
        size = prop.get_size_in_points()
        key = (fonts, size, self.dpi, s, features, language)
        items = CACHES.layouts.get(key)
        if items is None:
            font = self._prepare_font(prop)
            items = font._layout(s, flags=flags, features=features, language=language)
            _bounded(CACHES.layouts)[key] = items
            CACHES.stats["layouts"] += 1
        # as RendererAgg._draw_text_glyphs_and_boxes, with the transform made once per text
        cos = math.cos(math.radians(angle))
        sin = math.sin(math.radians(angle))
        matrix = (0x10000 * np.array([[cos, -sin], [sin, cos]])
                  @ [[1, 0], [0, 1]]).round().astype(int)
        matrix_key = tuple(matrix.ravel().tolist())
        antialiased = gc.get_antialiased()
        mode = backend_agg.RenderMode.NORMAL if antialiased else backend_agg.RenderMode.MONO
        height = self.height
        glyphs = _bounded(CACHES.glyphs)
        for item in items:
            # FreeType's y is upwards; positions in 1/64 pixel
            px = round(0x40 * (x + item.x * cos - item.y * sin))
            py = round(0x40 * (height - y + item.x * sin + item.y * cos))
            font = item.ft_object
            gkey = (font, size, self.dpi, item.glyph_index, flags, matrix_key,
                    px & 63, py & 63, antialiased)
            found = glyphs.get(gkey)
            if found is None:
                font.set_size(size, self.dpi)
                font._set_transform(matrix, [px, py])
                bitmap = font._render_glyph(item.glyph_index, flags, mode)
                buffer = np.array(bitmap.buffer)  # owned: the font reuses its own
                if not antialiased:
                    buffer *= 0xff
                found = (buffer, bitmap.left - (px >> 6), bitmap.top - (py >> 6))
                glyphs[gkey] = found
                CACHES.stats["glyphs"] += 1
            buffer, left, top = found
            # draw_text_image's y is downwards and the bitmap's bottom side
            self._renderer.draw_text_image(
                buffer, left + (px >> 6), int(height) - (top + (py >> 6)) + buffer.shape[0],
                0, gc)
        return None


    def release(self) -> None:
        """Free the pixel buffer now, not when the renderer is (see
        ``CachingCanvasAgg.release``); what is drawn on it afterwards is lost."""
        self._renderer = _PixelBuffer(1, 1, self.dpi)
        self._update_methods()  # matplotlib binds some drawing calls to the buffer


class CachingCanvasAgg(FigureCanvasAgg):
    """``FigureCanvasAgg`` drawing with ``CachingRendererAgg``: use it for any figure whose
    texts repeat those of other figures (every report figure)."""

    def get_renderer(self) -> RendererAgg:
        """A ``CachingRendererAgg`` of the figure's size and resolution, kept while they
        stay the same (as ``FigureCanvasAgg.get_renderer``)."""
        w, h = self.get_width_height(physical=True)
        key = w, h, self.figure.dpi
        if getattr(self, "_lastKey", None) != key or not isinstance(
                getattr(self, "renderer", None), CachingRendererAgg):
            self.renderer = CachingRendererAgg(w, h, self.figure.dpi)
            self.renderer.figure = self.figure
            self._lastKey = key
        return self.renderer

    def release(self) -> None:
        """Free the pixels of the last draw (4 bytes a pixel: 7 MB for the scorecard at
        150 dpi) once they are saved; the next draw makes a new buffer.

        Why: texts and axes keep a reference to the renderer they were drawn with, so its
        buffer lives as long as the figure's reference cycles, that is until the next
        garbage collection, which ``sim report`` runs rarely (``sim.report.build.render``).
        """
        renderer = getattr(self, "renderer", None)
        if isinstance(renderer, CachingRendererAgg):
            renderer.release()
        self._lastKey = None
