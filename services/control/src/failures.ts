import type { PrismaClient } from "@dpsynth/db";
import type { TOutcome } from "./settlement.ts";

/** BullMQ's reason when a job's worker died more often than `maxStalledCount` allows. */
const STALLED_TOO_OFTEN = "job stalled more than allowable limit";

const WORKER_LOST =
  "The trainer running this job stopped responding too many times (for example it ran out of memory or its " +
  "machine restarted). The job was stopped; the privacy budget spent by the steps it completed stays charged. " +
  "Try again with a smaller model, batch size or sequence length, or ask an admin to check the trainers.";

/**
 * The outcome of a job that BullMQ failed for good. The trainer's own last error event says best what went
 * wrong (its message is written for the owner); without one, BullMQ's reason is mapped to a message the
 * owner can act on, never passed through, since only the trainer knows what is safe to show.
 */
export async function failureOutcome(prisma: PrismaClient, jobId: string, failedReason: string): Promise<TOutcome> {
  const lastError = await prisma.jobEvent.findFirst({
    where: { jobId, type: "error" },
    orderBy: { seq: "desc" },
    select: { payload: true },
  });
  const payload = lastError?.payload as { code?: string; message?: string } | undefined;
  if (payload?.code === "cancelled") return { status: "CANCELLED" };
  if (payload?.code && payload.message) return { status: "FAILED", code: payload.code, message: payload.message };
  if (failedReason.includes(STALLED_TOO_OFTEN)) return { status: "FAILED", code: "worker_lost", message: WORKER_LOST };
  return {
    status: "FAILED",
    code: "internal",
    message: "The trainer failed without saying why. An admin can find the details in the trainer's log.",
  };
}

/** The outcome of an open job whose queue entry is gone. */
export function lostOutcome(job: { cancelRequestedAt: Date | null }): TOutcome {
  if (job.cancelRequestedAt) return { status: "CANCELLED" };
  return {
    status: "FAILED",
    code: "lost",
    message:
      "This job disappeared from the training queue (the queue's data was removed or reset). Nothing more " +
      "will run; the privacy budget spent so far stays charged and the rest is released. Submit it again.",
  };
}
