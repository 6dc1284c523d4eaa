"""Unit costs shared by the levers' defaults (yuan, 2023 prices).

No published Qingyuan unit costs were found in the project's references, so every number
here is an assumption (L) with its reasoning beside it. Each lever exposes the unit costs
it uses as parameters, so a sweep or a better source can replace them.
"""

from __future__ import annotations

# A boarding bed in a new or extended dormitory: about 8 m² of dormitory floor per bed
# (rooms, washrooms, duty rooms) at about 4,000 yuan/m² built and furnished (L).
BED_YUAN = 35_000.0
# Running a bed for a year: dormitory staff, utilities, upkeep (L; the national living
# subsidy for hardship boarders, 1,000 yuan primary / 1,250 yuan junior a year, is of the
# same order and is not double counted here).
BED_RUNNING_YUAN = 1_000.0
# One school place in a new county-seat school, land excluded: a 30-class primary for 1,350
# pupils at about 60 M yuan (L, Guangdong county-seat construction of 2020-23).
SCHOOL_PLACE_YUAN = 45_000.0
# One kindergarten place in an extension or new public kindergarten (L).
KG_PLACE_YUAN = 30_000.0
# A general classroom added to an existing school: about 70 m² with its share of
# corridors at 3,000 yuan/m² (L).
CLASSROOM_YUAN = 210_000.0
# Teaching and auxiliary floor space, per m² built (L).
FLOOR_M2_YUAN = 3_000.0
# Sports ground (track, courts) per m² (L).
SPORTS_M2_YUAN = 400.0
# A networked multimedia classroom: interactive display, computer, projector, network (L).
MULTIMEDIA_YUAN = 40_000.0
# A training place (about ten days of off-site training) at 450-550 yuan per person-day,
# the central government's training-fee norm for such courses (财行〔2016〕540号, M), plus
# travel and substitute teaching (L).
TRAINING_PLACE_YUAN = 6_000.0
# A teacher-year of pay and social insurance in a county school (L: Guangdong county
# civil servants earn around 120,000 yuan a year; teachers at parity earn the same).
TEACHER_YEAR_YUAN = 120_000.0
# Yearly allowance of a rotating teacher (travel, rural post allowance) (L).
ROTATION_ALLOWANCE_YUAN = 15_000.0
# One school-bus route for a year (vehicle depreciation, driver, fuel) (L).
BUS_ROUTE_YEAR_YUAN = 150_000.0
