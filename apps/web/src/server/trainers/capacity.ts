import { MODEL_CATALOG, type TTrainerHeartbeat } from "@dpsynth/contracts";
import type { TCapacity } from "./schemas.ts";

type TNeeds = { gpu: boolean /** Obtained from the hub unless a trainer has it locally. */; hub: boolean };

/**
 * What a model needs of a trainer: catalog models say (a GPU for `runsOn: gpu`; the hub for `source: hub`); a
 * local directory needs neither as far as the web can tell (the trainer checks it); any other id is a hub id.
 */
function needsOf(model: string): TNeeds {
  const entry = MODEL_CATALOG.find((candidate) => candidate.key === model);
  if (entry) return { gpu: entry.runsOn === "gpu", hub: entry.source === "hub" };
  return { gpu: false, hub: !model.startsWith("/") };
}

function canRun(trainer: TTrainerHeartbeat, model: string, needs: TNeeds): boolean {
  if (needs.gpu && trainer.device.kind !== "gpu") return false;
  return !needs.hub || trainer.hubReachable || trainer.localModels.includes(model);
}

/**
 * The one capacity rule: whether the trainers online now can run `model`, and if not, why, in the owner's words.
 * The quote, the model picker and `GET /trainers` all take it from here.
 */
export function capacityFor(model: string, trainers: readonly TTrainerHeartbeat[]): TCapacity {
  if (trainers.length === 0) {
    return {
      verdict: "warn",
      reason: "no-trainer",
      message: "no trainer is online. The job would wait in the queue until one connects.",
      trainers: 0,
    };
  }
  const needs = needsOf(model);
  const able = trainers.filter((trainer) => canRun(trainer, model, needs)).length;
  if (able > 0) return { verdict: "ok", reason: null, message: null, trainers: able };
  const one = trainers.length === 1;
  if (needs.gpu && !trainers.some((trainer) => trainer.device.kind === "gpu")) {
    return {
      verdict: "blocked",
      reason: "needs-gpu",
      message: `${model} needs a GPU, and ${one ? "the one trainer online has none" : `none of the ${trainers.length} trainers online has one`}.`,
      trainers: 0,
    };
  }
  const withGpu = needs.gpu ? " with a GPU" : "";
  return {
    verdict: "blocked",
    reason: "needs-hub",
    message: `${model} must be downloaded from the Hugging Face hub, and ${
      one
        ? "the one trainer online can neither reach it nor has the model locally"
        : `none of the ${trainers.length} trainers online${withGpu} can reach it or has the model locally`
    }.`,
    trainers: 0,
  };
}
