"""The standards' strict reader (``sim.standards.spec.read_strict``) against the pydantic
models (``sim.standards.schema``), the reference for the format.

The reader exists so that ``sim report`` does not import pydantic for three well-formed
packaged files; it must accept exactly what pydantic accepts, with the same values, and
leave every error to pydantic so its message (file, key, allowed range) stays the same.
"""

from __future__ import annotations

import copy
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from pydantic import ValidationError

from sim.core.errors import InputError
from sim.standards import schema, spec
from sim.standards import targets as tg

HERE = Path(spec.__file__).parent
CLASSES = {"compulsory": spec.CompulsoryStandard, "preschool": spec.PreschoolStandard,
           "targets": tg._Targets}
DROP = object()


def packaged(kind: str) -> dict:
    with (HERE / f"{kind}.toml").open("rb") as fh:
        return tomllib.load(fh)


def edited(data: dict, path: tuple, value) -> dict:
    out = copy.deepcopy(data)
    node = out
    for part in path[:-1]:
        node = node[part]
    if value is DROP:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return out


def both(kind: str, data: dict):
    """(strict reader's result or None if refused, pydantic's dump or None if invalid)."""
    import dataclasses

    try:
        mine = dataclasses.asdict(spec.read_strict(CLASSES[kind], data))
    except spec.RefusedError:
        mine = None
    try:
        ref = schema.MODELS[kind].model_validate(data).model_dump()
    except ValidationError:
        ref = None
    return mine, ref


@pytest.mark.parametrize("kind", ["compulsory", "preschool", "targets"])
def test_the_packaged_files_read_the_same_as_through_pydantic(kind):
    mine, ref = both(kind, packaged(kind))
    assert ref is not None and mine == ref


C = packaged("compulsory")
P = packaged("preschool")
T = packaged("targets")
EDITS = [
    ("compulsory", ("per_school_rule", "floor_ratio"), 1.5),
    ("compulsory", ("per_school_rule", "floor_ratio"), -0.1),
    ("compulsory", ("per_school_rule", "floor_ratio"), True),
    ("compulsory", ("per_school_rule", "floor_ratio"), "0.85"),
    ("compulsory", ("per_school_rule", "floor_ratio"), 1),  # an int fills a float
    ("compulsory", ("per_school_rule", "floor_ratio"), float("nan")),
    ("compulsory", ("per_school_rule", "floor_ratio"), float("inf")),
    ("compulsory", ("per_school_rule", "min_met"), 6.0),
    ("compulsory", ("per_school_rule", "min_met"), 8),
    ("compulsory", ("per_school_rule", "min_met"), True),
    ("compulsory", ("per_school_rule", "min_met"), 0),
    ("compulsory", ("per_school_rule", "floor_ratoi"), 0.85),
    ("compulsory", ("scope", "source"), DROP),
    ("compulsory", ("scope", "exclude_types"), "special"),
    ("compulsory", ("scope", "exclude_types"), [1]),
    ("compulsory", ("scope", "exclude_types"), DROP),  # a default
    ("compulsory", ("coefficient", "method"), "plain"),
    ("compulsory", ("weights", "primary"), 0),
    ("compulsory", ("standard", "id"), 5),
    ("compulsory", ("standard",), "compulsory"),
    ("compulsory", ("extra",), {}),
    ("compulsory", ("indicators", 0, "no"), 0),
    ("compulsory", ("indicators", 0, "no"), 7),
    ("compulsory", ("indicators", 0, "split"), "yes"),
    ("compulsory", ("indicators", 0, "split"), DROP),
    ("compulsory", ("indicators", 0, "threshold", "junior"), DROP),
    ("compulsory", ("indicators",), C["indicators"][:6]),
    ("compulsory", ("indicators", 1, "id"), C["indicators"][0]["id"]),
    ("compulsory", ("items", 1, "threshold"), DROP),  # op ">=" needs a threshold
    ("compulsory", ("items", 1, "op"), "=="),
    ("compulsory", ("items", 1, "id"), C["items"][0]["id"]),
    ("compulsory", ("items", 0, "veto"), 1),
    ("compulsory", ("items",), {}),
    ("preschool", ("indicators", 0, "column"), "enrolled"),  # a ratio and a column
    ("preschool", ("indicators", 0, "threshold"), DROP),
    ("preschool", ("indicators", 0, "numerator"), "enrolled"),
    ("preschool", ("indicators", 0, "required"), 1),
    ("preschool", ("indicators", 0, "required"), DROP),
    ("preschool", ("kindergartens", "public"), DROP),
    ("targets", ("targets", 0, "deadline"), 2022),
    ("targets", ("targets", 0, "deadline"), 2051),
    ("targets", ("targets", 0, "deadline"), 2030.0),
    ("targets", ("targets", 0, "deadline"), 2050),
    ("targets", ("targets", 0, "county"), 5),
    ("targets", ("targets", 0, "threshold"), "3"),
    ("targets", ("targets", 0, "threshold"), 3),
    ("targets", ("targets", 0, "count_counties"), "true"),
    ("targets", ("targets", 0, "colour"), "red"),
    ("targets", ("targets",), []),
]
BASE = {"compulsory": C, "preschool": P, "targets": T}


@pytest.mark.parametrize(("kind", "path", "value"), EDITS,
                         ids=[f"{k}:{'.'.join(map(str, p))}={v!r}" for k, p, v in EDITS])
def test_an_edited_file_is_accepted_or_refused_as_pydantic_does(kind, path, value):
    mine, ref = both(kind, edited(BASE[kind], path, value))
    assert mine == ref


def test_a_refused_file_gets_pydantics_error_naming_file_key_and_range(tmp_path):
    """The error comes from the pydantic models, as before the strict reader existed."""
    source = (HERE / "compulsory.toml").read_text(encoding="utf-8")
    path = tmp_path / "edited.toml"
    path.write_text(source.replace("floor_ratio = 0.85", "floor_ratio = 1.5"), encoding="utf-8")
    with pytest.raises(InputError) as exc:
        spec.load_compulsory(path)
    text = str(exc.value)
    assert "edited.toml" in text and "per_school_rule.floor_ratio" in text
    assert "<= 1" in text
    path.write_text("not toml [", encoding="utf-8")
    with pytest.raises(InputError, match="malformed TOML"):
        spec.load_compulsory(path)
    with pytest.raises(InputError, match="file not found"):
        spec.load_preschool(tmp_path / "missing.toml")
    bad = tmp_path / "targets.toml"
    bad.write_text((HERE / "targets.toml").read_text(encoding="utf-8")
                   .replace("deadline = 2027", "deadline = 2051", 1), encoding="utf-8")
    with pytest.raises(InputError, match=r"deadline.*<= 2050"):
        tg.load_targets(bad)


def test_reading_the_packaged_standards_does_not_import_pydantic():
    """What `sim report` reads (both standards, the targets, the plots' criteria) leaves
    pydantic unimported: it cost about 0.12 s of CPU per report."""
    code = ("import sys\n"
            "import sim.report.build, sim.cli.report\n"
            "from sim.standards import load_compulsory, load_preschool, TARGETS\n"
            "load_compulsory(); load_preschool()\n"
            "print('pydantic' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False"
