"""The seeded corpus of malformed inputs (tests/fuzz_corpus.py) through the real command line.

Each case runs in this process (``sim.cli.main``), so 2,000 cases take about a minute. A
case passes when the command exits with 2 and prints exactly one ``error:`` line naming the
key, file or option at fault; it fails on exit 0 (a malformed value accepted), on any
other exception (a traceback), on more than one line, on a message that does not name the
culprit (vague) and on taking longer than ``TIMEOUT_S`` (a hang).
"""

from __future__ import annotations

import contextlib
import io
import signal
from pathlib import Path

import pytest

from sim.cli import main
from tests.fuzz_corpus import Case, corpus

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_S = 20


class Hang(BaseException):
    """Raised by the alarm when a case runs too long."""


def _alarm(signum, frame):
    raise Hang


def outcome(case: Case, folder: Path) -> str:
    """``"ok"`` or what went wrong with this case, in a few words."""
    folder.mkdir(parents=True, exist_ok=True)
    for rel, content in case.files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    argv = [a.replace("{dir}", str(folder)) for a in case.argv]
    needle = case.needle.replace("{dir}", str(folder))
    err = io.StringIO()
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(TIMEOUT_S)
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            try:
                code = main(argv)
            except SystemExit as exc:
                code = exc.code
    except Hang:
        return f"hang (> {TIMEOUT_S} s)"
    except BaseException as exc:
        return f"traceback: {type(exc).__name__}: {str(exc)[:200]}"
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    lines = err.getvalue().strip().splitlines()
    if code == 0:
        return "accepted"
    if code != 2:
        return f"exit {code}: {err.getvalue()[-200:]}"
    if len(lines) != 1 or not lines[0].startswith("error: "):
        return f"{len(lines)} lines: {' | '.join(lines)[:300]}"
    if needle not in lines[0]:
        return f"vague (no {needle!r}): {lines[0][:300]}"
    return "ok"


def test_the_corpus_is_large_and_covers_every_kind_of_input():
    cases = corpus()
    kinds = {c.name.split()[0] for c in cases}
    assert len(cases) >= 1000
    assert {"config", "lever", "spec", "csv", "workers", "run-function"} <= kinds
    assert [c.name for c in corpus()] == [c.name for c in cases]  # seeded: the same each time


def test_every_malformed_input_gets_one_line_and_exit_2(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)  # shipped specs name their configs relative to the project
    failures = []
    for i, case in enumerate(corpus()):
        result = outcome(case, tmp_path / str(i))
        if result != "ok":
            failures.append(f"{case.name}: {result}")
    assert not failures, f"{len(failures)} of {len(corpus())} cases:\n" + "\n".join(failures[:40])


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[workforce]\nrotation_rate = true\n", "workforce.rotation_rate: Input should be a valid number"),
        ('until = "2027"\n', "until: Input should be a valid integer"),
        ("[demography]\nmigration = 1\n", "demography.migration: Input should be a valid boolean"),
        ("[demography]\nbirths_trend = nan\n", "finite number"),
    ],
)
def test_no_lax_coercion(tmp_path, text, needle):
    from sim.core.errors import InputError
    from sim.scenario import load_config

    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=needle):
        load_config(path)
