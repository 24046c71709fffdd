import { createHash, randomBytes } from "node:crypto";
import type { PrismaClient } from "./generated/client.ts";

const TOKEN_PREFIX = "dps_";

/** What is stored of a token: its sha256, never the token. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/**
 * Creates an API token for a user and returns it once, in the clear; only its sha256 and a short prefix
 * (to recognise it in a list) are stored. Used by the web API and by the seed.
 */
export async function createApiToken(prisma: PrismaClient, { userId, name }: { userId: string; name: string }) {
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
  const row = await prisma.apiToken.create({
    data: { userId, name, tokenHash: hashToken(token), prefix: token.slice(0, TOKEN_PREFIX.length + 6) },
  });
  return { id: row.id, name: row.name, prefix: row.prefix, createdAt: row.createdAt, token };
}
