import "server-only";
import { JOB_KEY_TTL_S, jobRedisKeys } from "@dpsynth/contracts";
import { isTerminalJobStatus, settleJob, transitionJob } from "@dpsynth/db";
import { audit } from "../audit/audit.ts";
import type { TCaller } from "../auth/authenticate.ts";
import type { TServerContext } from "../context.ts";
import { AppError } from "../http/errors.ts";
import { isUnavailable, withDeadline } from "../http/unavailable.ts";
import { removeFromQueue } from "../queue.ts";
import { findJob, getJob } from "./queries.ts";
import type { TJob } from "./schemas.ts";

const RELEASE_NOTE = "settled: cancelled before it ran";

/**
 * Cancels a job. Waiting for approval or still on the queue: it ends now, with nothing charged. Running:
 * the Redis flag tells its trainer to stop after the current step; control then charges the steps taken,
 * releases the rest and ends it CANCELLED.
 */
export async function cancelJob(ctx: TServerContext, caller: TCaller, id: string): Promise<TJob> {
  const job = await findJob(ctx, caller, id);
  if (isTerminalJobStatus(job.status)) {
    throw new AppError("conflict", `The job has already ended (${job.status}).`);
  }
  await ctx.prisma.job.update({ where: { id }, data: { cancelRequestedAt: job.cancelRequestedAt ?? new Date() } });
  await audit(ctx.prisma, {
    actorId: caller.id,
    action: "job.cancel",
    subjectType: "job",
    subjectId: id,
    detail: { status: job.status },
  });
  // Ended only from the status this call saw: a job an admin approved meanwhile is on the queue, handled below.
  if (job.status === "PENDING_APPROVAL" && (await transitionJob(ctx.prisma, id, "CANCELLED", { from: [job.status] }))) {
    // Status first: an admin approving at the same moment must not find its reservation gone.
    await settleJob(ctx.prisma, id, RELEASE_NOTE);
    return getJob(ctx, caller, id);
  }
  try {
    if (job.status !== "RUNNING" && (await removeFromQueue(ctx.queues.forSpec(job.spec), id))) {
      // Off the queue, nothing can start it any more: reservation first, then status, so a crash in between
      // leaves an open job for control's sweep rather than a finished one holding budget.
      await settleJob(ctx.prisma, id, RELEASE_NOTE);
      await transitionJob(ctx.prisma, id, "CANCELLED", { from: ["QUEUED"] });
    } else {
      const flag = jobRedisKeys(id).cancel;
      await withDeadline("The job queue (Redis)", ctx.redis.set(flag, "1", "EX", JOB_KEY_TTL_S.cancelFlag));
    }
  } catch (error) {
    if (!isUnavailable(error)) throw error;
    // cancelRequestedAt is in PostgreSQL: control's sweep raises the flag or ends the job once Redis is back.
    throw new AppError(
      "unavailable",
      "The job queue is unavailable right now. The cancel request is recorded: the job stops once the queue is back.",
    );
  }
  return getJob(ctx, caller, id);
}
