import "server-only";
import { createHash, randomBytes } from "node:crypto";
import type { PrismaClient } from "@dpsynth/db";

const TOKEN_PREFIX = "dps_";

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** A new random token; only its sha256 and a short prefix (to recognise it in a list) are stored. */
export function newToken(): { token: string; tokenHash: string; prefix: string } {
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
  return { token, tokenHash: hashToken(token), prefix: token.slice(0, TOKEN_PREFIX.length + 6) };
}

/** Creates an API token for a user and returns it once, in the clear. */
export async function createApiToken(prisma: PrismaClient, { userId, name }: { userId: string; name: string }) {
  const { token, tokenHash, prefix } = newToken();
  const row = await prisma.apiToken.create({ data: { userId, name, tokenHash, prefix } });
  return { id: row.id, name: row.name, prefix: row.prefix, createdAt: row.createdAt, token };
}

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
