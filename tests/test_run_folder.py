"""Run folders are written whole or not at all, by one writer at a time (issue 16).

A kill is simulated at every line of the writer (a ``BaseException`` raised by a trace
function, which no ``except OSError`` catches, like a SIGKILL), a full disk by ``ENOSPC``
from every write; afterwards the folder must be the old run or the new one, whole. The slow
test kills real ``sim run`` processes at random moments.
"""

from __future__ import annotations

import errno
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.core import provenance, rundir
from sim.core.errors import InputError
from sim.core.rundir import RunLock, check_out, verify_run, write_run_folder

ROOT = Path(__file__).resolve().parents[1]
WRITER_FILES = {rundir.__file__, provenance.__file__}


class Killed(BaseException):
    """Stands for SIGKILL: nothing in the writer catches it."""


def tables(seed: int) -> dict[str, pd.DataFrame]:
    rng = random.Random(seed)
    cy = pd.DataFrame(
        {
            "year": [2022, 2023],
            "county": ["全市"] * 2,
            "metric": ["x"] * 2,
            "value": [rng.random(), rng.random()],
        }
    )
    sy = pd.DataFrame(
        {"school": [f"s{i}" for i in range(50)], "students": [rng.randint(1, 900) for _ in range(50)]}
    )
    return {"county_year": cy, "school_year": sy}


def state(out: Path) -> int | None:
    """Which seed's run ``out`` holds (whole and verified), or None if none."""
    manifest = verify_run(out)
    cy = pd.read_parquet(out / "county_year.parquet")
    assert cy.equals(tables(manifest["seed"])["county_year"])
    assert pd.read_parquet(out / "school_year.parquet").equals(tables(manifest["seed"])["school_year"])
    return manifest["seed"]


def kill_at_line(k: int):
    """A trace function raising ``Killed`` at the k-th line executed in the writer's modules."""
    count = [0]

    def local(frame, event, arg):
        if event == "line":
            count[0] += 1
            if count[0] == k:
                raise Killed
        return local

    def tracer(frame, event, arg):
        return local if frame.f_code.co_filename in WRITER_FILES else None

    return tracer, count


def leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


def test_a_kill_at_any_line_leaves_the_old_run_or_the_new_one(tmp_path):
    out = tmp_path / "run"
    write_run_folder(out, tables(1), {"seed": 1})
    k, completed, seen = 0, False, set()
    while not completed:
        k += 1
        tracer, _ = kill_at_line(k)
        sys.settrace(tracer)
        try:
            write_run_folder(out, tables(2), {"seed": 2})
            completed = True
        except Killed:
            pass
        finally:
            sys.settrace(None)
        assert state(out) in (1, 2), f"kill at line {k}"
        seen.add(state(out))
        # the next writer tidies what the killed one left, and succeeds
        write_run_folder(out, tables(1), {"seed": 1})
        assert state(out) == 1 and leftovers(out) == [], leftovers(out)
    assert k > 20 and seen == {1, 2}  # every line was a kill point; both outcomes occurred


def test_a_full_disk_leaves_the_old_run_and_says_so(tmp_path, monkeypatch):
    out = tmp_path / "run"
    write_run_folder(out, tables(1), {"seed": 1})
    real_parquet, real_bytes = pd.DataFrame.to_parquet, provenance.atomic_write_bytes
    for k in range(1, 4):  # the 1st, 2nd table or the manifest hits the full disk

        def full(*args, _real, _calls=[0], _k=k, **kw):  # noqa: B006 - a per-k counter
            _calls[0] += 1
            if _calls[0] == _k:
                raise OSError(errno.ENOSPC, "No space left on device")
            return _real(*args, **kw)

        monkeypatch.setattr(pd.DataFrame, "to_parquet", lambda *a, **kw: full(*a, _real=real_parquet, **kw))
        monkeypatch.setattr(
            rundir, "atomic_write_json", lambda p, o: full(p, o, _real=provenance.atomic_write_json)
        )
        monkeypatch.setattr(provenance, "atomic_write_bytes", real_bytes)
        with pytest.raises(InputError, match=r"No space left on device.*unchanged"):
            write_run_folder(out, tables(2), {"seed": 2})
        assert state(out) == 1 and leftovers(out) == []


def test_out_is_checked_before_simulating(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('counties = ["连山壮族瑶族自治县"]\nuntil = 2023\n', encoding="utf-8")
    (tmp_path / "file").write_text("x")
    (tmp_path / "exp").mkdir()
    (tmp_path / "exp" / "experiment.json").write_text("{}")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    for out, needle in [
        ("file", "is a file"),
        ("file/sub", "it is a file"),
        ("exp", "holds an experiment"),
        ("mine", "not a run"),
    ]:
        with pytest.raises(InputError, match=needle):
            check_out(tmp_path / out, source=str(cfg), force=False)
    check_out(tmp_path / "exp", source=str(cfg), force=True)
    write_run_folder(tmp_path / "other", tables(1), {"config_file": "/elsewhere/x.toml"})
    with pytest.raises(InputError, match="another config"):
        check_out(tmp_path / "other", source=str(cfg), force=False)
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


def test_a_second_writer_is_refused_naming_the_first(tmp_path, capsys):
    out = tmp_path / "run"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from sim.core.rundir import RunLock; "
            f"l = RunLock({str(out)!r}).acquire(); print('locked', flush=True); time.sleep(60)",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        cfg = tmp_path / "c.toml"
        cfg.write_text('counties = ["连山壮族瑶族自治县"]\nuntil = 2023\n', encoding="utf-8")
        assert main(["run", str(cfg), "--out", str(out), "--quiet"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and f"pid {holder.pid}" in err and "another process" in err
    finally:
        holder.kill()
        holder.wait()
    with RunLock(out):  # the kernel freed the killed holder's lock
        pass
    assert leftovers(out) == []


@pytest.mark.slow
def test_killing_sim_run_at_random_moments(tmp_path):
    """20 real ``sim run`` processes killed at random moments over an existing run."""
    cfg = tmp_path / "c.toml"
    cfg.write_text('counties = ["连山壮族瑶族自治县"]\nuntil = 2023\n', encoding="utf-8")
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "sim", "run", str(cfg), "--out", str(out), "--quiet"]
    t0 = time.perf_counter()
    subprocess.run([*cmd, "--seed", "1"], cwd=ROOT, check=True)
    full = time.perf_counter() - t0
    rng = random.Random(16)
    seeds = []
    for i in range(20):
        proc = subprocess.Popen([*cmd, "--seed", str(2 + i)], cwd=ROOT)
        time.sleep(rng.uniform(0.3, 1.6) * full)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        manifest = verify_run(out)  # whole: every table matches the manifest
        assert manifest["seed"] in (1, *range(2, 3 + i))
        seeds.append(manifest["seed"])
    assert len(set(seeds)) > 1, "no kill fell after a swap; widen the window"
    # two writers at once: one wins, the other is refused before simulating
    procs = [
        subprocess.Popen([*cmd, "--seed", str(s)], cwd=ROOT, stderr=subprocess.PIPE, text=True)
        for s in (40, 41)
    ]
    codes = [p.wait() for p in procs]
    errs = [p.stderr.read() for p in procs]
    assert sorted(codes) in ([0, 0], [0, 2]), errs
    assert verify_run(out)["seed"] in (40, 41)
    os.sync()


def test_readers_refuse_a_folder_whose_tables_do_not_match(tmp_path, capsys):
    out = write_run_folder(tmp_path / "run", tables(1), {"seed": 1})
    tables(2)["county_year"].to_parquet(out / "county_year.parquet", index=False)  # a mixed folder
    for argv in (["report", str(out)], ["compare", str(out), str(out)]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "does not match the checksum" in err


def test_a_rerun_of_the_same_config_replaces_its_folder_even_from_an_older_version(tmp_path):
    out = write_run_folder(tmp_path / "run", tables(1), {"config": {"name": "plan"}})  # no config_file
    check_out(out, source="/x/plan.toml", force=False, name="plan")
    with pytest.raises(InputError, match="another config"):
        check_out(out, source="/x/other.toml", force=False, name="other")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_parent_is_refused_before_simulating(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        with pytest.raises(InputError, match="permission denied"):
            check_out(ro / "run", source="c.toml", force=False)
    finally:
        ro.chmod(0o755)


def test_an_experiment_whose_combined_tables_changed_is_refused(tmp_path):
    from sim.experiments.executors import InlineExecutor
    from sim.experiments.runner import run_experiment
    from sim.experiments.spec import load_spec
    from sim.report.load import load
    from tests.test_experiments_toy import toy_run

    spec = tmp_path / "s.toml"
    spec.write_text('seed = 3\nreplicates = 2\nuntil = 2024\n[constants]\ncounties = ["连南瑶族自治县"]\n')
    out = tmp_path / "exp"
    run_experiment(load_spec(spec), out, InlineExecutor(), run_fn=toy_run, progress=False)
    assert load(out).runs is not None  # whole: accepted
    bands = pd.read_parquet(out / "bands.parquet")
    bands.iloc[:1].to_parquet(out / "bands.parquet", index=False)
    with pytest.raises(
        InputError, match=r"bands\.parquet .* does not match the checksum in experiment\.json"
    ):
        load(out)
