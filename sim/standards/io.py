"""Read real data (CSV) for the evaluator, checking every cell and naming its line.

An education bureau's spreadsheet is the input, so every problem is reported with the
line number as a spreadsheet shows it and the column name: missing columns, blanks,
non-numbers, negative values, schools without students, duplicates. All problems are
collected and raised together as one ``InputError``; no row is silently dropped.

Lines starting with ``#`` are comments (the shipped example uses one to say it is
synthetic); a UTF-8 byte-order mark (Excel's "CSV UTF-8") is accepted.
"""

from __future__ import annotations

import csv
import difflib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.core.errors import InputError
from sim.standards.evaluator import SCHOOL_COLUMNS
from sim.standards.judge import to_float
from sim.standards.preschool import COUNTY_COLUMNS, KINDERGARTEN_COLUMNS
from sim.standards.spec import load_compulsory, load_preschool

MAX_LISTED = 20


class _Problems:
    """Collects (line, column, message) and raises them as one InputError."""

    def __init__(self, source: Path):
        self.source = source
        self.items: list[tuple[int | None, str | None, str]] = []

    def add(self, line: int | None, column: str | None, message: str) -> None:
        self.items.append((line, column, message))

    def raise_if_any(self) -> None:
        if not self.items:
            return

        def where(line: int | None, column: str | None) -> str:
            parts = ([f"line {line}"] if line else []) + ([f"column {column}"] if column else [])
            return ", ".join(parts)

        if len(self.items) == 1:
            line, column, message = self.items[0]
            raise InputError(message, source=self.source, key=where(line, column) or None)
        shown = [f"{where(li, co)}: {msg}" for li, co, msg in self.items[:MAX_LISTED]]
        more = len(self.items) - MAX_LISTED
        tail = f"; ... and {more} more" if more > 0 else ""
        raise InputError(f"{len(self.items)} problems: " + "; ".join(shown) + tail, source=self.source)


def _collect(reader: Any, at: list[int]) -> tuple[list[str] | None, list[tuple[int, list[str]]]]:
    """Header and data rows with their first line numbers; ``at[0]`` follows the reader."""
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    for record in reader:
        line = at[0]
        at[0] = reader.line_num + 1
        if not record or all(not cell.strip() for cell in record):
            continue
        if record[0].lstrip().startswith("#"):
            continue
        if header is None:
            header = [cell.strip() for cell in record]
            continue
        rows.append((line, record))
    return header, rows


def _read_rows(path: str | Path) -> tuple[list[str], list[tuple[int, list[str]]], Path]:
    """Header and data rows with their physical line numbers (comments skipped)."""
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", source=path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text (save the spreadsheet as 'CSV UTF-8')", source=path) from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise InputError("a NUL byte: not a text CSV", source=path, key=f"line {line}")
    reader = csv.reader(text.splitlines(keepends=True))
    at = [1]  # first line of the record being read, for the message on a broken quote
    try:
        header, rows = _collect(reader, at)
    except csv.Error as exc:
        raise InputError(
            f'{exc}: a field opened with " here never closes (check the quotes from this line on)',
            source=path,
            key=f"line {at[0]}",
        ) from None
    if header is None:
        raise InputError("empty file: no header line", source=path)
    dupes = sorted({h for h in header if header.count(h) > 1 and h})
    if dupes:
        raise InputError(f"column named twice: {', '.join(dupes)}", source=path, key="header")
    if not rows:
        raise InputError("no data rows below the header", source=path)
    return header, rows, path


def _whole(text: str) -> float:
    value = float(text)
    if not np.isfinite(value) or value != int(value):
        raise ValueError
    return value


def _number(text: str) -> float:
    value = float(text)
    if not np.isfinite(value):
        raise ValueError
    return value


Parser = tuple[Callable[[str], float], str, bool]  # (parse, allowed text, blank allowed)
TEXT = "text"
COUNT: Parser = (_whole, "a whole number ≥ 0", False)
AMOUNT: Parser = (_number, "a number ≥ 0", False)
OPTIONAL_SIZE: Parser = (_whole, "a whole number ≥ 1, or blank", True)
FLAG = "flag"


def _parse_table(
    header: list[str],
    rows: list[tuple[int, list[str]]],
    spec: dict[str, Any],
    required: Iterable[str],
    problems: _Problems,
) -> pd.DataFrame:
    """Parse the columns named in ``spec``; unknown extra columns are kept as text."""
    missing = [c for c in required if c not in header]
    if missing:
        extra = [h for h in header if h not in required and h not in spec]
        close = {m: difflib.get_close_matches(m, extra, n=1, cutoff=0.75) for m in missing}
        hint = "; ".join(f"{c[0]!r} looks like {m!r}" for m, c in close.items() if c)
        problems.add(
            None,
            missing[0],
            f"required column(s) missing: {', '.join(missing)}"
            f"{f' ({hint})' if hint else ''} (required: {', '.join(required)}; found: {', '.join(header)})",
        )
        problems.raise_if_any()
    pos = {name: i for i, name in enumerate(header)}
    data: dict[str, list[Any]] = {name: [] for name in header}
    lines: list[int] = []
    for line, record in rows:
        if len(record) != len(header):
            problems.add(line, None, f"{len(record)} fields, the header has {len(header)}")
            continue
        lines.append(line)
        for name in header:
            cell = record[pos[name]].strip()
            kind = spec.get(name, TEXT)
            if kind == TEXT:
                if name in required and not cell:
                    problems.add(line, name, "blank; a name is required")
                data[name].append(cell)
            elif kind == FLAG:
                try:
                    value = to_float(cell) if cell else 0.0
                    if value not in (0.0, 1.0):
                        raise ValueError
                except ValueError:
                    problems.add(line, name, f"{cell!r} is not yes/no (allowed: true/false, 1/0, 是/否)")
                    value = float("nan")
                data[name].append(bool(value == 1.0))
            else:
                parse, allowed, blank_ok = kind
                if not cell:
                    if not blank_ok:
                        problems.add(line, name, f"blank (allowed: {allowed})")
                    data[name].append(float("nan"))
                    continue
                try:
                    value = parse(cell)
                except ValueError:
                    problems.add(line, name, f"{cell!r} is not {allowed}")
                    data[name].append(float("nan"))
                    continue
                if value < 0 or (blank_ok and value < 1):
                    problems.add(line, name, f"{cell} is out of range (allowed: {allowed})")
                data[name].append(value)
    frame = pd.DataFrame(data)
    frame.insert(0, "line", lines)
    return frame


def _check_duplicates(frame: pd.DataFrame, keys: list[str], problems: _Problems) -> None:
    dup = frame.duplicated(keys, keep=False)
    if dup.any():
        for _, grp in frame[dup].groupby(keys, sort=False):
            first = int(grp["line"].iloc[0])
            for line in grp["line"].iloc[1:]:
                problems.add(
                    int(line),
                    keys[-1],
                    f"duplicate of line {first} ({' / '.join(map(str, grp[keys].iloc[0]))})",
                )


def read_schools_csv(path: str | Path) -> pd.DataFrame:
    """One row per school for the compulsory standard (columns: ``SCHOOL_COLUMNS``).

    Optional columns: ``max_class_size`` (blank = unknown), ``teaching_point``
    (true for 教学点), ``students_senior`` (for complete middle schools). The result
    keeps a ``line`` column with each row's line in the file.
    """
    header, rows, src = _read_rows(path)
    problems = _Problems(src)
    spec: dict[str, Any] = dict.fromkeys(SCHOOL_COLUMNS[2:], AMOUNT)
    spec.update(
        students_primary=COUNT,
        students_junior=COUNT,
        students_senior=COUNT,
        max_class_size=OPTIONAL_SIZE,
        teaching_point=FLAG,
    )
    frame = _parse_table(header, rows, spec, list(SCHOOL_COLUMNS), problems)
    students = frame["students_primary"].fillna(0) + frame["students_junior"].fillna(0)
    clean = frame["students_primary"].notna() & frame["students_junior"].notna()
    for line in frame.loc[clean & (students <= 0), "line"]:
        problems.add(
            int(line),
            "students_primary",
            "zero students: a school needs students_primary or students_junior > 0",
        )
    _check_duplicates(frame, ["county", "school"], problems)
    problems.raise_if_any()
    return frame


def read_kindergartens_csv(path: str | Path) -> pd.DataFrame:
    """One row per kindergarten (columns: ``KINDERGARTEN_COLUMNS``; type public|puhui|private)."""
    header, rows, src = _read_rows(path)
    problems = _Problems(src)
    spec: dict[str, Any] = {
        "children": COUNT,
        "teachers": AMOUNT,
        "classes": COUNT,
        "classes_compliant": COUNT,
    }
    frame = _parse_table(header, rows, spec, list(KINDERGARTEN_COLUMNS), problems)
    types = frame["type"].str.lower()
    for line, value in zip(frame["line"], frame["type"], strict=True):
        if value.lower() not in ("public", "puhui", "private"):
            problems.add(
                int(line),
                "type",
                f"{value!r} is not a kindergarten type (allowed: public, puhui, private)",
            )
    frame["type"] = types
    for line in frame.loc[frame["children"] == 0, "line"]:
        problems.add(int(line), "children", "zero children: a kindergarten needs children > 0")
    over = frame["classes_compliant"] > frame["classes"]
    for line in frame.loc[over, "line"]:
        problems.add(int(line), "classes_compliant", "more compliant classes than classes")
    _check_duplicates(frame, ["county", "kindergarten"], problems)
    problems.raise_if_any()
    return frame


def county_data_columns() -> list[str]:
    """Columns a ``--county-data`` file may have: every item of both standards."""
    cols = list(load_compulsory().item_columns)
    cols += [c for c in load_preschool().input_columns if c not in cols]
    return cols


def read_county_data_csv(path: str | Path, allowed: list[str] | None = None) -> pd.DataFrame:
    """Per-county items (one row per county). Blank cells are "not assessed".

    Values are numbers or yes/no. A column outside the standards' items is an error, so a
    misspelt column is never silently ignored as "not assessed".
    """
    header, rows, src = _read_rows(path)
    problems = _Problems(src)
    allowed = allowed if allowed is not None else county_data_columns()
    if "county" not in header:
        problems.add(1, "county", "required column missing: county")
    for name in header:
        if name not in allowed and name != "county":
            problems.add(1, name, f"unknown column (allowed: county, {', '.join(allowed)})")
    problems.raise_if_any()
    frame = _parse_table(header, rows, {}, ["county"], problems)
    for name in header:
        if name == "county":
            continue
        parsed = []
        for line, cell in zip(frame["line"], frame[name], strict=True):
            try:
                value = to_float(cell)
                if value < 0:
                    problems.add(
                        int(line),
                        name,
                        f"{cell} is negative (allowed: a number ≥ 0, yes/no or blank)",
                    )
            except ValueError:
                problems.add(int(line), name, f"{cell!r} is not a number or yes/no (or blank)")
                value = float("nan")
            parsed.append(value)
        frame[name] = parsed
    _check_duplicates(frame, ["county"], problems)
    problems.raise_if_any()
    return frame


def read_preschool_counties_csv(path: str | Path) -> pd.DataFrame:
    """Per-county preschool counts (``COUNTY_COLUMNS`` plus optional items)."""
    header, rows, src = _read_rows(path)
    problems = _Problems(src)
    optional = [c for c in load_preschool().input_columns if c not in COUNTY_COLUMNS]
    spec: dict[str, Any] = dict.fromkeys(COUNTY_COLUMNS, AMOUNT)
    frame = _parse_table(header, rows, spec, ["county", *COUNTY_COLUMNS], problems)
    for name in optional:
        if name in frame.columns:
            values = []
            for line, cell in zip(frame["line"], frame[name], strict=True):
                try:
                    values.append(to_float(cell))
                except ValueError:
                    problems.add(int(line), name, f"{cell!r} is not a number or yes/no (or blank)")
                    values.append(float("nan"))
            frame[name] = values
    over = frame["enrolled_public"] + frame["enrolled_puhui"] > frame["enrolled"]
    for line in frame.loc[over, "line"]:
        problems.add(int(line), "enrolled", "enrolled_public + enrolled_puhui exceed enrolled")
    _check_duplicates(frame, ["county"], problems)
    problems.raise_if_any()
    return frame


def sniff_header(path: str | Path) -> list[str]:
    """The header of a CSV (to tell a per-kindergarten file from a per-county one)."""
    header, _, _ = _read_rows(path)
    return header
