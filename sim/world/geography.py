"""Synthetic geography: county seats, township towns and villages, and road distances.

Real school coordinates are not available, so each county gets a seeded synthetic layout
scaled to its land area and township count (``sim/data/counties.csv``). What matters for
the model is the distance structure: village homes are far from town schools, and more so
in the mountainous north, where roads wind (a larger tortuosity factor, L).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim import data

URBAN, TOWN, VILLAGE = 0, 1, 2
TIER_NAMES = ("urban", "town", "village")  # 城区(县城) / 镇区 / 乡村

TORTUOSITY_SOUTH = 1.3  # road km per straight-line km (L)
TORTUOSITY_NORTH = 1.7  # mountainous north winds more (L)
VILLAGES_PER_TOWNSHIP = 10  # mean administrative villages per township (L: about 1,000 in the city)
URBAN_NEIGHBOURHOOD_SPREAD_KM = 3.0  # radius of the county seat's built-up area (L)
SEAT_NEIGHBOURHOODS = 6  # catchment zones in a county seat (L); 清城 gets 3x


@dataclass
class Geography:
    """Places (homes and school sites) as arrays; each place is in one county and tier."""

    counties: list[str]
    place_county: np.ndarray  # int8 index into counties
    place_township: np.ndarray  # int32 global township index
    place_tier: np.ndarray  # int8 URBAN/TOWN/VILLAGE
    x: np.ndarray  # km
    y: np.ndarray  # km
    township_county: np.ndarray
    township_is_seat: np.ndarray
    township_name: list[str]
    tortuosity: np.ndarray  # per county

    @property
    def n_places(self) -> int:
        """Number of places."""
        return len(self.place_county)

    def distance(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Road distance in km between place arrays ``a`` and ``b`` (elementwise).

        A lookup in the place x place table (about 1,000 places, so 8 MB), not a
        recomputation: pupils' distances are read every year for a million pupils.
        """
        table = self.distance_table()
        return np.take(table.ravel(), np.asarray(a, dtype=np.int64) * self.n_places + b)

    def distance_table(self) -> np.ndarray:
        """Road distance between every pair of places (built once, then cached)."""
        table = self.__dict__.get("_distance_table")
        if table is None:
            every = np.arange(self.n_places)
            table = self.distance_matrix(every, every)
            self.__dict__["_distance_table"] = table
        return table

    def distance_matrix(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Road distance between every place in ``a`` (rows) and every place in ``b``."""
        d = np.hypot(self.x[a][:, None] - self.x[b][None, :], self.y[a][:, None] - self.y[b][None, :])
        # within one place (same neighbourhood or village) children still walk a little
        return np.maximum(d * self.tortuosity[self.place_county[a]][:, None], 0.8)


def build_geography(counties: list[str], rng: np.random.Generator) -> Geography:
    """Lay out seats, towns and villages for the selected counties (deterministic given rng)."""
    facts = data.counties()
    pc, pt, ptier, xs, ys = [], [], [], [], []
    t_county, t_seat, t_name = [], [], []
    tort = np.empty(len(counties))
    for ci, county in enumerate(counties):
        row = facts.loc[county]
        tort[ci] = TORTUOSITY_NORTH if row["north"] else TORTUOSITY_SOUTH
        radius = np.sqrt(row["area_km2"] / np.pi)
        n_town = int(row["townships"])
        t_radius = np.sqrt(row["area_km2"] / (np.pi * n_town))
        for t in range(n_town):
            tid = len(t_county)
            t_county.append(ci)
            is_seat = t == 0
            t_seat.append(is_seat)
            t_name.append(f"{county}-{'城区' if is_seat else f'镇{t:02d}'}")
            if is_seat:
                cx, cy = 0.0, 0.0
                k = SEAT_NEIGHBOURHOODS * (3 if county == "清城区" else 1)
                ang = rng.uniform(0, 2 * np.pi, k)
                rad = URBAN_NEIGHBOURHOOD_SPREAD_KM * np.sqrt(rng.uniform(0, 1, k))
                for a, r in zip(ang, rad, strict=True):
                    pc.append(ci)
                    pt.append(tid)
                    ptier.append(URBAN)
                    xs.append(cx + r * np.cos(a))
                    ys.append(cy + r * np.sin(a))
            else:
                r = radius * np.sqrt(rng.uniform(0.12, 1.0))
                a = rng.uniform(0, 2 * np.pi)
                cx, cy = r * np.cos(a), r * np.sin(a)
                pc.append(ci)
                pt.append(tid)
                ptier.append(TOWN)
                xs.append(cx)
                ys.append(cy)
            n_vil = max(2, int(rng.poisson(VILLAGES_PER_TOWNSHIP * (0.4 if county == "清城区" else 1))))
            ang = rng.uniform(0, 2 * np.pi, n_vil)
            rad = t_radius * np.sqrt(rng.uniform(0.15, 1.0, n_vil))
            for a, r in zip(ang, rad, strict=True):
                pc.append(ci)
                pt.append(tid)
                ptier.append(VILLAGE)
                xs.append(cx + r * np.cos(a))
                ys.append(cy + r * np.sin(a))
    return Geography(
        counties=list(counties),
        place_county=np.asarray(pc, dtype=np.int8),
        place_township=np.asarray(pt, dtype=np.int32),
        place_tier=np.asarray(ptier, dtype=np.int8),
        x=np.asarray(xs, dtype=np.float64),
        y=np.asarray(ys, dtype=np.float64),
        township_county=np.asarray(t_county, dtype=np.int8),
        township_is_seat=np.asarray(t_seat, dtype=bool),
        township_name=t_name,
        tortuosity=tort,
    )
