import "server-only";
import { randomUUID } from "node:crypto";
import { createJobWithReservation, settleJob, transitionJob } from "@dpsynth/db";
import { audit } from "../audit/audit.ts";
import type { TCaller } from "../auth/authenticate.ts";
import type { TServerContext } from "../context.ts";
import { findDataset } from "../datasets/queries.ts";
import { AppError } from "../http/errors.ts";
import { enqueueTraining } from "../queue.ts";
import { buildSpec, SPEC_DATASET_SELECT } from "./build-spec.ts";
import { getJob } from "./queries.ts";
import type { TCreateJob, TJob } from "./schemas.ts";

/**
 * Puts a job that has its reservation on the train queue. If Redis refuses, the job ends FAILED and its
 * reservation goes back: a job must never hold budget while nothing will run it.
 */
export async function enqueueOrFail(ctx: TServerContext, job: { id: string; spec: unknown }): Promise<void> {
  try {
    await enqueueTraining(ctx.queues, job.spec as Parameters<typeof enqueueTraining>[1]);
  } catch {
    // An add that timed out on a live but slow Redis may still land: the removal queued behind it on the same
    // connection takes it off again, so no trainer runs a job whose reservation is gone.
    ctx.queues
      .forSpec(job.spec)
      .remove(job.id)
      .catch(() => undefined);
    await settleJob(ctx.prisma, job.id, "settled: could not be queued");
    await transitionJob(ctx.prisma, job.id, "FAILED", {
      data: { errorCode: "queue_unavailable", errorMessage: "The job queue was unavailable." },
    });
    throw new AppError(
      "unavailable",
      "The job queue is unavailable right now; nothing was charged. Try again shortly.",
    );
  }
}

/**
 * Requests a job: the ledger decides, inside its lock, whether it runs at once or waits for an admin (the caller's
 * allowance counts every job they hold on the dataset), and reserves its (epsilon, delta) together with the Job
 * row; a request that does not fit the remaining budget is refused (409 with the numbers).
 */
export async function createJob(ctx: TServerContext, caller: TCaller, request: TCreateJob): Promise<TJob> {
  const dataset = await findDataset(ctx, caller, request.datasetId, SPEC_DATASET_SELECT);
  const jobId = randomUUID();
  const spec = buildSpec(request, { dataset, jobId, blobs: ctx.blobs });
  const { job } = await createJobWithReservation(ctx.prisma, {
    datasetId: dataset.id,
    requester: caller,
    epsilon: spec.privacy.epsilon as number,
    delta: spec.privacy.delta,
    job: { id: jobId, spec, epsilon: request.epsilon, delta: spec.privacy.delta },
  });
  const status = job.status;
  await audit(ctx.prisma, {
    actorId: caller.id,
    action: "job.request",
    subjectType: "job",
    subjectId: job.id,
    detail: {
      datasetId: dataset.id,
      model: request.model,
      epsilon: request.epsilon,
      delta: spec.privacy.delta,
      status,
    },
  });
  if (status === "QUEUED") await enqueueOrFail(ctx, job);
  return getJob(ctx, caller, job.id);
}
