import "server-only";
import type { TServerContext } from "../context.ts";

/** The audit trail, newest first, optionally for one subject. */
export async function listAudit(
  { prisma }: TServerContext,
  query: { subjectType?: string; subjectId?: string; limit: number },
) {
  const rows = await prisma.auditEvent.findMany({
    where: { subjectType: query.subjectType, subjectId: query.subjectId },
    include: { actor: { select: { id: true, email: true } } },
    orderBy: { createdAt: "desc" },
    take: query.limit,
  });
  return {
    events: rows.map((row) => ({
      id: row.id,
      actor: row.actor,
      action: row.action,
      subjectType: row.subjectType,
      subjectId: row.subjectId,
      detail: row.detail as Record<string, unknown> | null,
      createdAt: row.createdAt.toISOString(),
    })),
  };
}
