"""Benchmarks of the trainer, run from the repository root as `python -m bench.trainer.<name>`."""
