import "server-only";
import { estimateJob } from "@dpsynth/contracts";
import { quoteRequest } from "@dpsynth/db";
import type { TCaller } from "../auth/authenticate.ts";
import type { TServerContext } from "../context.ts";
import { findDataset } from "../datasets/queries.ts";
import { isUnavailable } from "../http/unavailable.ts";
import { capacityFor } from "../trainers/capacity.ts";
import { onlineTrainers } from "../trainers/registry.ts";
import { buildSpec, SPEC_DATASET_SELECT } from "./build-spec.ts";
import { specRowWork } from "./row-work.ts";
import type { TCreateJob, TQuote } from "./schemas.ts";

/**
 * The quote for the new-job form: the request is checked exactly as `POST /jobs` checks it (the spec is built and
 * validated, the ledger's one decision is taken), with no side effects. It also says whether the trainers online
 * can run the model (advisory: a quote still answers while Redis is away) and how long the job should take.
 */
export async function quoteJob(ctx: TServerContext, caller: TCaller, request: TCreateJob): Promise<TQuote> {
  const dataset = await findDataset(ctx, caller, request.datasetId, SPEC_DATASET_SELECT);
  const spec = buildSpec(request, { dataset, jobId: "quote", blobs: ctx.blobs });
  const requested = { epsilon: request.epsilon, delta: spec.privacy.delta };
  const { labelCounts, labelSet } = spec.privacy;
  const shares = [labelCounts, labelSet].filter((share) => share !== null);
  const training = {
    epsilon: request.epsilon - shares.reduce((sum, share) => sum + share.epsilon, 0),
    delta: requested.delta - shares.reduce((sum, share) => sum + share.delta, 0),
  };
  const { outcome, message, budget, allowance, held } = await quoteRequest(ctx.prisma, dataset.id, caller, requested);
  const split = { training, labelCounts, labelSet };
  const capacity = await onlineTrainers(ctx).then(
    (trainers) => capacityFor(spec.model.id, trainers, spec.training.devices),
    (error: unknown) => {
      if (isUnavailable(error)) return null;
      throw error;
    },
  );
  const rowWork = specRowWork(spec, dataset.columns as { name: string; meanLength?: number | null }[]);
  const estimate = estimateJob(spec.model.id, {
    trainRows: dataset.trainRows,
    epochs: spec.training.epochs,
    syntheticRows: spec.sampling.rows,
    baselineRows: Math.min(spec.evaluation.baselineRows, spec.sampling.rows),
    maxSeqLen: spec.training.maxSeqLen,
    row: rowWork,
  });
  return {
    outcome,
    message,
    requested,
    split,
    remaining: budget.remaining,
    allowance,
    held,
    budget,
    capacity,
    estimate,
    rowWork,
  };
}
