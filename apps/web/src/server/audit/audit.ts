import "server-only";
import type { CHARGE_REFUSED_ACTION, Prisma, PrismaClient } from "@dpsynth/db";

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
  | "user.password_change"
  | "invitation.create"
  | "invitation.accept"
  | "invitation.revoke"
  | "token.create"
  | "token.revoke"
  /** Written by the ledger itself (packages/db), with no actor: a trainer reported more than a job reserved. */
  | typeof CHARGE_REFUSED_ACTION;

export interface TAuditEntry {
  actorId: string | null;
  action: TAuditAction;
  subjectType: "dataset" | "job" | "user" | "token" | "invitation";
  subjectId: string;
  /** Ids and numbers only: never a record's content. */
  detail?: Prisma.InputJsonObject;
}

/** Appends one entry to the audit trail (inside the caller's transaction when given one). */
export async function audit(db: PrismaClient | Prisma.TransactionClient, entry: TAuditEntry): Promise<void> {
  await db.auditEvent.create({ data: { ...entry, detail: entry.detail ?? undefined } });
}
