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

On several GPUs of one machine, for a spec whose `training.devices` is 2 (one process per GPU, NCCL; Opacus'
distributed DP-SGD, so the run spends exactly the epsilon of the same spec on one device)::

    CUDA_VISIBLE_DEVICES=0,1 DPSYNTH_DEVICE=cuda uv run torchrun --standalone --nproc-per-node 2 \\
        -m dpsynth_trainer train --spec spec.json --data train.csv --out runs/job_1
    # the whole job (train on both, then sample and evaluate on rank 0): `run --spec spec.json --out DIR`; resume
    # either with the same command plus --resume. On the CPU (gloo), as the tests do: DPSYNTH_DEVICE=cpu.

`--nproc-per-node` must equal `training.devices`. Rank 0 alone writes events, checkpoints, the model and the
artifacts; the other processes write nothing.

From the queue: a worker told its device count takes the jobs of that count off their own queue (`train` for 1,
`train-<N>gpu` for N, the contract's `queueFor`) and runs each of several devices under `torchrun` itself, with
`run --worker-dir` (events to the job's Redis stream, failures handed back to the worker: `torchrun_job.py`)::

    CUDA_VISIBLE_DEVICES=0,1 TRAINER_DEVICES=2 DPSYNTH_DEVICE=cuda REDIS_URL=... BLOB_STORE_URL=... \\
        uv run python -m dpsynth_trainer worker
    # each job it takes: torchrun --standalone --nproc-per-node 2 -m dpsynth_trainer run --spec ... --worker-dir ...

The run writes `<out>/events.jsonl` (contract trainer events), `<out>/checkpoints/`, `<out>/model/` (the LoRA
adapter or the full model, with its tokenizer) and `<out>/training-summary.json`. Touch `<out>/CANCEL` (or
set the job's Redis cancel key, `contract.cancel_key`, when REDIS_URL is set) to stop after the current step.
"""

import os

from .cli import main

# Checkpoints, synthetic rows and reports are private: files 0600 and directories 0700 whoever starts the trainer.
os.umask(0o077)
raise SystemExit(main())
