"""County maps: shipped outlines, Chinese names, colours that follow the verdicts and values."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.text import Text

from sim.config import COUNTIES
from sim.plots import MissingMetricError, fonts
from sim.plots.common import FAIL_COLOUR, PASS_COLOUR
from sim.plots.maps import (
    BOUNDARY_FILE,
    NOT_SIMULATED_COLOUR,
    county_map,
    county_outlines,
    standards_map,
    standards_map_caption,
)


def tidy(values: dict[str, float], metric: str, year: int = 2027) -> pd.DataFrame:
    return pd.DataFrame(
        {"year": year, "county": list(values), "metric": metric, "value": list(values.values())}
    )


def face_colours(fig) -> list[str]:
    from matplotlib.colors import to_hex

    coll = next(c for c in fig.axes[0].collections if isinstance(c, PolyCollection))
    return [to_hex(c) for c in coll.get_facecolors()]


def texts(fig) -> str:
    return " ".join(t.get_text() for t in fig.findobj(Text))


def test_outlines_cover_the_eight_counties_in_a_small_file():
    import sim.data

    outlines = county_outlines()
    assert set(outlines) == set(COUNTIES)
    for rings in outlines.values():
        lon, lat = rings[0][:, 0], rings[0][:, 1]
        assert lon.min() > 111.9 and lon.max() < 114.0 and lat.min() > 23.4 and lat.max() < 25.3
    assert (Path(sim.data.__file__).parent / BOUNDARY_FILE).stat().st_size < 200_000


def test_verdict_map_colours_pass_fail_and_unsimulated_counties_with_chinese_names():
    cy = tidy({"连南瑶族自治县": 1.0, "佛冈县": 0.0}, "passes_preschool_standard")
    fig = county_map(cy, "passes_preschool_standard", lang="zh")
    colours = face_colours(fig)
    order = list(county_outlines())
    assert colours[order.index("连南瑶族自治县")] == PASS_COLOUR
    assert colours[order.index("佛冈县")] == FAIL_COLOUR
    assert colours[order.index("英德市")] == NOT_SIMULATED_COLOUR.lower()
    shown = texts(fig)
    for name in ("清城", "清新", "英德", "连州", "佛冈", "阳山", "连山", "连南", "达标", "未达标"):
        assert name in shown
    assert fonts.missing_glyphs(fig) == {}


def test_metric_map_orders_colours_by_value():
    cy = tidy({c: float(i) for i, c in enumerate(COUNTIES)}, "n_large_classes")
    fig = county_map(cy, "n_large_classes", lang="en")
    colours = face_colours(fig)
    order = list(county_outlines())
    lo, hi = order.index(COUNTIES[0]), order.index(COUNTIES[-1])
    assert colours[lo] != colours[hi] and len(set(colours)) == len(COUNTIES)
    assert "Liannan" in texts(fig)


def test_standards_map_of_a_run_names_the_passing_counties(small_model):
    cy = small_model.county_year()
    fig = standards_map(cy, lang="zh")
    assert len(fig.axes) == 2 and fonts.missing_glyphs(fig) == {}
    caption = standards_map_caption(cy, lang="en")
    last = cy[(cy.year == cy.year.max()) & (cy.metric == "passes_compulsory_standard")]
    passing = last[last.value >= 0.5].county.tolist()
    assert ("none" in caption.split(";")[0]) == (len(passing) == 0)
    with pytest.raises(MissingMetricError):
        standards_map(cy[cy.metric != "passes_preschool_standard"])
    assert np.isfinite(last.value).all()


def test_a_pass_with_items_left_unassessed_is_not_assessed_on_the_map():
    """A county passing every computed item but with items the model cannot compute is grey, not green."""
    import pandas as pd

    from sim.plots.maps import county_values

    rows = [
        (2027, "连南瑶族自治县", "passes_preschool_standard", 1.0),
        (2027, "连山壮族瑶族自治县", "passes_preschool_standard", 1.0),
        (2027, "连州市", "passes_preschool_standard", 0.0),
        (2027, "连南瑶族自治县", "n_items_not_assessed_preschool", 2.0),
        (2027, "连山壮族瑶族自治县", "n_items_not_assessed_preschool", 0.0),
        (2027, "连州市", "n_items_not_assessed_preschool", 2.0),
    ]
    cy = pd.DataFrame(rows, columns=["year", "county", "metric", "value"])
    values, year = county_values(cy, "passes_preschool_standard")
    assert year == 2027 and values["连山壮族瑶族自治县"] == 1.0 and values["连州市"] == 0.0
    assert values["连南瑶族自治县"] != values["连南瑶族自治县"]  # NaN: not assessed
