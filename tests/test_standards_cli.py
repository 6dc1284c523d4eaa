"""``python -m sim evaluate`` on the shipped examples and on broken CSVs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sim.cli import main

ROOT = Path(__file__).parents[1]
EXAMPLES = ROOT / "sim" / "standards"
SCHOOLS = EXAMPLES / "example_schools.csv"
COUNTY_DATA = EXAMPLES / "example_county_data.csv"
KINDERGARTENS = EXAMPLES / "example_kindergartens.csv"

HEADER = (
    "county,school,students_primary,students_junior,teachers_above_degree_primary,"
    "teachers_above_degree_junior,backbone_teachers,pe_art_teachers,teaching_space_m2,"
    "sports_area_m2,equipment_yuan,multimedia_classrooms,max_class_size,teaching_point"
)
GOOD = "甲县,一小,600,0,30,20,7,6,3000,5000,1300000,15,44,false"


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["evaluate", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path: Path, *lines: str, header: str = HEADER) -> Path:
    path = tmp_path / "schools.csv"
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def test_example_prints_verdicts_and_binding_criteria(capsys):
    code, out, _ = run(capsys, SCHOOLS)
    assert code == 0
    assert "甲县: 资料不全 incomplete" in out
    assert "passes resource criteria; 21 items not assessed" in out
    assert "乙县: 未达标 fails" in out
    assert "骨干教师 backbone teachers: lowest school" in out  # a binding criterion, named
    assert "体育场馆 sports area difference coefficient" in out
    assert "南山镇高岭教学点 (teaching point under 50 students)" in out
    assert "甲县九年一贯制学校 *" in out  # combined school shown in both levels


def test_example_with_county_data_passes_and_fails(capsys):
    code, out, _ = run(capsys, SCHOOLS, "--county-data", COUNTY_DATA)
    assert code == 0
    assert "甲县: 达标 passes" in out
    assert "违规择校" in out and "illegal_school_choice" in out


def test_example_json(capsys, tmp_path):
    out_file = tmp_path / "result.json"
    code, out, _ = run(capsys, SCHOOLS, "--json", "--out", out_file)
    assert code == 0 and "wrote" in out
    data = json.loads(out_file.read_text(encoding="utf-8"))
    jia = data["counties"]["甲县"]
    yi = data["counties"]["乙县"]
    assert jia["verdict"] == "passes resource criteria; 21 items not assessed"
    assert yi["status"] == "fails" and "cv_sports_area[primary]" in yi["binding"]
    primary = yi["levels"]["primary"]
    assert primary["coefficients"]["sports_area"]["value"] > 0.5
    assert primary["coefficients"]["sports_area"]["ok"] is False
    assert set(primary["coefficients"]) == {
        "above_degree",
        "backbone",
        "pe_art",
        "teaching_space",
        "sports_area",
        "equipment",
        "multimedia",
    }
    flags = {s["school"]: s["passes"] for s in primary["schools"]}
    assert flags["乙县第二小学"] is True and flags["乙县第一小学"] is False
    assert [e["school"] for e in jia["excluded"]] == ["南山镇高岭教学点"]
    assert any(g["criterion"] == "school_size" for g in yi["gaps"])


def test_preschool_kindergartens_with_county_data(capsys):
    code, out, _ = run(capsys, KINDERGARTENS, "--standard", "preschool", "--county-data", COUNTY_DATA)
    assert code == 0
    assert "甲县: 达标 passes" in out
    assert "乙县: 未达标 fails" in out
    assert "公办园在园幼儿占比" in out


def test_preschool_kindergartens_without_population(capsys):
    code, out, _ = run(capsys, KINDERGARTENS, "--standard", "preschool", "--json")
    data = json.loads(out)
    gross = data["counties"]["甲县"]["indicators"]["gross_enrolment"]
    assert code == 0 and gross["status"] == "not assessed"


def test_preschool_county_counts_csv(capsys, tmp_path):
    path = tmp_path / "counties.csv"
    path.write_text(
        "county,children_3_5,enrolled,enrolled_public,enrolled_puhui,teachers,classes,"
        "classes_compliant\nA,1000,850,500,300,57,30,26\nB,1000,849,500,300,57,30,26\n",
        encoding="utf-8",
    )
    code, out, _ = run(capsys, path, "--standard", "preschool", "--json")
    data = json.loads(out)["counties"]
    assert code == 0
    assert data["A"]["core_pass"] is True
    assert data["B"]["binding"] == ["gross_enrolment"]


def test_python_m_sim_evaluate_subprocess():
    proc = subprocess.run(
        [sys.executable, "-m", "sim", "evaluate", str(SCHOOLS), "--no-schools"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "乙县: 未达标 fails" in proc.stdout


# ---------------------------------------------------------------------------------------
# broken CSVs: one error line naming the line and column, exit code 2
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad_line", "expected"),
    [
        (
            "甲县,二小,400,0,20,10,abc,4,2000,3000,800000,10,40,false",
            "line 3, column backbone_teachers: 'abc' is not a number ≥ 0",
        ),
        (
            "甲县,二小,400,0,20,10,4,-1,2000,3000,800000,10,40,false",
            "line 3, column pe_art_teachers: -1 is out of range",
        ),
        (
            "甲县,二小,0,0,20,10,4,4,2000,3000,800000,10,40,false",
            "line 3, column students_primary: zero students",
        ),
        (
            "甲县,二小,400.5,0,20,10,4,4,2000,3000,800000,10,40,false",
            "line 3, column students_primary: '400.5' is not a whole number",
        ),
        (
            "甲县,二小,400,0,20,10,4,4,,3000,800000,10,40,false",
            "line 3, column teaching_space_m2: blank",
        ),
        (
            "甲县,二小,400,0,20,10,4,4,2000,3000,800000,10,40,maybe",
            "line 3, column teaching_point: 'maybe' is not yes/no",
        ),
        (
            "甲县,二小,400,0,20,10,4,4,2000,3000,800000,10,0,false",
            "line 3, column max_class_size: 0 is out of range",
        ),
        ("甲县,二小,400,0,20,10,4,4,2000,3000", "line 3: 10 fields, the header has 14"),
        (
            "甲县,一小,400,0,20,10,4,4,2000,3000,800000,10,40,false",
            "line 3, column school: duplicate of line 2",
        ),
        (",二小,400,0,20,10,4,4,2000,3000,800000,10,40,false", "line 3, column county: blank"),
    ],
)
def test_bad_rows_name_line_and_column(capsys, tmp_path, bad_line, expected):
    path = write(tmp_path, GOOD, bad_line)
    code, out, err = run(capsys, path)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("error: ")
    assert str(path) in err
    assert expected in err
    assert "Traceback" not in err


def test_missing_column_is_named(capsys, tmp_path):
    header = HEADER.replace(",sports_area_m2", "")
    path = write(tmp_path, "甲县,一小,600,0,30,20,7,6,3000,1300000,15,44,false", header=header)
    code, _, err = run(capsys, path)
    assert code == 2
    assert "column sports_area_m2: required column(s) missing: sports_area_m2" in err


def test_all_problems_are_reported_together(capsys, tmp_path):
    path = write(
        tmp_path,
        GOOD,
        "甲县,二小,x,0,20,10,4,4,2000,3000,800000,10,40,false",
        "# a comment line keeps the numbering honest",
        "甲县,三小,400,0,20,10,4,4,2000,-3000,800000,10,40,false",
    )
    code, _, err = run(capsys, path)
    assert code == 2 and err.count("\n") == 1
    assert "2 problems" in err
    assert "line 3, column students_primary" in err
    assert "line 5, column sports_area_m2" in err


def test_optional_columns_may_be_absent(capsys, tmp_path):
    header = HEADER.replace(",max_class_size,teaching_point", "")
    path = write(tmp_path, "甲县,一小,600,0,30,20,7,6,3000,5000,1300000,15", header=header)
    code, out, _ = run(capsys, path, "--json")
    assert code == 0
    county = json.loads(out)["counties"]["甲县"]
    class_size = next(c for c in county["criteria"] if c["criterion"] == "class_size")
    assert class_size["status"] == "not assessed"


def test_missing_file_and_empty_file(capsys, tmp_path):
    code, _, err = run(capsys, tmp_path / "nope.csv")
    assert code == 2 and "file not found" in err
    empty = tmp_path / "empty.csv"
    empty.write_text(HEADER + "\n", encoding="utf-8")
    code, _, err = run(capsys, empty)
    assert code == 2 and "no data rows" in err


def test_county_data_errors(capsys, tmp_path):
    schools = write(tmp_path, GOOD)
    typo = tmp_path / "typo.csv"
    typo.write_text("county,rotaton_rate\n甲县,0.1\n", encoding="utf-8")
    code, _, err = run(capsys, schools, "--county-data", typo)
    assert code == 2 and "column rotaton_rate: unknown column" in err
    unknown = tmp_path / "unknown.csv"
    unknown.write_text("county,rotation_rate\n丙县,0.1\n", encoding="utf-8")
    code, _, err = run(capsys, schools, "--county-data", unknown)
    assert code == 2 and "line 2, column county" in err and "丙县" in err
    junk = tmp_path / "junk.csv"
    junk.write_text("county,rotation_rate,illegal_school_choice\n甲县,ten,no\n", encoding="utf-8")
    code, _, err = run(capsys, schools, "--county-data", junk)
    assert code == 2 and "line 2, column rotation_rate" in err


def test_kindergarten_csv_errors(capsys, tmp_path):
    path = tmp_path / "kg.csv"
    path.write_text(
        "county,kindergarten,type,children,teachers,classes,classes_compliant\n"
        "A,k1,public,100,8,4,4\nA,k2,state,100,8,4,4\nA,k3,puhui,0,8,4,4\nA,k4,puhui,90,6,3,5\n",
        encoding="utf-8",
    )
    code, _, err = run(capsys, path, "--standard", "preschool")
    assert code == 2
    assert "line 3, column type: 'state' is not a kindergarten type" in err
    assert "line 4, column children: zero children" in err
    assert "line 5, column classes_compliant" in err


def test_standard_file_changes_the_verdict(capsys, tmp_path):
    source = EXAMPLES / "compulsory.toml"
    edited = tmp_path / "lenient.toml"
    edited.write_text(
        source.read_text(encoding="utf-8").replace(
            "primary = 0.50\njunior = 0.45", "primary = 0.60\njunior = 0.45"
        ),
        encoding="utf-8",
    )
    _, default, _ = run(capsys, SCHOOLS, "--json")
    _, lenient, _ = run(capsys, SCHOOLS, "--json", "--standard-file", edited)
    before = json.loads(default)["counties"]["乙县"]
    after = json.loads(lenient)["counties"]["乙县"]
    assert "cv_sports_area[primary]" in before["binding"]
    assert "cv_sports_area[primary]" not in after["binding"]
    assert after["levels"]["primary"]["coefficient_limit"] == 0.6
