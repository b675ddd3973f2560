"""Ends before doing anything, with exit code 4."""
raise SystemExit(4)
