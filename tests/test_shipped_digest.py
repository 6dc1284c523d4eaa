"""The shipped configs' outputs match the committed digest (see tests/regression/shipped_digest.py)."""

import json

from tests.regression.shipped_digest import DIGEST_FILE, compute


def test_shipped_configs_reproduce_the_committed_digest():
    expected = json.loads(DIGEST_FILE.read_text(encoding="utf-8"))
    actual = compute()
    assert sorted(actual) == sorted(expected), "a shipped config was added or removed: run make update-digest"
    changed = {
        f"{config}/{table}"
        for config, tables in expected.items()
        for table, digest in tables.items()
        if actual[config].get(table) != digest
    }
    assert not changed, f"outputs changed for {sorted(changed)}; if deliberate, run make update-digest"
