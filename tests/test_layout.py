"""The package's shape stays readable: few top-level modules, short functions, declared state.

These guard the layout promises in the README's "Layout" section; the import direction
itself is checked by import-linter (``make test``).
"""

import ast
import re
from pathlib import Path

import numpy as np

import sim
from sim.processes.boarding import may_board, school_grade
from sim.world.population import PRESCHOOL, PRIMARY

PACKAGE = Path(sim.__file__).resolve().parent
MAX_FUNCTION_LINES = 80
MAX_TOP_LEVEL_MODULES = 8


def _functions():
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                yield path.relative_to(PACKAGE.parent), node


def test_top_level_of_the_package_holds_few_modules():
    modules = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(modules) <= MAX_TOP_LEVEL_MODULES, modules


def test_no_function_is_longer_than_the_limit():
    long = [
        f"{path}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for path, node in _functions()
        if node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, long


def test_no_reader_guesses_whether_model_state_exists():
    pattern = re.compile(r"getattr\(\s*model\s*,")
    guesses = [
        f"{p.relative_to(PACKAGE.parent)}:{i}"
        for p in PACKAGE.rglob("*.py")
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert not guesses, guesses


def test_boarding_rule_distance_grade_and_stage():
    """One rule: strictly beyond the distance, at or above the minimum grade, not preschool."""
    dist = np.array([5.0, 5.01, 9.0, 9.0, 9.0])
    grade = np.array([4, 4, 3, 4, 4])
    stage = np.array([PRIMARY, PRIMARY, PRIMARY, PRIMARY, PRESCHOOL])
    assert may_board(dist, grade, stage, 5.0, 4).tolist() == [False, True, False, True, False]
    # a per-pupil rule (a lever changes it per county) applies pupil by pupil
    assert may_board(dist, grade, stage, np.array([4.0, 6.0, 1.0, 10.0, 1.0]), 4).tolist() == [
        True,
        False,
        False,
        False,
        False,
    ]
    assert school_grade(np.array([6, 11, 5])).tolist() == [1, 6, 0]


def test_boarders_in_a_run_obey_the_rule_and_the_beds(small_model):
    """Every boarder may board under this year's rule, and no school boards more than its beds."""
    m = small_model
    pop = m.pop
    boarders = np.flatnonzero(pop.boarding)
    assert len(boarders) > 0
    rule = m.policy.boarding_distance_km[pop.county[boarders]]
    grade = school_grade(pop.age(m.year)[boarders])
    allowed = may_board(
        m.student_distance[boarders], grade, pop.stage[boarders], rule, m.config.enrolment.boarding_min_grade
    )
    assert allowed.all()
    per_school = np.bincount(pop.school[boarders], minlength=len(m.schools))
    assert (per_school <= m.schools.beds).all()
    # and the long commutes are exactly the far pupils left without a bed
    assert not (m.long_commute & pop.boarding).any()
