"""CLI commands that belong to no other package (run, bench)."""
