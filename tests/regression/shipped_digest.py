"""Content digests of the shipped configs' output tables (full scale, each config's own seed).

The committed ``shipped_digest.json`` pins every table the shipped configs produce, so any
change to the model's numbers shows up in review as a change to that file. A refactor must
leave it untouched; a deliberate change to the model regenerates it with
``make update-digest`` in its own commit, saying why.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DIGEST_FILE = Path(__file__).with_name("shipped_digest.json")


def compute() -> dict[str, dict[str, str]]:
    """Run each shipped config and digest its tables."""
    from sim.core.provenance import table_digest
    from sim.scenario import TABLES, load_config, run

    out = {}
    for path in sorted((ROOT / "configs").glob("*.toml")):
        tables = run(load_config(path))
        out[path.name] = {k: table_digest(tables[k]) for k in sorted(TABLES)}
    return out


if __name__ == "__main__":
    DIGEST_FILE.write_text(json.dumps(compute(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {DIGEST_FILE.relative_to(ROOT)}", file=sys.stderr)
