#!/usr/bin/env bash
# Downloads into .whl/ the wheels that bench/gpu.sh needs on a GPU machine that reaches no package registry:
# the trainer's packages its image lacks (it has torch, transformers, peft, numpy, scikit-learn), for its
# Python 3.12. Run here, then carry .whl/ with the device call (`carry: [".whl"]`); it is gitignored.
#
#   bash bench/gpu-wheels.sh && du -sh .whl   # well under the 64 MiB a device call may carry
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf .whl && mkdir .whl
# Versions as locked in services/trainer/uv.lock, so the GPU run measures the code the tests ran.
locked() { awk -v name="$1" '$0 == "name = \"" name "\"" { getline; gsub(/version = |"/, ""); print; exit }' services/trainer/uv.lock; }
packages=(opacus pydantic pydantic-core pydantic-settings python-dotenv typing-inspection annotated-types
  jsonschema jsonschema-specifications referencing rpds-py)
specs=()
for package in "${packages[@]}"; do specs+=("$package==$(locked "$package")"); done
python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 \
  --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux_2_28_x86_64 \
  --dest .whl "${specs[@]}"
ls .whl
