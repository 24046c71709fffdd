import "server-only";
import { settleJob, transitionJob } from "@dpsynth/db";
import { audit } from "../audit/audit.ts";
import type { TCaller } from "../auth/authenticate.ts";
import type { TServerContext } from "../context.ts";
import { findDataset } from "../datasets/queries.ts";
import { datasetWire } from "../datasets/serialize.ts";
import { AppError } from "../http/errors.ts";
import { enqueueOrFail } from "../jobs/create-job.ts";
import { findJob, getJob, jobWires } from "../jobs/queries.ts";
import type { TJob } from "../jobs/schemas.ts";
import { JOB_INCLUDE } from "../jobs/serialize.ts";
import type { TDecision } from "./schemas.ts";

/** Jobs waiting for an admin, oldest first, each with its dataset and budget. */
export async function listApprovals(ctx: TServerContext, caller: TCaller) {
  const jobs = await ctx.prisma.job.findMany({
    where: { status: "PENDING_APPROVAL" },
    include: JOB_INCLUDE,
    orderBy: { createdAt: "asc" },
  });
  const wires = await jobWires(ctx, jobs);
  const approvals = await Promise.all(
    jobs.map(async (job, i) => ({
      job: wires[i] as TJob,
      dataset: await datasetWire(ctx.prisma, await findDataset(ctx, caller, job.datasetId)),
    })),
  );
  return { approvals };
}

/**
 * Approves (the job is queued; its reservation was made at request time) or rejects (REJECTED, the
 * reservation released) a pending job, recording who decided and why.
 */
export async function decide(
  ctx: TServerContext,
  admin: TCaller,
  jobId: string,
  { decision, reason }: TDecision,
): Promise<TJob> {
  const job = await findJob(ctx, admin, jobId);
  const approve = decision === "approve";
  const decided = await ctx.prisma.$transaction(async (tx) => {
    const moved = approve
      ? await transitionJob(tx, jobId, "QUEUED")
      : await transitionJob(tx, jobId, "REJECTED", { data: { errorMessage: reason } });
    if (!moved) return false;
    await tx.approval.create({
      data: { jobId, adminId: admin.id, decision: approve ? "APPROVED" : "REJECTED", reason },
    });
    await audit(tx, {
      actorId: admin.id,
      action: approve ? "job.approve" : "job.reject",
      subjectType: "job",
      subjectId: jobId,
      detail: { datasetId: job.datasetId, epsilon: job.epsilon, reason },
    });
    return true;
  });
  if (!decided) throw new AppError("conflict", `The job is not waiting for approval (it is ${job.status}).`);
  if (approve) await enqueueOrFail(ctx, job);
  else await settleJob(ctx.prisma, jobId, "settled: rejected");
  return getJob(ctx, admin, jobId);
}
