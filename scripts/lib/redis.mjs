import { chmodSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { livePid } from "./pid-file.mjs";
import { mustRun, run } from "./run.mjs";
import { tailOf } from "./system.mjs";
import { waitFor } from "./wait.mjs";

/**
 * The project's own Redis with its data (append-only file), pid file and log in `dir` (mode 700), on
 * 127.0.0.1:`port`, with a password (every client gets it in REDIS_URL). A server already running from this
 * directory (a previous start) is reused, and given the password if an older run started it without one.
 * @param {{ dir: string, port: number, password: string, fresh: boolean }} options
 *   fresh: empty it (the test run starts clean)
 * @returns {Promise<{ url: string, stop: () => Promise<void> }>}
 */
export async function ensureRedis({ dir, port, password, fresh }) {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const pidFile = join(dir, "redis.pid");
  const log = join(dir, "redis.log");
  // The password reaches redis-cli through its environment, never its command line (visible in ps).
  const cli = (/** @type {string[]} */ ...args) =>
    run("redis-cli", ["--no-auth-warning", "-h", "127.0.0.1", "-p", String(port), ...args], {
      capture: true,
      env: { ...process.env, REDISCLI_AUTH: password },
    });
  const answers = async () => (await cli("ping")).output.trim().endsWith("PONG");

  const running = livePid(pidFile, ["redis-server"]);
  if (running !== undefined) {
    if (!(await answers())) {
      throw new Error(`Redis from an earlier run (pid ${running}) is still serving ${dir}, but not on port ${port} with this
  run's password. Stop it first: kill ${running}`);
    }
    await cli("config", "set", "requirepass", password);
    console.log(`reusing Redis already running on port ${port} (pid ${running})`);
  } else {
    // The password comes on stdin as a config file, so it never shows in the process list; files 0600 whoever
    // starts it (the fault tests restart it too).
    // biome-ignore format: one option per line reads best
    await mustRun("redis-server", "sh", ["-c", 'umask 077; printf "requirepass %s\\n" "$REDIS_PASSWORD" | exec redis-server - "$@"', "redis-server",
      "--daemonize", "yes",
      "--bind", "127.0.0.1",
      "--port", String(port),
      "--dir", dir,
      "--appendonly", "yes",
      "--pidfile", pidFile,
      "--logfile", log,
    ], { capture: true, env: { ...process.env, REDIS_PASSWORD: password } });
    if (!(await waitFor(answers, 15_000))) throw new Error(`Redis did not answer on port ${port}:\n${tailOf(log)}`);
  }
  if (fresh && (await cli("flushall")).output.trim() !== "OK")
    throw new Error(`Redis on port ${port} refused FLUSHALL`);

  return {
    // The password is hex (see secret.mjs), so it needs no escaping in a URL.
    url: `redis://:${password}@127.0.0.1:${port}`,
    stop: async () => {
      // SHUTDOWN writes the append-only file before exiting, so the next start keeps the queue.
      await cli("shutdown");
    },
  };
}
