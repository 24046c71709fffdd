import "server-only";
import type { Prisma, PrismaClient } from "@dpsynth/db";

/** What the trail records; the UI may filter on these names. */
export type TAuditAction =
  | "dataset.upload"
  | "dataset.budget"
  | "job.request"
  | "job.approve"
  | "job.reject"
  | "job.cancel"
  | "artifact.download"
  | "user.update"
  | "token.create";

export interface TAuditEntry {
  actorId: string | null;
  action: TAuditAction;
  subjectType: "dataset" | "job" | "user" | "token";
  subjectId: string;
  /** Ids and numbers only: never a record's content. */
  detail?: Prisma.InputJsonObject;
}

/** Appends one entry to the audit trail (inside the caller's transaction when given one). */
export async function audit(db: PrismaClient | Prisma.TransactionClient, entry: TAuditEntry): Promise<void> {
  await db.auditEvent.create({ data: { ...entry, detail: entry.detail ?? undefined } });
}
