import { join } from "node:path";
import { ensurePostgres } from "./postgres.mjs";
import { ensureRedis } from "./redis.mjs";
import { readOrCreateSecret } from "./secret.mjs";

/** @typedef {import("./config.mjs").Config} Config */

/**
 * Where the project's own servers of a mode live: one home for their directories, ports and passwords, shared by
 * the bootstrap and the fault tests that stop and restart them.
 * @param {Pick<Config, "home" | "ports">} config
 * @param {{ fresh: boolean }} options fresh: start from empty data (the test run's first start)
 */
export function ownServerOptions(config, { fresh }) {
  return {
    postgres: {
      dir: join(config.home, "pg"),
      port: config.ports.pg,
      password: readOrCreateSecret(join(config.home, "pg-password"), 24),
      fresh,
    },
    redis: {
      dir: join(config.home, "redis"),
      port: config.ports.redis,
      // Kept like the NextAuth secret: generated once, mode 600.
      password: readOrCreateSecret(join(config.home, "redis-password"), 24),
      fresh,
    },
  };
}

/**
 * The running PostgreSQL and Redis of a stack the bootstrap started (its state directory and the URLs it gave its
 * apps), for tests that take them away and bring them back with their data: `stop()` shuts one down (Redis writes
 * its append-only file first), `start()` starts it again on the same data and port.
 * @param {{ home: string, databaseUrl: string, redisUrl: string }} stack
 */
export function ownServers({ home, databaseUrl, redisUrl }) {
  const ports = { pg: Number(new URL(databaseUrl).port), redis: Number(new URL(redisUrl).port) };
  const options = ownServerOptions({ home, ports }, { fresh: false });
  const control = (/** @type {() => Promise<{ stop: () => Promise<void> }>} */ ensure) => ({
    start: async () => {
      await ensure();
    },
    stop: async () => (await ensure()).stop(),
  });
  return {
    postgres: control(() => ensurePostgres(options.postgres)),
    redis: control(() => ensureRedis(options.redis)),
  };
}
