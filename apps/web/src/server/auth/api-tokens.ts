import "server-only";
import type { PrismaClient } from "@dpsynth/db";
import { hashToken } from "@dpsynth/db/api-tokens";

export { createApiToken, hashToken } from "@dpsynth/db/api-tokens";

/**
 * How fresh a token's "last used" is kept. Writing it on every request made each API call a write (a script
 * polling a job wrote the token row several times a second); a minute is all the settings page can show anyway.
 */
export const LAST_USED_RESOLUTION_MS = 60_000;

/** The user of a live token, or null for an unknown or revoked one. */
export async function userOfToken(prisma: PrismaClient, token: string, now = new Date()) {
  const row = await prisma.apiToken.findUnique({ where: { tokenHash: hashToken(token) }, include: { user: true } });
  if (!row || row.revokedAt) return null;
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) {
    await prisma.apiToken.update({ where: { id: row.id }, data: { lastUsedAt: now } });
  }
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
