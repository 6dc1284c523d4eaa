"""Compiled loops (numba) of the yearly processes' rules over the child rows.

Why: each rule below was a chain of numpy passes (masks, gathers, comparisons) over a million
rows; one loop reads each row once. Each keeps the numpy types of the reference form it
replaced (a float32 uniform against a float64 chance compares in float64, and so on), and
``tests/test_kernels.py`` holds those reference forms and requires identical results, so a
kernel changes speed, never an outcome. Generic helpers (hashing, grouping) are in
``sim.core.kernels``.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def boarding_pass(
    columns: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    school_place: np.ndarray,
    table: np.ndarray,
    rules: tuple[np.ndarray, float, int, int, int, int],
    school_beds: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each pupil's road distance to school, the long commutes, and who competes for a bed.

    ``columns`` = (school, home place, stage, county, birth year); ``table`` is the place x
    place road distance (0 km for a child not enrolled). ``rules`` = (distance rule per
    county, the config's distance, minimum grade, the year, the age of grade 1 minus one,
    the preschool stage code): a pupil may board (``sim.processes.boarding.may_board``)
    beyond the county's rule, from the minimum grade, outside preschool, and competes where
    the school has beds; a long commute is beyond the config's distance, outside preschool.
    """
    school, place, stage, county, birth_year = columns
    rule_km, far_km, min_grade, year, grade_offset, preschool = rules
    n = school.shape[0]
    distance = np.zeros(n, dtype=np.float64)
    far = np.zeros(n, dtype=np.bool_)
    competes = np.zeros(n, dtype=np.bool_)
    for i in range(n):
        s = school[i]
        if s < 0:
            continue
        d = table[place[i], school_place[s]]
        distance[i] = d
        if stage[i] == preschool:
            continue
        far[i] = d > far_km
        grade = year - birth_year[i] - grade_offset
        competes[i] = d > rule_km[county[i]] and grade >= min_grade and school_beds[s] > 0
    return distance, far, competes


@numba.njit(cache=True, nogil=True)
def left_behind_update(
    left_behind: np.ndarray,
    uniform: np.ndarray,
    place_tier: np.ndarray,
    place: np.ndarray,
    chances: tuple[float, float, np.float32],
    urban: int,
) -> None:
    """Parents leave without their child or come back, in place, from one uniform per child.

    ``chances`` = (yearly chance that parents leave, the factor for urban homes, the chance
    they return as float32). The comparisons keep numpy's types in the reference form
    (``sim.processes.demography.left_behind``): the leave chance is compared in float64, the
    return chance in float32. Branch-free.
    """
    leave, urban_factor, back = chances
    for i in range(uniform.shape[0]):
        u = uniform[i]
        p = leave * (urban_factor if place_tier[place[i]] == urban else 1.0)
        stays_away = left_behind[i] & (u >= back)
        leaves = ~left_behind[i] & (np.float64(u) < p)
        left_behind[i] = stays_away | leaves


@numba.njit(cache=True, nogil=True)
def moves_up(
    uniform: np.ndarray,
    homes: tuple[np.ndarray, np.ndarray],
    county: np.ndarray,
    stays: np.ndarray,
    rates: tuple[np.ndarray, float],
    tiers: tuple[int, int],
) -> tuple[np.ndarray, np.ndarray]:
    """Masks of the households moving town → seat and village → up (seat or town, drawn next).

    ``uniform`` is each row's "move-up" uniform; ``homes`` = (home place per row, tier per
    place), the tier looked up here rather than gathered into an array of its own;
    ``rates`` = (rural-to-urban rate per county,
    the seat share); ``tiers`` = the codes of urban and village places. A village household
    moves with its county's rate, a town household with rate × seat share; the comparison
    is in float64, as numpy's in the reference form. Branch-free: the tiers are mixed.
    """
    rate, share = rates
    urban, village = tiers
    place, place_tier = homes
    to_seat = np.empty(uniform.shape[0], dtype=np.bool_)
    village_up = np.empty(uniform.shape[0], dtype=np.bool_)
    for i in range(uniform.shape[0]):
        tier = place_tier[place[i]]
        r = rate[county[i]]
        in_village = tier == village
        moves = (tier != urban) & stays[i] & (np.float64(uniform[i]) < (r if in_village else r * share))
        to_seat[i] = moves & ~in_village
        village_up[i] = moves & in_village
    return to_seat, village_up


@numba.njit(cache=True, nogil=True)
def dropout_mask(
    uniform: np.ndarray,
    columns: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    factor: np.ndarray,
    rates: tuple[float, float, float],
    codes: tuple[int, int, int, int, int, int],
) -> np.ndarray:
    """Juniors and seniors past their entry year whose own uniform falls below their chance.

    ``columns`` = (stage, birth year, left behind, county); ``rates`` = (junior chance, extra
    for the left-behind, senior chance), each times the county's ``factor``; ``codes`` =
    (year, junior stage, general senior, vocational, junior entry age, senior entry age). The
    chance is computed and compared in float64, as in the numpy reference form.
    """
    stage, birth_year, left_behind, county = columns
    junior_p, left_behind_extra, senior_p = rates
    year, junior, general, vocational, junior_age, senior_age = codes
    out = np.zeros(uniform.shape[0], dtype=np.bool_)
    for i in range(uniform.shape[0]):  # most rows are neither: they cost one comparison
        st = stage[i]
        age = year - birth_year[i]
        if st == junior and age > junior_age:
            p = (junior_p + left_behind_extra * (1.0 if left_behind[i] else 0.0)) * factor[county[i]]
            out[i] = np.float64(uniform[i]) < p
        elif st in (general, vocational) and age > senior_age:
            out[i] = np.float64(uniform[i]) < senior_p * factor[county[i]]
    return out


@numba.njit(cache=True, nogil=True)
def pupils_by_grade(
    school: np.ndarray, birth_year: np.ndarray, year: int, first_age: int, n_schools: int, n_grades: int
) -> np.ndarray:
    """Pupils per (school, grade index): index = age - ``first_age``, clipped into the grades."""
    out = np.zeros((n_schools, n_grades), dtype=np.int64)
    for i in range(school.shape[0]):
        if school[i] >= 0:
            g = min(max(year - birth_year[i] - first_age, 0), n_grades - 1)
            out[school[i], g] += 1
    return out


@numba.njit(cache=True, nogil=True)
def achievement_drift(
    achievement: np.ndarray,
    school: np.ndarray,
    stage: np.ndarray,
    county: np.ndarray,
    birth_year: np.ndarray,
    left_behind: np.ndarray,
    boarding: np.ndarray,
    year: int,
    terms: tuple[np.float32, np.ndarray, np.ndarray, np.ndarray, np.float32, np.float32],
    first_age: int,
    young_grade: int,
    noise: np.ndarray,
) -> None:
    """The AR(1) step of every enrolled pupil's achievement, in place.

    ``terms`` = (persistence, per-school pull, per-county left-behind gap, oversized (school,
    grade) cells, class-size penalty, early-boarding penalty); ``noise`` = each row's scaled
    normal (all rows, the not enrolled unused). The float32 additions are made in the order
    of the numpy reference expression (``tests/test_kernels.py``), so the result is
    bit-identical to it.
    """
    rho, per_school, gap, large, class_penalty, boarding_penalty = terms
    n_grades = large.shape[1]
    zero = np.float32(0.0)
    for i in range(school.shape[0]):  # branch-free: every row computed, the enrolled kept
        age = year - birth_year[i]
        s = max(school[i], 0)
        oversized = large[s, min(max(age - first_age, 0), n_grades - 1)]
        young_boarder = boarding[i] and age - 5 <= young_grade
        x = achievement[i] * rho
        x += per_school[s]
        x += gap[county[i]] if left_behind[i] else zero
        x += class_penalty * np.float32(oversized)  # a penalty times 0 (a signed zero, as numpy's)
        x += boarding_penalty * np.float32(young_boarder)
        x += noise[i]
        achievement[i] = x if stage[i] != 0 else achievement[i]


@numba.njit(cache=True, nogil=True)
def exits(
    dies_draw: np.ndarray,
    columns: tuple[np.ndarray, np.ndarray, np.ndarray],
    year: int,
    leaving_age: int,
    n_counties: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Who leaves the child population this year, and the leavers counted by county.

    ``dies_draw`` is each child's death draw (its uniform below the mortality); ``columns``
    = (birth year, county, stage). Children reaching ``leaving_age`` age out (and cannot also
    die); the counts are (aged out, died, enrolled leavers) per county.
    """
    birth_year, county, stage = columns
    gone = np.empty(birth_year.shape[0], dtype=np.bool_)
    counts = np.zeros((3, n_counties), dtype=np.int64)
    for i in range(birth_year.shape[0]):
        aged_out = year - birth_year[i] >= leaving_age
        dies = not aged_out and dies_draw[i]
        gone[i] = aged_out or dies
        if gone[i]:
            c = county[i]
            counts[0, c] += aged_out
            counts[1, c] += dies
            counts[2, c] += stage[i] != 0
    return gone, counts


@numba.njit(cache=True, nogil=True)
def entry_masks(
    columns: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    year: int,
    stages: tuple[int, int, int],
    ages: tuple[int, int, int, int],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Children entering preschool, primary (special schools not yet split off) and junior
    school this autumn, and the juniors finishing: one pass.

    ``columns`` = (birth year, stage, attends preschool, dropped out this year); ``stages`` =
    (primary, junior, special) codes (0 is not enrolled); ``ages`` = the entry ages of
    preschool, primary, junior and senior school. Preschool at 3-5 for families who chose
    it; primary at 6 unless already in a special school, and any child of primary age not in
    school; junior for every primary pupil reaching 12; juniors reaching 15 finish unless
    they dropped out.
    """
    birth_year, stage, attends_preschool, dropped = columns
    primary, junior, special = stages
    preschool_age, primary_age, junior_age, senior_age = ages
    n = birth_year.shape[0]
    to_pre = np.empty(n, dtype=np.bool_)
    to_pri = np.empty(n, dtype=np.bool_)
    to_jun = np.empty(n, dtype=np.bool_)
    finishing = np.empty(n, dtype=np.bool_)
    for i in range(n):
        age = year - birth_year[i]
        st = stage[i]
        out_of_school = st == 0
        to_pre[i] = (age >= preschool_age) & (age < primary_age) & out_of_school & attends_preschool[i]
        at_six = (age == primary_age) & (st != special)
        to_pri[i] = at_six | ((age > primary_age) & (age < junior_age) & out_of_school)
        to_jun[i] = (age == junior_age) & (st == primary)
        finishing[i] = (age == senior_age) & (st == junior) & ~dropped[i]
    return to_pre, to_pri, to_jun, finishing


@numba.njit(cache=True, nogil=True)
def apply_transitions(
    pupils: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    school_status: np.ndarray,
    moves: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    stages: tuple[int, int, int, int],
    n_counties: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The year's stage changes, in place: leavers leave, and who must be placed in a school.

    ``pupils`` = (stage, school, boarding, county, needs school), the first three changed in
    place; ``moves`` = (leave, to preschool, to primary, to a special school, to junior, the
    senior stage entered or 0); ``stages`` = the preschool, primary, special and junior codes.
    A leaver is not enrolled, has no school and no bed. A child is placed when its stage
    changes, or when it stays but moved house or its school closed (``school_status`` not 0);
    its school is cleared so that seat counts see only the pupils who stay put. Returns the
    new stages, the mask of those to place, and (entrants, enrolled leavers) per county.
    """
    stage, school, boarding, county, needs_school = pupils
    leave, to_pre, to_pri, to_special, to_jun, senior = moves
    preschool, primary, special, junior = stages
    n = stage.shape[0]
    new_stage = np.empty(n, dtype=stage.dtype)
    placing = np.empty(n, dtype=np.bool_)
    counts = np.zeros((2, n_counties), dtype=np.int64)
    for i in range(n):
        was_enrolled = stage[i] != 0
        s = school[i]
        relocate = was_enrolled and ((s >= 0 and school_status[s] != 0) or needs_school[i])
        if leave[i]:
            stage[i] = 0
            school[i] = -1
            boarding[i] = False
        st = stage[i]
        ns = st
        if to_pre[i]:
            ns = preschool
        if to_pri[i]:
            ns = primary
        if to_special[i]:
            ns = special
        if to_jun[i]:
            ns = junior
        if senior[i] != 0:
            ns = senior[i]
        place = (ns != st) or (relocate and not leave[i])
        if place:
            school[i] = -1
        new_stage[i] = ns
        placing[i] = place
        # counted only when true: adding zeros would chain every row through one counter
        if not was_enrolled and (to_pre[i] or to_pri[i] or to_special[i] or to_jun[i] or senior[i] != 0):
            counts[0, county[i]] += 1
        if leave[i] and was_enrolled:
            counts[1, county[i]] += 1
    return new_stage, placing, counts


@numba.njit(cache=True, nogil=True)
def assign_beds(boarding: np.ndarray, far: np.ndarray, boarders: np.ndarray) -> np.ndarray:
    """Set ``boarding`` (in place) for exactly the rows ``boarders``; the long commutes left
    (far from school and without a bed) are returned."""
    boarding[:] = False
    for k in range(boarders.shape[0]):
        boarding[boarders[k]] = True
    long_commute = np.empty(far.shape[0], dtype=np.bool_)
    for i in range(far.shape[0]):
        long_commute[i] = far[i] and not boarding[i]
    return long_commute


@numba.njit(cache=True, nogil=True)
def covered_pay_by_county(
    teachers: tuple[np.ndarray, np.ndarray, np.ndarray],
    school_county: np.ndarray,
    school_covered: np.ndarray,
    pay: tuple[np.ndarray, np.ndarray, np.ndarray],
    editorial: int,
    n_counties: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Per county, the summed yearly pay and the number of the teachers the parity item covers.

    ``teachers`` = (school, contract, title); ``school_covered`` marks compulsory schools;
    ``pay`` = (yuan per title-factor unit per county, the title factors, the county's top-up).
    A covered teacher earns scale × factor + top-up, added in row order in float64: the sums
    ``np.bincount`` makes of ``sim.processes.workforce.pay.teacher_pay`` over the covered, read
    in one pass instead of ten array operations (the parity is read four times a year).
    """
    school, contract, title = teachers
    scale, factor, topup = pay
    total = np.zeros(n_counties, dtype=np.float64)
    count = np.zeros(n_counties, dtype=np.int64)
    for i in range(school.shape[0]):
        s = school[i]
        if contract[i] == editorial and school_covered[s]:
            c = school_county[s]
            total[c] += scale[c] * factor[title[i]] + topup[c]
            count[c] += 1
    return total, count
