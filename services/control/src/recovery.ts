import type { TrainQueues } from "@dpsynth/contracts";
import { IN_FLIGHT_JOB_STATUSES, type PrismaClient, settleUnsettledJobs, TERMINAL_JOB_STATUSES } from "@dpsynth/db";
import type { Queue } from "bullmq";
import { failureOutcome, lostOutcome } from "./failures.ts";
import { errorFields, type TLogger } from "./log.ts";
import { closeJob, type TOutcome } from "./settlement.ts";

/**
 * Makes PostgreSQL agree with BullMQ after anything control missed: its own restart (QueueEvents does not
 * replay what happened while nobody listened), a web crash between settling and writing a status, a job the web
 * ended without control. Runs at start-up and then periodically; every action is idempotent.
 */
export class Recovery {
  /** Open jobs whose queue entry was missing at the last sweep. */
  private missing = new Set<string>();

  constructor(
    private readonly deps: {
      prisma: PrismaClient;
      queues: TrainQueues<Queue>;
      drain: (jobId: string) => Promise<void>;
      log: TLogger;
    },
  ) {}

  async sweep(): Promise<void> {
    await this.reconcileOpenJobs();
    await this.releaseFinishedReservations();
  }

  /**
   * Open jobs against their queue entries, each on its device count's queue: failed for good → settle as failed;
   * completed → persist the stream (its result event ends the job); missing twice in a row → lost (or cancelled).
   * Missing once is not enough: the web writes the Job row a moment before it enqueues.
   */
  private async reconcileOpenJobs(): Promise<void> {
    const open = await this.deps.prisma.job.findMany({
      where: { status: { in: [...IN_FLIGHT_JOB_STATUSES] } },
      select: { id: true, spec: true },
    });
    const stillMissing = new Set<string>();
    for (const { id, spec } of open) {
      try {
        const queue = this.deps.queues.forSpec(spec);
        const state = await queue.getJobState(id);
        let decide: (() => Promise<TOutcome> | TOutcome) | null = null;
        if (state === "failed") {
          const reason = (await queue.getJob(id))?.failedReason ?? "";
          decide = () => failureOutcome(this.deps.prisma, id, reason);
        } else if (state === "completed") {
          decide = () => ({
            status: "FAILED",
            code: "internal",
            message: "The trainer finished this job without reporting its result. Submit it again.",
          });
        } else if (state === "unknown") {
          if (this.missing.has(id)) decide = () => this.decideLost(id);
          else stillMissing.add(id);
        }
        if (decide && (await closeJob(this.deps, id, decide))) {
          this.deps.log.info("recovery settled a job that had ended without control", { jobId: id, state });
        }
      } catch (error) {
        this.deps.log.error("recovery could not reconcile a job; will retry", { jobId: id, ...errorFields(error) });
      }
    }
    this.missing = stillMissing;
  }

  private async decideLost(jobId: string): Promise<TOutcome> {
    const job = await this.deps.prisma.job.findUniqueOrThrow({ where: { id: jobId } });
    return lostOutcome(job);
  }

  /**
   * Finished jobs (including ones the web ended: rejected, or cancelled before approval) whose reservation was
   * never settled: the ledger settles them.
   */
  private async releaseFinishedReservations(): Promise<void> {
    const settled = await settleUnsettledJobs(
      this.deps.prisma,
      TERMINAL_JOB_STATUSES,
      "settled: finished job found by recovery",
    );
    for (const jobId of settled) this.deps.log.info("recovery settled the reservation of a finished job", { jobId });
  }
}
