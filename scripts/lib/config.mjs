import { isAbsolute, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { z } from "zod";

/** Ports of each mode, so `npm test` runs beside a running `npm start`. */
export const DEFAULT_PORTS = {
  start: { web: 3000, pg: 55432, redis: 56379 },
  test: { web: 3100, pg: 55433, redis: 56380 },
};

/** The test OpenID provider's port (`npm test` only; `npm start` signs in with whatever OIDC_ISSUER names). */
export const DEFAULT_TEST_OIDC_PORT = 3300;

const port = z.coerce
  .number({ error: "must be a whole number from 1 to 65535" })
  .int({ error: "must be a whole number from 1 to 65535" })
  .min(1, { error: "must be a whole number from 1 to 65535" })
  .max(65535, { error: "must be a whole number from 1 to 65535" });

/** @param {string[]} protocols @param {string} rule */
const urlWith = (protocols, rule) =>
  z.string().refine((value) => URL.canParse(value) && protocols.includes(new URL(value).protocol), { error: rule });

/**
 * What the bootstrap reads from the environment. Each process validates its own variables again at start-up;
 * these are the ones the bootstrap itself acts on. Messages name the rule, never the value.
 */
export const ZBootstrapEnv = z.object({
  DPSYNTH_HOME: z.string().optional(),
  DPSYNTH_MODEL_CACHE: z.string().optional(),
  DPSYNTH_WEB_PORT: port.optional(),
  DPSYNTH_PG_PORT: port.optional(),
  DPSYNTH_REDIS_PORT: port.optional(),
  DPSYNTH_S3_PORT: port.optional(),
  DPSYNTH_OIDC_PORT: port.optional(),
  DPSYNTH_WEB_HOST: z
    .string()
    .regex(/^[A-Za-z0-9.:-]+$/, { error: "must be a host name or an IP address, e.g. 127.0.0.1 or 0.0.0.0" })
    .optional(),
  DATABASE_URL: urlWith(["postgres:", "postgresql:"], "must be a postgresql:// URL").optional(),
  REDIS_URL: urlWith(["redis:", "rediss:"], "must be a redis:// or rediss:// URL").optional(),
  BLOB_STORE_URL: z
    .string()
    .refine((value) => /^file:\/\/\/./.test(value) || /^s3:\/\/[^/]+/.test(value), {
      error: "must be file:///<absolute dir> or s3://<bucket>/<prefix>",
    })
    .optional(),
  NEXTAUTH_URL: urlWith(["http:", "https:"], "must be an http:// or https:// URL").optional(),
  NEXTAUTH_SECRET: z.string().min(32, { error: "must be at least 32 characters" }).optional(),
  DPSYNTH_DEVICE: z.enum(["auto", "cpu", "cuda"], { error: "must be one of auto, cpu, cuda" }).optional(),
});

/**
 * Where the test stack keeps its blobs when BLOB_STORE_URL does not say: in its own S3 server (SeaweedFS, see
 * seaweedfs.mjs), so every test runs against S3 as a deployment with object storage would. Its S3 port is
 * DPSYNTH_S3_PORT (default 8333); it also takes the three ports above that one.
 */
export const OWN_S3 = { bucket: "dpsynth-test", prefix: "blobs", defaultPort: 8333 };

/** @typedef {"start" | "test"} Mode */

/**
 * @typedef {object} Config
 * @property {Mode} mode
 * @property {string} root   the shared state directory (DPSYNTH_HOME): tools, stamps, models, secret
 * @property {string} home   this mode's state: the start mode's is `root`, the test mode's `root/test`
 * @property {{ web: number, pg: number, redis: number, oidc?: number }} ports  `oidc`: the test OpenID provider's, test mode only
 * @property {string} webHost  the address the web app listens on: loopback unless DPSYNTH_WEB_HOST opens it up
 * @property {string | undefined} databaseUrl  an existing server to use instead of starting one
 * @property {string | undefined} redisUrl     likewise
 * @property {string} blobStoreUrl
 * @property {number | undefined} s3Port  the port of the test stack's own S3 server; undefined: none is started
 * @property {string} nextauthUrl
 * @property {string | undefined} nextauthSecret  given in the environment; otherwise one is generated
 * @property {string} modelCache
 * @property {"auto" | "cpu" | "cuda"} device
 */

export class ConfigError extends Error {
  /** @param {string[]} problems */
  constructor(problems) {
    super(`invalid configuration:\n${problems.map((problem) => `  ${problem}`).join("\n")}`);
    this.problems = problems;
  }
}

/**
 * Validates the environment and fills in each mode's defaults. Empty variables count as unset (as in .env files).
 * @param {Mode} mode
 * @param {Record<string, string | undefined>} env
 * @param {string} repoRoot
 * @returns {Config}
 */
export function resolveConfig(mode, env, repoRoot) {
  const given = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ""));
  const parsed = ZBootstrapEnv.safeParse(given);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`));
  }
  const vars = parsed.data;
  const inRepo = (/** @type {string} */ path) => (isAbsolute(path) ? path : resolve(repoRoot, path));
  const root = inRepo(vars.DPSYNTH_HOME ?? ".dpsynth");
  const home = mode === "test" ? join(root, "test") : root;
  const ports = {
    web: vars.DPSYNTH_WEB_PORT ?? DEFAULT_PORTS[mode].web,
    pg: vars.DPSYNTH_PG_PORT ?? DEFAULT_PORTS[mode].pg,
    redis: vars.DPSYNTH_REDIS_PORT ?? DEFAULT_PORTS[mode].redis,
    ...(mode === "test" ? { oidc: vars.DPSYNTH_OIDC_PORT ?? DEFAULT_TEST_OIDC_PORT } : {}),
  };
  // `npm start` keeps file:// by default; the test stack runs on its own S3 server unless told otherwise.
  const ownS3 = mode === "test" && vars.BLOB_STORE_URL === undefined;
  return {
    mode,
    root,
    home,
    ports,
    webHost: vars.DPSYNTH_WEB_HOST ?? "127.0.0.1",
    databaseUrl: vars.DATABASE_URL,
    redisUrl: vars.REDIS_URL,
    blobStoreUrl: ownS3
      ? `s3://${OWN_S3.bucket}/${OWN_S3.prefix}`
      : (vars.BLOB_STORE_URL ?? pathToFileURL(join(home, "blobs")).href),
    s3Port: ownS3 ? (vars.DPSYNTH_S3_PORT ?? OWN_S3.defaultPort) : undefined,
    nextauthUrl: vars.NEXTAUTH_URL ?? `http://localhost:${ports.web}`,
    nextauthSecret: vars.NEXTAUTH_SECRET,
    // Shared by both modes: converting a model takes minutes, and tests reuse what `npm start` converted.
    modelCache: inRepo(vars.DPSYNTH_MODEL_CACHE ?? join(root, "models")),
    device: vars.DPSYNTH_DEVICE ?? "cpu",
  };
}
