import { z } from "zod";
import { ZId } from "../datasets/schemas.ts";

const ZDate = z.iso.datetime();

export const ZAuditQuery = z.object({
  subjectType: z.enum(["dataset", "job", "user", "token", "invitation"]).optional(),
  subjectId: ZId.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export const ZAuditEvent = z.object({
  id: z.string(),
  actor: z.object({ id: z.string(), email: z.string() }).nullable(),
  action: z.string(),
  subjectType: z.string(),
  subjectId: z.string(),
  detail: z.record(z.string(), z.unknown()).nullable(),
  createdAt: ZDate,
});
export const ZAuditList = z.object({ events: z.array(ZAuditEvent) });
