"""dpsynth benchmarks (see scripts/bench.mjs)."""
