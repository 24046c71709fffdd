import "server-only";
import { createHash } from "node:crypto";
import { compare } from "bcryptjs";
import type { TServerContext } from "../context.ts";

/** Attempts per email and IP in one window; enough for typos, too few for guessing. */
export const LOGIN_ATTEMPTS = 10;
export const LOGIN_WINDOW_S = 15 * 60;
/** The error next-auth passes to the sign-in page when an address is locked out for a while. */
export const RATE_LIMITED = "rate_limited";

// Compared against when the email is unknown, so that a miss costs as long as a wrong password.
const DUMMY_HASH = "$2b$10$CwTycUXWue0Thq9StjUM0uJ8.1dxJzK9bFJ0gHR5L2Wq6R7eDp0pW";

export class LoginRateLimitedError extends Error {
  constructor() {
    super(RATE_LIMITED);
    this.name = "LoginRateLimitedError";
  }
}

function attemptsKey(email: string, ip: string): string {
  // Hashed: the key names neither the address nor the IP in Redis.
  return `dpsynth:login:${createHash("sha256").update(`${email}\u0000${ip}`).digest("hex")}`;
}

/**
 * Checks an email and password against the stored bcrypt hash. Every attempt counts against (email, IP) in
 * Redis; past LOGIN_ATTEMPTS in LOGIN_WINDOW_S it refuses without checking the password. Success resets it.
 */
export async function verifyLogin(
  { prisma, redis }: Pick<TServerContext, "prisma" | "redis">,
  { email, password, ip }: { email: string; password: string; ip: string },
) {
  const normalised = email.trim().toLowerCase();
  const key = attemptsKey(normalised, ip);
  const [[, attempts]] = (await redis.multi().incr(key).expire(key, LOGIN_WINDOW_S, "NX").exec()) as [[null, number]];
  if (attempts > LOGIN_ATTEMPTS) throw new LoginRateLimitedError();
  const user = await prisma.user.findUnique({ where: { email: normalised } });
  const ok = await compare(password, user?.passwordHash ?? DUMMY_HASH);
  if (!user?.passwordHash || !ok) return null;
  await redis.del(key);
  return { id: user.id, email: user.email, name: user.name, role: user.role };
}

/** The client's address as the proxy in front of Next reports it. */
export function clientIp(headers: Record<string, string | string[] | undefined> | undefined): string {
  const forwarded = headers?.["x-forwarded-for"];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(",")[0]?.trim();
  const real = headers?.["x-real-ip"];
  return first || (Array.isArray(real) ? real[0] : real) || "unknown";
}
