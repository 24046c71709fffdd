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

/** "1 device", "2 devices". */
const devicesText = (count: number) => `${count} device${count === 1 ? "" : "s"}`;

/**
 * The one capacity rule: whether the trainers online now can run `model` on `devices` devices (`training.devices`),
 * and if not, why, in the owner's words. A job goes on its device count's queue (`queueFor`), which only trainers
 * of that count read (their heartbeat's `devicesPerJob`), so only those count. None of them online is a warning,
 * as no trainer at all is: pools of trainers scale on their own queue's depth (infra/helm, `trainerPools`), so a
 * pool at zero starts one for the job that waits. The quote, the model picker and `GET /trainers` take it from here.
 */
export function capacityFor(model: string, online: readonly TTrainerHeartbeat[], devices = 1): TCapacity {
  if (online.length === 0) {
    return {
      verdict: "warn",
      reason: "no-trainer",
      message: "no trainer is online. The job would wait in the queue until one connects.",
      trainers: 0,
    };
  }
  const trainers = online.filter((trainer) => trainer.devicesPerJob === devices);
  if (trainers.length === 0) {
    const counts = [...new Set(online.map((trainer) => trainer.devicesPerJob))].sort((a, b) => a - b);
    const others = online.length === 1 ? "the one online trains" : `the ${online.length} online train`;
    return {
      verdict: "warn",
      reason: "needs-devices",
      message: `no trainer online trains a job on ${devicesText(devices)} (${others} each job on ${counts
        .map(devicesText)
        .join(" or ")}). The job would wait in the queue until one that does connects.`,
      trainers: 0,
    };
  }
  // Where trainers of other device counts are online too, the sentences below count only this count's.
  const where =
    trainers.length < online.length
      ? ` online that train${trainers.length === 1 ? "s" : ""} on ${devicesText(devices)}`
      : " online";
  const needs = needsOf(model);
  const able = trainers.filter((trainer) => canRun(trainer, model, needs)).length;
  if (able > 0) return { verdict: "ok", reason: null, message: null, trainers: able };
  const one = trainers.length === 1;
  if (needs.gpu && !trainers.some((trainer) => trainer.device.kind === "gpu")) {
    return {
      verdict: "blocked",
      reason: "needs-gpu",
      message: `${model} needs a GPU, and ${one ? `the one trainer${where} has none` : `none of the ${trainers.length} trainers${where} has one`}.`,
      trainers: 0,
    };
  }
  const withGpu = needs.gpu ? " with a GPU" : "";
  return {
    verdict: "blocked",
    reason: "needs-hub",
    message: `${model} must be downloaded from the Hugging Face hub, and ${
      one
        ? `the one trainer${where} can neither reach it nor has the model locally`
        : `none of the ${trainers.length} trainers${where}${withGpu} can reach it or has the model locally`
    }.`,
    trainers: 0,
  };
}
