import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { QUEUE } from "@dpsynth/contracts";
import { z } from "zod";

/** The repository root: the nearest directory above the working directory with `prisma/schema.prisma`. */
function repoRoot(from = process.cwd()): string {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, "prisma", "schema.prisma"))) return dir;
    if (dirname(dir) === dir) return resolve(from);
  }
}

const ZNumberFromEnv = (fallback: number) => z.coerce.number().positive().default(fallback);

const ZWebConfig = z.object({
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, "must be a postgresql:// URL"),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, "must be a redis:// URL"),
  DPSYNTH_HOME: z.string().min(1).optional(),
  BLOB_STORE_URL: z
    .string()
    .regex(/^(file|s3):\/\//, "must be a file:/// or s3:// URL")
    .optional(),
  /** BullMQ key prefix: the control plane and the trainers read the same variable, so one setting moves all three. */
  DPSYNTH_QUEUE_PREFIX: z.string().min(1).default(QUEUE.prefix),
  NEXTAUTH_SECRET: z.string().min(16, "must be at least 16 characters"),
  NEXTAUTH_URL: z.string().url("must be a URL").optional(),
  DPSYNTH_UPLOAD_LIMIT_MB: ZNumberFromEnv(50),
  DPSYNTH_DEFAULT_EPSILON_BUDGET: ZNumberFromEnv(10),
  DPSYNTH_DEFAULT_DELTA_BUDGET: z.coerce.number().positive().lt(1).default(1e-5),
  /**
   * Reverse proxies in front of the web app that append the client's address to X-Forwarded-For. Without one (0)
   * that header is whatever the client sent, so the sign-in rate limit ignores it.
   */
  DPSYNTH_TRUSTED_PROXIES: z.coerce
    .number()
    .int("must be a whole number from 0 to 10")
    .min(0, "must be a whole number from 0 to 10")
    .max(10, "must be a whole number from 0 to 10")
    .default(0),
  OIDC_ISSUER: z.string().url("must be a URL").optional(),
  OIDC_CLIENT_ID: z.string().min(1).optional(),
  OIDC_CLIENT_SECRET: z.string().min(1).optional(),
});

export interface TWebConfig {
  databaseUrl: string;
  redisUrl: string;
  queuePrefix: string;
  home: string;
  blobStoreUrl: string;
  nextAuthSecret: string;
  /** The origin users reach the app at (from NEXTAUTH_URL): state-changing browser requests must come from it. */
  publicOrigin: string | null;
  /** How many proxies' X-Forwarded-For entries to believe (see DPSYNTH_TRUSTED_PROXIES). */
  trustedProxies: number;
  uploadLimitBytes: number;
  defaultBudget: { epsilon: number; delta: number };
  oidc: { issuer: string; clientId: string; clientSecret: string } | null;
}

/**
 * The web process's one configuration object, validated at start-up. An error names the variable and the
 * rule it broke, never the value (which may be a secret).
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): TWebConfig {
  const blanksRemoved = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ""));
  const parsed = ZWebConfig.safeParse(blanksRemoved);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new Error(`Invalid web configuration: ${problems.join("; ")}`);
  }
  const e = parsed.data;
  const home = resolve(e.DPSYNTH_HOME ?? join(repoRoot(), ".dpsynth"));
  const oidcParts = [e.OIDC_ISSUER, e.OIDC_CLIENT_ID, e.OIDC_CLIENT_SECRET];
  return {
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    queuePrefix: e.DPSYNTH_QUEUE_PREFIX,
    home,
    blobStoreUrl: e.BLOB_STORE_URL ?? `file://${join(home, "blobs")}`,
    nextAuthSecret: e.NEXTAUTH_SECRET,
    publicOrigin: e.NEXTAUTH_URL ? new URL(e.NEXTAUTH_URL).origin : null,
    trustedProxies: e.DPSYNTH_TRUSTED_PROXIES,
    uploadLimitBytes: Math.round(e.DPSYNTH_UPLOAD_LIMIT_MB * 1024 * 1024),
    defaultBudget: { epsilon: e.DPSYNTH_DEFAULT_EPSILON_BUDGET, delta: e.DPSYNTH_DEFAULT_DELTA_BUDGET },
    oidc: oidcParts.every(Boolean)
      ? {
          issuer: e.OIDC_ISSUER as string,
          clientId: e.OIDC_CLIENT_ID as string,
          clientSecret: e.OIDC_CLIENT_SECRET as string,
        }
      : null,
  };
}
