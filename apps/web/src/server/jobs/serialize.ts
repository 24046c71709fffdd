import "server-only";
import type { TJobSpec } from "@dpsynth/contracts";
import type { BlobStore } from "@dpsynth/datasets";
import type { Prisma } from "@dpsynth/db";
import { jobOutcome } from "./outcome.ts";
import type { TJob } from "./schemas.ts";

/** What a job answer reads from the database. */
export const JOB_INCLUDE = {
  dataset: {
    select: {
      id: true,
      name: true,
      createdAt: true,
      trainRows: true,
      holdoutRows: true,
      owner: { select: { email: true } },
    },
  },
  requester: { select: { id: true, email: true, name: true } },
  artifacts: { select: { name: true, bytes: true, sha256: true }, orderBy: { name: "asc" } },
  approval: { select: { decision: true, reason: true, adminId: true, createdAt: true } },
} as const;

type TJobRow = Prisma.JobGetPayload<{ include: typeof JOB_INCLUDE }>;

const iso = (date: Date | null) => (date ? date.toISOString() : null);

/** A blob URI as users may see it: its key in the store (`jobs/<id>/synthetic.csv`), never a server path. */
function publicUri<T>(uri: T, blobs: BlobStore): T | string {
  return typeof uri === "string" ? (blobs.keyOf(uri) ?? "(outside the blob store)") : uri;
}

/** The spec as sent to the trainer, with its blob URIs as keys: a file:// URI would show the server's paths. */
function publicSpec(spec: TJobSpec, blobs: BlobStore): TJobSpec {
  const { data, outputUri } = spec as Partial<TJobSpec>;
  return {
    ...spec,
    ...(data && {
      data: { ...data, trainUri: publicUri(data.trainUri, blobs), holdoutUri: publicUri(data.holdoutUri, blobs) },
    }),
    ...(outputUri !== undefined && { outputUri: publicUri(outputUri, blobs) }),
  };
}

/** A trainer event as the SSE route sends it: an artifact's URI becomes its key, as in the spec. */
export function publicEvent(type: string, payload: unknown, blobs: BlobStore): unknown {
  const uri = (payload as { uri?: unknown } | null)?.uri;
  if (type !== "artifact" || typeof uri !== "string") return payload;
  return { ...(payload as object), uri: publicUri(uri, blobs) };
}

/**
 * A job as the API answers it. `waitingForTrainer` is derived from the queue (see trainer-presence.ts): true
 * while the job needs a trainer and none has it, null when the queue could not be asked.
 */
export function jobWire(
  row: TJobRow,
  {
    blobs,
    waitingForTrainer,
    queuedAhead,
  }: { blobs: BlobStore; waitingForTrainer: boolean | null; queuedAhead: number | null },
): TJob {
  const rows =
    row.rowsRequested === null || row.rowsProduced === null
      ? null
      : { requested: row.rowsRequested, produced: row.rowsProduced };
  const warnings = row.warnings as string[];
  return {
    id: row.id,
    datasetId: row.datasetId,
    dataset: { ...row.dataset, createdAt: row.dataset.createdAt.toISOString() },
    requester: row.requester,
    status: row.status,
    outcome: jobOutcome({ status: row.status, rows, warnings }),
    rows,
    warnings,
    stage: row.stage,
    epsilon: row.epsilon,
    delta: row.delta,
    epsilonSpent: row.epsilonSpent,
    decisionNote: row.decisionNote,
    attempts: row.attempts,
    errorCode: row.errorCode,
    errorMessage: row.errorMessage,
    cancelRequested: row.cancelRequestedAt !== null,
    metrics: row.metrics as TJob["metrics"],
    waitingForTrainer,
    queuedAhead,
    spec: publicSpec(row.spec as TJobSpec, blobs),
    artifacts: row.artifacts.filter((artifact) => artifact.name !== "model") as TJob["artifacts"],
    approval: row.approval ? { ...row.approval, createdAt: row.approval.createdAt.toISOString() } : null,
    createdAt: row.createdAt.toISOString(),
    startedAt: iso(row.startedAt),
    finishedAt: iso(row.finishedAt),
  };
}
