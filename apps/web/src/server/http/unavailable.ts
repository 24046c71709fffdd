import { AppError } from "./errors.ts";

/** How long a request waits on Redis or a queue call before it answers 503, well inside a browser's patience. */
export const DEPENDENCY_DEADLINE_MS = 1_500;

/** Socket-level failures of a server that is down, restarting or unreachable. */
const SOCKET_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EHOSTUNREACH"]);
/** Prisma's codes for a database it cannot reach, lost, timed out on, or has no free connection for. */
const PRISMA_CODES = new Set(["P1001", "P1002", "P1008", "P1017", "P2024", "P2037"]);
/** PostgreSQL SQLSTATEs of a connection failure (class 08) or a server shutting down or starting (57P0x). */
const PG_STATES = /^(08|57P0[1-4])/;
/** ioredis' own errors: commands refused while disconnected, timed out, or given up on after retries. */
const REDIS_MESSAGES =
  /Connection is closed|Stream isn't writeable|enableOfflineQueue|Command timed out|Reached the max retries|connect ETIMEDOUT/;
/** What the driver adapter says when the pool lost or could not open a connection. */
const DRIVER_KINDS = new Set(["DatabaseNotReachable", "ConnectionClosed", "SocketTimeout", "TooManyConnections"]);

function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let current = error; current && chain.length < 8; current = (current as { cause?: unknown }).cause) {
    chain.push(current);
    // Prisma keeps the driver's error in meta.driverAdapterError rather than in cause.
    const meta = (current as { meta?: { driverAdapterError?: unknown } }).meta;
    if (meta?.driverAdapterError) chain.push(meta.driverAdapterError);
  }
  return chain;
}

/**
 * Whether an error means PostgreSQL or Redis is unavailable (down, restarting, unreachable, out of connections)
 * rather than a fault of the request or of our code: those are answered 503 `unavailable`, so the client knows
 * to try again, instead of 500.
 */
export function isUnavailable(error: unknown): boolean {
  if (error instanceof DeadlineError) return true;
  return causes(error).some((item) => {
    if (!item || typeof item !== "object") return false;
    const { code, name, message, kind } = item as { code?: unknown; name?: unknown; message?: unknown; kind?: unknown };
    if (typeof code === "string" && (SOCKET_CODES.has(code) || PRISMA_CODES.has(code) || PG_STATES.test(code))) {
      return true;
    }
    if (typeof kind === "string" && DRIVER_KINDS.has(kind)) return true;
    if (name === "PrismaClientInitializationError" || name === "MaxRetriesPerRequestError") return true;
    if (typeof message === "string" && (REDIS_MESSAGES.test(message) || /Connection terminated/.test(message))) {
      return true;
    }
    return false;
  });
}

/** A dependency did not answer in time. */
export class DeadlineError extends Error {
  constructor(readonly what: string) {
    super(`${what} did not answer in time`);
    this.name = "DeadlineError";
  }
}

/**
 * `work`, or a DeadlineError after `ms`: Redis and BullMQ calls wait for a reconnect forever otherwise. The work
 * itself is not cancelled; callers only start work that is safe to finish late or never (see create-job.ts).
 */
export async function withDeadline<T>(what: string, work: Promise<T>, ms = DEPENDENCY_DEADLINE_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(what)), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Which dependency an unavailable error is about, for the message. */
function dependencyOf(error: unknown): string {
  const database = causes(error).some((item) => {
    const { name, code } = (item ?? {}) as { name?: unknown; code?: unknown };
    return (
      (typeof name === "string" && /^(Prisma|DriverAdapter)/.test(name)) ||
      (typeof code === "string" && (PRISMA_CODES.has(code) || PG_STATES.test(code)))
    );
  });
  return database ? "The database" : "The job queue (Redis)";
}

type TRedisLike = {
  status: string;
  on(event: "ready" | "error", listener: () => void): unknown;
  once(event: "ready", listener: () => void): unknown;
  off(event: "ready", listener: () => void): unknown;
};

/** Connections whose last attempt to reach Redis failed: a request does not wait for them, Redis is down. */
const unreachable = new WeakSet<object>();

/** Follows a connection's state for redisReady (the web's clients all get this, see context.ts). */
export function trackReachability(redis: TRedisLike): void {
  redis.on("error", () => unreachable.add(redis));
  redis.on("ready", () => unreachable.delete(redis));
}

/**
 * Resolves once `redis` is connected, or throws DeadlineError: the web's connections keep no offline queue (a
 * command sent while Redis is away fails at once instead of running late), so a command must wait for a
 * connection that is still being made, but not for ever, and not at all for one that has found Redis down.
 */
export async function redisReady(redis: TRedisLike, what = "The job queue (Redis)"): Promise<void> {
  if (redis.status === "ready") return;
  if (unreachable.has(redis)) throw new DeadlineError(what);
  let onReady: () => void = () => {};
  try {
    await withDeadline(
      what,
      new Promise<void>((resolve) => {
        onReady = resolve;
        redis.once("ready", onReady);
      }),
    );
  } finally {
    redis.off("ready", onReady);
  }
}

/** The one answer for a dependency that is down: 503 with a message that says to retry. */
export function unavailable(error: unknown): AppError {
  const what = error instanceof DeadlineError ? error.what : dependencyOf(error);
  return new AppError("unavailable", `${what} is unavailable right now. Try again shortly.`);
}
