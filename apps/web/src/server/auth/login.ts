import "server-only";
import { createHash } from "node:crypto";
import { compare } from "bcryptjs";
import type { TServerContext } from "../context.ts";
import { isUnavailable, withDeadline } from "../http/unavailable.ts";

/** Attempts per email and IP in one window; enough for typos, too few for guessing. */
export const LOGIN_ATTEMPTS = 10;
export const LOGIN_WINDOW_S = 15 * 60;
/** The error next-auth passes to the sign-in page when an address is locked out for a while. */
export const RATE_LIMITED = "rate_limited";
/** The error next-auth passes to the sign-in page when Redis or PostgreSQL is down: nothing could be checked. */
export const SIGN_IN_UNAVAILABLE = "unavailable";

// Compared against when the email is unknown, so that a miss costs as long as a wrong password.
const DUMMY_HASH = "$2b$10$CwTycUXWue0Thq9StjUM0uJ8.1dxJzK9bFJ0gHR5L2Wq6R7eDp0pW";

export class LoginRateLimitedError extends Error {
  constructor() {
    super(RATE_LIMITED);
    this.name = "LoginRateLimitedError";
  }
}

export class LoginUnavailableError extends Error {
  constructor() {
    super(SIGN_IN_UNAVAILABLE);
    this.name = "LoginUnavailableError";
  }
}

function attemptsKey(email: string, ip: string): string {
  // Hashed: the key names neither the address nor the IP in Redis.
  return `dpsynth:login:${createHash("sha256").update(`${email}\u0000${ip}`).digest("hex")}`;
}

/**
 * Checks an email and password against the stored bcrypt hash. Every attempt counts against (email, IP) in
 * Redis; past LOGIN_ATTEMPTS in LOGIN_WINDOW_S it refuses without checking the password. Success resets it.
 * With Redis or PostgreSQL down it refuses within the dependency deadline (LoginUnavailableError): an attempt
 * that cannot be counted is not checked.
 */
export async function verifyLogin(
  { prisma, redis }: Pick<TServerContext, "prisma" | "redis">,
  { email, password, ip }: { email: string; password: string; ip: string },
) {
  const normalised = email.trim().toLowerCase();
  const key = attemptsKey(normalised, ip);
  try {
    const counted = redis.multi().incr(key).expire(key, LOGIN_WINDOW_S, "NX").exec();
    const [[, attempts]] = (await withDeadline("Sign-in", counted)) as [[null, number]];
    if (attempts > LOGIN_ATTEMPTS) throw new LoginRateLimitedError();
    const user = await prisma.user.findUnique({ where: { email: normalised } });
    const ok = await compare(password, user?.passwordHash ?? DUMMY_HASH);
    if (!user?.passwordHash || !ok) return null;
    await withDeadline("Sign-in", redis.del(key));
    return { id: user.id, email: user.email, name: user.name, role: user.role };
  } catch (error) {
    if (isUnavailable(error)) throw new LoginUnavailableError();
    throw error;
  }
}

/** What stands for the client when its address cannot be trusted: attempts then count per account. */
export const UNTRUSTED_CLIENT = "untrusted";

/**
 * The client's address for the rate limit. X-Forwarded-For is believed only as far as `trustedProxies` proxies
 * wrote it: each appends the address it received from, so the entry that many places from the right is the one
 * the outermost trusted proxy saw. Without a trusted proxy the header is the client's own word (Next keeps one a
 * client sends), so every attempt counts against the account alone, whatever the client claims.
 */
export function clientIp(
  headers: Record<string, string | string[] | undefined> | undefined,
  trustedProxies: number,
): string {
  if (trustedProxies < 1) return UNTRUSTED_CLIENT;
  const raw = headers?.["x-forwarded-for"];
  const hops = (Array.isArray(raw) ? raw.join(",") : (raw ?? ""))
    .split(",")
    .map((hop) => hop.trim())
    .filter(Boolean);
  return hops.length >= trustedProxies ? (hops.at(-trustedProxies) as string) : UNTRUSTED_CLIENT;
}
