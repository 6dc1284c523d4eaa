"""``report.pdf``: the HTML report printed to A4 by headless Chromium, Chinese font embedded.

Analysts forward a PDF. The page's own print style sheet (``@page { size: A4 }``) lays it
out, so the PDF is the report a reader sees, not a second layout to keep in step. The HTML
uses the reader's system fonts; for printing, a copy of the page names the CJK font file
matplotlib already uses (mplfonts' Noto Sans CJK SC, or the system's) in an ``@font-face``
rule, and Chromium embeds the glyphs it draws. Without Chromium the report is still
written and the caller is told why there is no PDF.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT_S = 180


def find_browser() -> str | None:
    """The Chromium executable: ``$SIM_CHROMIUM`` if set, else the first on ``PATH``."""
    env = os.environ.get("SIM_CHROMIUM")
    if env:
        return env if Path(env).is_file() else None
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def cjk_font_file() -> Path | None:
    """The file of the CJK font the figures use, to embed in the PDF."""
    from matplotlib import font_manager

    from sim.plots.fonts import cjk_family

    family = cjk_family()
    if family is None:
        return None
    try:
        path = font_manager.findfont(font_manager.FontProperties(family=family),
                                     fallback_to_default=False)
    except ValueError:
        return None
    return Path(path)


def print_page(html: str, font: Path | None) -> str:
    """The page with an ``@font-face`` for the embedded CJK font, first in every family."""
    if font is None:
        return html
    rule = (f'<style>@font-face {{ font-family: "Report CJK"; src: url("{font.as_uri()}"); }}'
            ' body, table, pre { font-family: "Report CJK", "DejaVu Sans", sans-serif; }'
            "</style></head>")
    return html.replace("</head>", rule, 1)


def browser_command(browser: str, source: Path, target: Path) -> list[str]:
    """Headless Chromium printing ``source`` to ``target`` without header or footer."""
    return [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--allow-file-access-from-files", "--no-pdf-header-footer",
            "--run-all-compositor-stages-before-draw", "--virtual-time-budget=10000",
            f"--print-to-pdf={target}", source.as_uri()]


def write_pdf(html_path: Path, pdf_path: Path | None = None) -> tuple[Path | None, str]:
    """Print ``html_path`` to ``pdf_path`` (default: beside it as ``report.pdf``).

    Returns the PDF path, or ``None`` and the one-line reason it could not be written.
    """
    pdf_path = pdf_path or html_path.with_suffix(".pdf")
    browser = find_browser()
    if browser is None:
        return None, ("no Chromium found (install Debian's chromium, or set SIM_CHROMIUM "
                      "to a Chrome/Chromium executable)")
    html = print_page(html_path.read_text(encoding="utf-8"), cjk_font_file())
    with tempfile.TemporaryDirectory(prefix="sim-pdf-") as tmp:
        source = Path(tmp) / "print.html"
        source.write_text(html, encoding="utf-8")
        partial = Path(tmp) / "report.pdf"
        env = {**os.environ, "HOME": tmp}  # Chromium writes its profile under HOME
        try:
            done = subprocess.run(browser_command(browser, source, partial), env=env,
                                  capture_output=True, timeout=TIMEOUT_S, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return None, f"Chromium failed: {exc}"
        if done.returncode != 0 or not partial.is_file() or partial.stat().st_size == 0:
            tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
            return None, f"Chromium exited with {done.returncode}: {tail[0][:200]}"
        shutil.move(str(partial), pdf_path)  # whole file or nothing
    return pdf_path, ""
