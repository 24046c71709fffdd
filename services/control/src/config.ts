import { QUEUE } from "@dpsynth/contracts";
import { z } from "zod";

const ZUrl = (protocols: string[]) =>
  z
    .string()
    .min(1)
    .refine((value) => protocols.some((protocol) => value.startsWith(`${protocol}://`)), {
      message: `must be a URL starting with ${protocols.map((p) => `${p}://`).join(" or ")}`,
    });

const ZMillis = z.coerce.number().int().positive();

/** Everything the control plane reads from its environment; validated once at start-up. */
export const ZControlConfig = z.object({
  DATABASE_URL: ZUrl(["postgresql", "postgres"]),
  REDIS_URL: ZUrl(["redis", "rediss"]),
  /** Port of the health endpoint; none is opened when unset. */
  CONTROL_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  /**
   * BullMQ key prefix; the web's producer and the trainers must use the same one. Tests give each file its
   * own so that suites running side by side never take each other's jobs.
   */
  DPSYNTH_QUEUE_PREFIX: z.string().min(1).default(QUEUE.prefix),
  /** How often recovery and cancellation sweep PostgreSQL against BullMQ. */
  CONTROL_SWEEP_INTERVAL_MS: ZMillis.default(5_000),
  /** Longest an XREAD waits before the consumer refreshes which job streams it reads. */
  CONTROL_EVENT_BLOCK_MS: ZMillis.default(1_000),
});

export type TControlConfig = z.infer<typeof ZControlConfig>;

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Parses the environment; the error names each bad variable and its rule, never its value. */
export function loadConfig(env: Record<string, string | undefined> = process.env): TControlConfig {
  const parsed = ZControlConfig.safeParse(env);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
  throw new ConfigError(`invalid control configuration: ${problems.join("; ")}`);
}

/**
 * Prisma's pg adapter takes the PostgreSQL schema separately; a `?schema=` in DATABASE_URL (as tests and
 * some deployments write it) selects it.
 */
export function databaseTarget(databaseUrl: string): { url: string; schema?: string } {
  const schema = new URL(databaseUrl).searchParams.get("schema") ?? undefined;
  return schema ? { url: databaseUrl, schema } : { url: databaseUrl };
}

/** BullMQ connection options from REDIS_URL, so that BullMQ opens (and blocks on) connections of its own. */
export function redisConnectionOptions(redisUrl: string) {
  const url = new URL(redisUrl);
  const db = url.pathname.replace("/", "");
  return {
    host: url.hostname,
    port: url.port ? Number(url.port) : 6379,
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(db ? { db: Number(db) } : {}),
    ...(url.protocol === "rediss:" ? { tls: {} } : {}),
    maxRetriesPerRequest: null,
  };
}
