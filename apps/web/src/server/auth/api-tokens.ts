import "server-only";
import type { PrismaClient } from "@dpsynth/db";
import { hashToken } from "@dpsynth/db/api-tokens";

export { createApiToken, hashToken } from "@dpsynth/db/api-tokens";

/** The user of a live token, or null for an unknown or revoked one. */
export async function userOfToken(prisma: PrismaClient, token: string) {
  const row = await prisma.apiToken.findUnique({ where: { tokenHash: hashToken(token) }, include: { user: true } });
  if (!row || row.revokedAt) return null;
  await prisma.apiToken.update({ where: { id: row.id }, data: { lastUsedAt: new Date() } });
  return row.user;
}

/** Revokes one of the user's own tokens; another user's token id is not found. */
export async function revokeApiToken(
  prisma: PrismaClient,
  { userId, id }: { userId: string; id: string },
): Promise<boolean> {
  const { count } = await prisma.apiToken.updateMany({
    where: { id, userId, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  return count === 1;
}
