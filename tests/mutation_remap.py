"""Re-measure an earlier ``make mutate`` sample on changed code (issue 12).

Why: mutmut numbers mutants per function, so once the code changes (a merge, a refactor) the
earlier sample's names point at other changes, and ``--recheck`` cannot follow them. This
redraws the earlier sample exactly (same seed, from the earlier ``mutants/`` verdicts), matches
each sampled mutant to today's mutant that makes the same change to the same function (same
removed and added lines), runs ``mutmut`` on exactly those, and counts today's verdicts; a
sampled mutant without a match (its code was rewritten) is reported as "gone". Usage::

    python -m tests.mutation_remap --old ../other-worktree/mutants [--seed 12] [--sample 240]
"""

from __future__ import annotations

import argparse
import ast
import difflib
import json
from collections import Counter
from pathlib import Path

import numpy as np

from tests.mutation import KILLED, ROOT, results, run_mutmut

RENAMED = {"x_step": "x_separations", "x_check_policy": "x_clip_policy"}  # functions renamed since


def bodies(root: Path) -> dict[str, list[str]]:
    """Every mutant's (and original's) function body, stripped lines, by mutmut name."""
    out = {}
    for f in (root / "sim").rglob("*.py"):
        src = f.read_text(encoding="utf-8")
        mod = ".".join(f.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
        for node in ast.walk(ast.parse(src)):
            if isinstance(node, ast.FunctionDef) and "__mutmut_" in node.name:
                lines = (ast.get_source_segment(src, node) or "").splitlines()[1:]
                out[f"{mod}.{node.name}"] = [line.strip() for line in lines]
    return out


def change(body: dict[str, list[str]], name: str) -> tuple[list[str], list[str]]:
    """The lines a mutant removes and adds relative to its function's original."""
    orig = body[name.rsplit("__mutmut_", 1)[0] + "__mutmut_orig"]
    diff = list(difflib.unified_diff(orig, body[name], lineterm="", n=0))
    return (
        [d for d in diff if d[:1] == "-" and d[:3] != "---"],
        [d for d in diff if d[:1] == "+" and d[:3] != "+++"],
    )


def old_sample(old: Path, seed: int, size: int) -> dict[str, int | None]:
    """The earlier sample (as ``tests.mutation`` drew it) with each mutant's old exit code."""
    codes: dict[str, int | None] = {}
    for meta in old.rglob("*.py.meta"):
        codes.update(json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"])
    names = sorted(codes)
    drawn = np.random.default_rng(seed).choice(names, size=min(size, len(names)), replace=False)
    return {n: codes[n] for n in sorted(drawn.tolist())}


def match(sample: list[str], old: Path, new: Path) -> dict[str, list[str]]:
    """Today's mutants making the same change as each sampled one (empty: code rewritten)."""
    ob, nb = bodies(old), bodies(new)
    found = {}
    for name in sample:
        base = name.rsplit("__mutmut_", 1)[0]
        for was, now in RENAMED.items():
            base = base.replace(was, now)
        want = change(ob, name)
        twins = [k for k in nb if k.startswith(base + "__mutmut_") and not k.endswith("__mutmut_orig")]
        found[name] = [k for k in twins if change(nb, k) == want]
    return found


def main(argv: list[str] | None = None) -> int:
    """Redraw, match, run the matches, and write ``results/mutation/remap.json``."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--old", type=Path, required=True, help="the earlier run's mutants/ folder")
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--sample", type=int, default=240)
    ap.add_argument("--children", type=int, default=2)
    ap.add_argument("--budget", type=float, default=1800.0)
    a = ap.parse_args(argv)
    if not results():  # generate today's mutants first
        (ROOT / "mutants").mkdir(exist_ok=True)
        run_mutmut(["sim.__no_such_mutant__"], a.children, a.budget)
    sample = old_sample(a.old, a.seed, a.sample)
    twins = match(list(sample), a.old, ROOT / "mutants")
    run_mutmut(sorted({t for ts in twins.values() for t in ts}), a.children, a.budget)
    status = results()
    verdict = {}
    for name, old_code in sample.items():
        states = [status.get(t, "not checked") for t in twins[name]]
        if old_code == 33:  # mutmut's exit code for "no tests" in the earlier run
            verdict[name] = "no tests"
        elif not states:
            verdict[name] = "gone"
        else:
            verdict[name] = "killed" if any(s in KILLED for s in states) else states[0]
    counts = Counter(verdict.values())
    checked = counts["killed"] + counts["survived"]
    summary = {"counts": dict(counts), "score": counts["killed"] / checked if checked else None}
    out = ROOT / "results" / "mutation"
    out.mkdir(parents=True, exist_ok=True)
    (out / "remap.json").write_text(json.dumps({**summary, "verdicts": verdict}, indent=1), encoding="utf-8")
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
