"""Command line: ``python -m sim <command> ...``.

Each command lives in its own module exposing ``add_arguments(parser)`` and
``main(args) -> int``; they are imported only when used, so ``python -m sim run`` does not
pay for plotting or Dask. Bad input (``InputError``) prints one line and exits with 2.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import NoReturn

from sim.core.errors import InputError

COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("sim.cli.run", "run one scenario config and write its tables"),
    "bench": ("sim.cli.bench", "time the full-scale baseline against a do-nothing Mesa loop"),
    "evaluate": ("sim.cli.evaluate", "judge a CSV of real schools against a national standard"),
    "experiment": ("sim.cli.experiment", "run an experiment spec (scenarios, sweeps, sensitivity)"),
    "report": ("sim.cli.report", "write report.html and figures for a run or experiment directory"),
    "compare": ("sim.cli.compare", "put two or more runs side by side"),
    "validate": ("sim.cli.validate", "back-test a run against held-out published figures"),
    "app": ("sim.cli.app", "serve the interactive workshop app on 127.0.0.1"),
    "metrics": ("sim.cli.metrics", "list the county metrics with their units and names"),
}


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one ``error:`` line and exit code 2, like bad input."""

    def error(self, message: str) -> NoReturn:
        """Bad arguments are bad input: one line and exit code 2, like every other input error."""
        self.exit(2, f"error: {self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with one sub-parser per available command."""
    parser = OneLineParser(
        prog="python -m sim",
        description="Qingyuan basic-education agent-based model (清远市基础教育仿真).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                continue  # command not built yet
            raise
        p = sub.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(p)
        p.set_defaults(_module=module)
    return parser


# Commands whose process has nothing left to clean up when they return (their files are
# closed, no workers or browsers remain): `python -m sim` ends it with os._exit, skipping the
# interpreter's teardown, which frees every figure, table and module object one at a time
# (0.25 s of a 5 s report, measured). Not under coverage, which saves its data at exit.
QUICK_EXIT = frozenset({"report"})


def finish(code: int, argv: list[str]) -> NoReturn:
    """End ``python -m sim`` with ``code``: at once for a ``QUICK_EXIT`` command, else by the
    normal interpreter shutdown."""
    measured = "coverage" in sys.modules or os.environ.get("COVERAGE_PROCESS_START")
    if argv[:1] and argv[0] in QUICK_EXIT and not measured:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    raise SystemExit(code)


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args._module.main(args) or 0)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
