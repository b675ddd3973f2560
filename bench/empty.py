"""Benchmark: the fixed start-up cost of `forkscope record` (this script does nothing)."""
