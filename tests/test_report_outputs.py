"""Forwardable outputs: ``report.xlsx`` read back sheet by sheet, ``report.pdf`` opened (A4
pages counted, fonts embedded, Chinese text present) and the page rendered by headless
Chromium at 1400 px and 400 px without running wider than the screen.

Chromium is Debian's ``chromium`` (CI installs it); on a machine without it the browser tests
are skipped, except under CI where its absence is a failure.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from sim.cli import main as cli
from sim.plots import fonts
from sim.plots import labels as lbl
from sim.report.pdf import find_browser
from tests import test_report_fixtures as fx

BROWSER = find_browser()
needs_browser = pytest.mark.skipif(BROWSER is None and not os.environ.get("CI"),
                                   reason="no Chromium on this machine (CI installs it)")
A4 = (595.0, 842.0)  # points


@pytest.fixture(scope="module")
def zh_report(tmp_path_factory) -> Path:
    """The Chinese report of a run with levers, through the command line with PDF."""
    d = fx.write_run(tmp_path_factory.mktemp("out") / "run", levers=("teacher_rotation",))
    args = ["report", str(d), "--lang", "zh", "--dpi", "60"]
    if BROWSER is None:
        args.append("--no-pdf")
    assert cli(args) == 0
    return d


def test_workbook_sheets_read_back(zh_report):
    wb = openpyxl.load_workbook(zh_report / "report.xlsx", read_only=True)
    assert wb.sheetnames == ["达标记分卡", "规划目标", "各县指标", "政策杠杆"]
    rows = list(wb["规划目标"].iter_rows(values_only=True))
    t = pd.read_parquet(zh_report / "targets.parquet")
    assert len(rows) == len(t) + 1 and rows[0][:3] == ("目标", "年份", "值")
    assert rows[1][2] == pytest.approx(float(t["value"].iloc[0]))  # numbers stay numbers
    county = list(wb["各县指标"].iter_rows(values_only=True))
    header = county[0]
    col = header.index(lbl.metric("n_teachers", "zh", unit=True))
    cy = pd.read_parquet(zh_report / "county_year.parquet")
    want = cy[(cy["metric"] == "n_teachers") & (cy["year"] == 2022)
              & (cy["county"] == "清城区")]["value"].iloc[0]
    got = next(r[col] for r in county[1:] if r[0] == 2022 and r[1].startswith("清城区"))
    assert got == pytest.approx(want)
    score = list(wb["达标记分卡"].iter_rows(values_only=True))
    assert {r[5] for r in score[1:]} <= {"是", "否"} and len(score) > 10


@needs_browser
@pytest.mark.skipif(fonts.cjk_family() is None, reason="no CJK font installed")
def test_pdf_is_a4_with_embedded_chinese_font(zh_report):
    import pypdf

    reader = pypdf.PdfReader(zh_report / "report.pdf")
    assert len(reader.pages) >= 3
    for page in reader.pages:
        w, h = float(page.mediabox.width), float(page.mediabox.height)
        assert abs(w - A4[0]) < 2 and abs(h - A4[1]) < 2
    text = "".join(p.extract_text() for p in reader.pages[:2])
    assert "清远市基础教育" in text and "清城区" in text
    for page in reader.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            font = font.get_object()
            if font.get("/Subtype") == "/Type3":
                continue  # glyphs drawn inside the PDF itself
            desc = (font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font
                    else font).get("/FontDescriptor")
            assert desc is not None and any(k in desc.get_object() for k in
                                            ("/FontFile", "/FontFile2", "/FontFile3")), font


def _render(page: Path, width: int, tmp: Path) -> tuple[int, int, Path]:
    """Load ``page`` in a ``width``-px frame (headless windows are at least 500 px wide);
    return the page's scroll width, the frame's width and a screenshot."""
    probe = tmp / f"probe{width}.html"
    probe.write_text(
        "<!DOCTYPE html><html><head><title>-</title><script>function go(){var d=document."
        "getElementById('f').contentDocument.documentElement;document.title='W='+d.scrollWidth"
        "+' C='+d.clientWidth;}</script></head><body style='margin:0'>"
        f"<iframe id='f' src='{page.as_uri()}' style='width:{width}px;height:2400px;border:0'"
        " onload='go()'></iframe></body></html>", encoding="utf-8")
    base = [BROWSER or "chromium", "--headless", "--no-sandbox", "--disable-gpu",
            "--allow-file-access-from-files", f"--window-size={max(width, 500)},2400",
            "--virtual-time-budget=8000"]
    env = {**os.environ, "HOME": str(tmp)}
    dom = subprocess.run([*base, "--dump-dom", probe.as_uri()], capture_output=True,
                         timeout=180, env=env, check=True).stdout.decode()
    m = re.search(r"<title>W=(\d+) C=(\d+)</title>", dom)
    assert m, dom[:300]
    shot = tmp / f"shot{width}.png"
    subprocess.run([*base, f"--screenshot={shot}", probe.as_uri()], capture_output=True,
                   timeout=180, env=env, check=True)
    return int(m[1]), int(m[2]), shot


@needs_browser
@pytest.mark.parametrize("width", [1400, 400])
def test_page_fits_the_screen(zh_report, tmp_path, width):
    from matplotlib import image

    scroll, client, shot = _render(zh_report / "report.html", width, tmp_path)
    assert scroll <= client, f"page {scroll}px wide in a {client}px screen"
    pixels = image.imread(shot)
    assert pixels.shape[1] >= width
    frame = pixels[:, :width, :3]
    assert frame.std() > 0.05  # text and figures drawn, not a blank page
