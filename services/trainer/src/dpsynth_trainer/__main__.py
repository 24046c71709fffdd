"""dpsynth trainer: DP fine-tuning from the command line.

On the CPU (tests, demos; the tiny models and SmolLM2-135M are available offline)::

    cd services/trainer
    DPSYNTH_DEVICE=cpu uv run python -m dpsynth_trainer train \\
        --spec spec.json --data train.csv --out runs/job_1
    # after a crash or a cancel: same command plus --resume (continues the same run and accountant)
    uv run python -m dpsynth_trainer train --spec spec.json --data train.csv --out runs/job_1 --resume

On one GPU (QLoRA needs CUDA)::

    CUDA_VISIBLE_DEVICES=0 DPSYNTH_DEVICE=cuda uv run python -m dpsynth_trainer train \\
        --spec spec.json --data train.csv --out runs/job_1

A job runs on one device: scale out with one trainer per GPU on the queue (`python -m dpsynth_trainer worker`).

The run writes `<out>/events.jsonl` (contract trainer events), `<out>/checkpoints/`, `<out>/model/` (the LoRA
adapter or the full model, with its tokenizer) and `<out>/training-summary.json`. Touch `<out>/CANCEL` (or
set the job's Redis cancel key, `contract.cancel_key`, when REDIS_URL is set) to stop after the current step.
"""

import os

from .cli import main

# Checkpoints, synthetic rows and reports are private: files 0600 and directories 0700 whoever starts the trainer.
os.umask(0o077)
raise SystemExit(main())
