"""``make mutate``: sampled mutation testing of the model's core modules, within a time budget.

Why sampled: mutmut (chosen for its speed: one forked, already-imported process per mutant,
and only the tests that reach the mutated function) generates about 10,000 mutants over
the processes, levers, standards and measures configured in ``pyproject.toml``
``[tool.mutmut]``; running every one takes hours on 2 cores. A seeded random sample of
them gives an unbiased estimate of the mutation score with a confidence interval, in the
budget. Results accumulate: mutmut keeps each mutant's verdict in ``mutants/`` until the
source changes, so a second run with another ``--seed`` adds to the sample, and
``--recheck`` re-runs the sample's survivors after tests were added.

Writes ``results/mutation/summary.json`` (counts, score, 95% interval, time) and
``results/mutation/survivors.txt`` (each surviving mutant with its diff), and prints the
score. Usage::

    python -m tests.mutation [--budget 1800] [--sample 240] [--seed 12] [--children 2] [--recheck]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
MUTMUT = [sys.executable, "-m", "mutmut"]
LINE = re.compile(r"^\s*(?P<name>\S+__mutmut_\d+): (?P<status>.+)$")
KILLED = {"killed", "timeout", "segfault"}  # a mutant the tests stop, one way or another


def results() -> dict[str, str]:
    """Every generated mutant's status from ``mutmut results --all true``."""
    out = subprocess.run([*MUTMUT, "results", "--all", "true"], cwd=ROOT, capture_output=True, text=True)
    found = {}
    for line in out.stdout.splitlines():
        m = LINE.match(line)
        if m:
            found[m["name"]] = m["status"].strip()
    return found


def run_mutmut(names: list[str], children: int, seconds: float) -> bool:
    """Run mutmut on ``names``; stop the whole process group when the budget is spent."""
    args = [*MUTMUT, "run", "--max-children", str(children), *names]
    with open(ROOT / "mutants" / "run.log", "a", encoding="utf-8") as log:
        proc = subprocess.Popen(args, cwd=ROOT, stdout=log, stderr=log, start_new_session=True)
        try:
            proc.wait(timeout=max(seconds, 1.0))
            return True
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait()
            return False


def forget(names: set[str]) -> None:
    """Drop the stored verdicts of ``names`` and the test map, so new tests get to try them."""
    for meta in (ROOT / "mutants").rglob("*.py.meta"):
        data = json.loads(meta.read_text(encoding="utf-8"))
        hits = names & set(data["exit_code_by_key"])
        if hits:
            for name in hits:
                data["exit_code_by_key"][name] = None
            meta.write_text(json.dumps(data), encoding="utf-8")
    (ROOT / "mutants" / "mutmut-stats.json").unlink(missing_ok=True)


def summarise(sample: list[str], status: dict[str, str], elapsed: float, finished: bool) -> dict:
    """Counts, the score over checked sampled mutants and its 95% normal interval."""
    states = [status.get(n, "not checked") for n in sample]
    killed = sum(s in KILLED for s in states)
    survived = sum(s == "survived" for s in states)
    checked = killed + survived
    score = killed / checked if checked else float("nan")
    half = 1.96 * np.sqrt(score * (1 - score) / checked) if checked else float("nan")
    return {
        "sampled": len(sample),
        "checked": checked,
        "killed": killed,
        "survived": survived,
        "other": len(sample) - checked,
        "score": score,
        "interval_95": [score - half, score + half],
        "seconds": round(elapsed, 1),
        "finished_in_budget": finished,
        "statuses": {s: states.count(s) for s in sorted(set(states))},
    }


def main(argv: list[str] | None = None) -> int:
    """Generate (cached), sample, run within the budget, and write the survivors."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budget", type=float, default=1800.0, help="seconds, generation included")
    ap.add_argument("--sample", type=int, default=240, help="mutants drawn at random")
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--children", type=int, default=2, help="parallel mutants (cores)")
    ap.add_argument("--out", type=Path, default=ROOT / "results" / "mutation")
    ap.add_argument(
        "--recheck", action="store_true", help="re-run the sample's survivors (after adding tests)"
    )
    a = ap.parse_args(argv)
    start = time.monotonic()
    (ROOT / "mutants").mkdir(exist_ok=True)
    status = results()
    if not status:  # first run: generate the mutants (and time the clean test run), check none
        run_mutmut(["sim.__no_such_mutant__"], a.children, a.budget)
        status = results()
    names = sorted(status)
    if not names:
        print("mutmut generated no mutants: see mutants/run.log", file=sys.stderr)
        return 1
    rng = np.random.default_rng(a.seed)
    sample = sorted(rng.choice(names, size=min(a.sample, len(names)), replace=False).tolist())
    if a.recheck:
        forget({n for n in sample if status[n] in ("survived", "no tests")})
        status = results()
    todo = [n for n in sample if status[n] == "not checked"]
    finished = run_mutmut(todo, a.children, a.budget - (time.monotonic() - start)) if todo else True
    status = results()
    summary = summarise(sample, status, time.monotonic() - start, finished)
    summary["mutants_generated"] = len(names)
    a.out.mkdir(parents=True, exist_ok=True)
    (a.out / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    with open(a.out / "survivors.txt", "w", encoding="utf-8") as fh:
        for name in sample:
            if status.get(name) == "survived":
                diff = subprocess.run([*MUTMUT, "show", name], cwd=ROOT, capture_output=True, text=True)
                fh.write(f"## {name}\n{diff.stdout}\n")
    print(json.dumps({k: v for k, v in summary.items() if k != "statuses"}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
