#!/usr/bin/env bash
# One prepared GPU benchmark (see bench/trainer/gpu.py): DP versus non-private step time, tokens/s and peak memory
# for SmolLM2-135M and GPT-2 (124M, from its config) at sequence length 256 and logical batch 1024, ghost clipping
# versus hooks. It fits a 10-minute call on one H200: it stops starting configurations after its own budget
# and prints what it has. Run from the repository root:
#
#   bash bench/gpu.sh                 # writes bench/results/gpu.json|md (and copies them to $OUT when set)
#   bash bench/gpu.sh --smoke         # tiny, on the CPU too (DPSYNTH_BENCH_SMOKE=1 does the same); a temp dir
#
# Environment: services/trainer/.venv when present. Otherwise it makes one: uv pip-installed into a venv of its
# own, then `uv sync --frozen`. Where no package registry answers (GPU machines here reach none), it falls back
# to the machine's python3 (with torch) plus wheels carried in .whl/ for what that python lacks (opacus, pydantic,
# pydantic-settings, jsonschema and their pure-Python needs), with the trainer's sources on PYTHONPATH.
# DPSYNTH_BENCH_COMMIT names the commit where no .git travels with the tree.
set -euo pipefail
cd "$(dirname "$0")/.."
STARTED=$(date +%s)
TOTAL_BUDGET_S=${DPSYNTH_BENCH_TOTAL_S:-480}   # measuring stops here; the call's 10 minutes leave room to write
SMOKE=${DPSYNTH_BENCH_SMOKE:-0}
for arg in "$@"; do [[ $arg == --smoke ]] && SMOKE=1; done
if [[ $SMOKE == 1 ]]; then OUT_DIR=$(mktemp -d); else OUT_DIR=bench/results; fi
OUT_DIR=${DPSYNTH_BENCH_OUT_DIR:-$OUT_DIR}   # npm run bench passes its own
export UV_PYTHON_DOWNLOADS=never PYTHONUNBUFFERED=1

command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true

PY=services/trainer/.venv/bin/python
if [[ ! -x $PY ]]; then
  echo "no services/trainer/.venv: creating it with uv…"
  UV_VENV=$(mktemp -d)/uv
  if python3 -m venv "$UV_VENV" \
    && "$UV_VENV/bin/pip" install --quiet --timeout 10 --retries 0 uv \
    && (cd services/trainer && "$UV_VENV/bin/uv" sync --frozen --quiet); then
    echo "services/trainer/.venv created"
  else
    echo "no package registry answered: using this machine's python3 and the wheels in .whl/"
    PY=python3
    SITE=$(mktemp -d)/site
    if compgen -G ".whl/*.whl" >/dev/null; then
      python3 -m pip install --quiet --no-index --no-deps --no-compile --target "$SITE" .whl/*.whl
    fi
    export PYTHONPATH="$SITE:$PWD/services/trainer/src${PYTHONPATH:+:$PYTHONPATH}"
    if ! "$PY" -c "import opacus, peft, pydantic, pydantic_settings, jsonschema, transformers, torch"; then
      echo "gpu.sh: python3 lacks the trainer's packages above; carry their wheels in .whl/ (see the device README)" >&2
      exit 1
    fi
  fi
fi

ELAPSED=$(( $(date +%s) - STARTED ))
BUDGET=$(( TOTAL_BUDGET_S - ELAPSED ))
SIZE=()
[[ $SMOKE == 1 ]] && SIZE=(--smoke)
DPSYNTH_DEVICE=${DPSYNTH_DEVICE:-auto} "$PY" -m bench.trainer.gpu "${SIZE[@]}" --out-dir "$OUT_DIR" \
  --command "bash bench/gpu.sh ${SIZE[*]}" --budget-s "$BUDGET"
if [[ -n ${OUT:-} && -d ${OUT:-} ]]; then cp "$OUT_DIR"/gpu.json "$OUT_DIR"/gpu.md "$OUT"/; fi
echo "gpu.sh: $(( $(date +%s) - STARTED ))s in all; results in $OUT_DIR"
