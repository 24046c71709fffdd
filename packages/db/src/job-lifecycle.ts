import type { Prisma } from "./generated/client.ts";
import { JobStatus } from "./generated/enums.ts";

/**
 * A job's lifecycle, in one place: its statuses, which status may follow which, and the one guarded write of a
 * status that the web (request, approval, cancel) and control (queue events, trainer events, settlement) use.
 *
 *   created ─▶ PENDING_APPROVAL ─approve─▶ QUEUED ─a trainer takes it─▶ RUNNING ─▶ SUCCEEDED | FAILED | CANCELLED
 *   created ─▶ QUEUED           PENDING_APPROVAL ─▶ REJECTED | CANCELLED;  QUEUED ─▶ SUCCEEDED | FAILED | CANCELLED
 *
 * A terminal status is never left and never rewritten, so two writers racing to end a job (the trainer's
 * last event, BullMQ's failure, a cancel) cannot overwrite each other: the first one wins, the others see `false`.
 * The browser imports this module too (`@dpsynth/db/job-lifecycle`), so it loads nothing but the enum at run time.
 */

/** Every status, in the order of prisma/schema.prisma's `JobStatus`. */
export const JOB_STATUSES = Object.values(JobStatus) as [JobStatus, ...JobStatus[]];

/** Statuses a job ends in. */
export const TERMINAL_JOB_STATUSES = [
  "SUCCEEDED",
  "FAILED",
  "CANCELLED",
  "REJECTED",
] as const satisfies readonly JobStatus[];

/**
 * Statuses of a job that is on the train queue or with a trainer: control follows these jobs (their events, their
 * queue entries, their cancel requests) and is what ends them.
 */
export const IN_FLIGHT_JOB_STATUSES = ["QUEUED", "RUNNING"] as const satisfies readonly JobStatus[];

/** The statuses a job is created in (the ledger's decision on the request picks one). */
export const INITIAL_JOB_STATUSES = ["PENDING_APPROVAL", "QUEUED"] as const satisfies readonly JobStatus[];

/**
 * For each status, the statuses a job may be in when it moves there. RUNNING follows RUNNING because every attempt
 * and stage records it again. SUCCEEDED may follow QUEUED: a result can be persisted before its job's first stage.
 */
export const JOB_TRANSITIONS = {
  PENDING_APPROVAL: [],
  QUEUED: ["PENDING_APPROVAL"],
  RUNNING: IN_FLIGHT_JOB_STATUSES,
  SUCCEEDED: IN_FLIGHT_JOB_STATUSES,
  FAILED: IN_FLIGHT_JOB_STATUSES,
  CANCELLED: ["PENDING_APPROVAL", ...IN_FLIGHT_JOB_STATUSES],
  REJECTED: ["PENDING_APPROVAL"],
} as const satisfies Record<JobStatus, readonly JobStatus[]>;

export type TTerminalJobStatus = (typeof TERMINAL_JOB_STATUSES)[number];
export type TInFlightJobStatus = (typeof IN_FLIGHT_JOB_STATUSES)[number];
export type TInitialJobStatus = (typeof INITIAL_JOB_STATUSES)[number];
/** The statuses a job may move to `To` from. */
export type TJobStatusBefore<To extends JobStatus> = (typeof JOB_TRANSITIONS)[To][number];

const includes = <T extends string>(set: readonly T[], status: string): status is T => set.includes(status as T);

export function isTerminalJobStatus(status: string): status is TTerminalJobStatus {
  return includes(TERMINAL_JOB_STATUSES, status);
}

export function isInFlightJobStatus(status: string): status is TInFlightJobStatus {
  return includes(IN_FLIGHT_JOB_STATUSES, status);
}

/** Whether a job in `from` may move to `to`. */
export function canTransition(from: JobStatus, to: JobStatus): boolean {
  return includes(JOB_TRANSITIONS[to], from);
}

/** The error code and message of a cancelled job, whoever asked (its owner or an admin) and whoever ended it. */
export const CANCELLED_ERROR = { code: "cancelled", message: "Cancelled at the owner's request." } as const;
/** The error code of a rejected job; its message is the admin's reason. */
const REJECTED_ERROR_CODE = "rejected";

/** What moving to a status always writes besides the status itself. */
function implied(to: JobStatus): Prisma.JobUpdateManyMutationInput {
  if (!isTerminalJobStatus(to)) return {};
  const finishedAt = new Date();
  if (to === "SUCCEEDED") return { finishedAt, stage: "done" };
  if (to === "CANCELLED") return { finishedAt, errorCode: CANCELLED_ERROR.code, errorMessage: CANCELLED_ERROR.message };
  if (to === "REJECTED") return { finishedAt, errorCode: REJECTED_ERROR_CODE };
  return { finishedAt };
}

/** A Prisma client or transaction: what can write a Job row. */
export type TJobWriter = Pick<Prisma.TransactionClient, "job">;

/**
 * Moves a job to `to` if, and only if, it is still in one of `from` (by default every status `to` may follow), in
 * one conditional write; says whether this call moved it. `data` adds the fields the caller knows (an error, the
 * metrics); `finishedAt`, and the cancel or reject error code, come with the status. Asking for a move the table
 * does not allow is a programming error and throws before anything is written.
 */
export async function transitionJob<To extends JobStatus>(
  db: TJobWriter,
  jobId: string,
  to: To,
  {
    from = JOB_TRANSITIONS[to] as readonly TJobStatusBefore<To>[],
    data = {},
  }: { from?: readonly TJobStatusBefore<To>[]; data?: Omit<Prisma.JobUpdateManyMutationInput, "status"> } = {},
): Promise<boolean> {
  const refused = from.filter((status) => !canTransition(status, to));
  if (from.length === 0 || refused.length > 0) {
    throw new Error(`A job cannot move to ${to} from ${refused.join(", ") || "nothing"}.`);
  }
  const { count } = await db.job.updateMany({
    where: { id: jobId, status: { in: [...from] } },
    data: { ...implied(to), ...data, status: to },
  });
  return count === 1;
}

/**
 * RUNNING (again): a trainer took the job, or reported a stage. The first time also records when it started.
 * Says whether the job was in flight (and so is RUNNING now).
 */
export async function markRunning(
  db: TJobWriter,
  jobId: string,
  { startedAt, data }: { startedAt: Date; data?: Omit<Prisma.JobUpdateManyMutationInput, "status"> },
): Promise<boolean> {
  if (!(await transitionJob(db, jobId, "RUNNING", { data }))) return false;
  await db.job.updateMany({ where: { id: jobId, status: "RUNNING", startedAt: null }, data: { startedAt } });
  return true;
}
