"""One exception type for bad user input, so the CLI can turn it into one readable line.

Anything the user supplies (configs, CSVs, experiment specs) that is wrong raises
``InputError`` with the file, the key and what is allowed; the CLI prints it and exits
with code 2. Bugs keep raising their own exceptions and keep their tracebacks.
"""

from __future__ import annotations

from pathlib import Path


class InputError(ValueError):
    """Bad user input: names the source file, the key and what is allowed."""

    def __init__(self, message: str, *, source: str | Path | None = None, key: str | None = None):
        self.source = str(source) if source is not None else None
        self.key = key
        self.detail = message
        parts = [p for p in (self.source, key) if p]
        prefix = ": ".join(parts)
        super().__init__(f"{prefix}: {message}" if prefix else message)
