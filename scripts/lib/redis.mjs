import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { livePid } from "./pid-file.mjs";
import { mustRun, run } from "./run.mjs";
import { tailOf } from "./system.mjs";
import { waitFor } from "./wait.mjs";

/**
 * The project's own Redis with its data (append-only file), pid file and log in `dir`, on 127.0.0.1:`port`.
 * A server already running from this directory (a previous start) is reused.
 * @param {{ dir: string, port: number, fresh: boolean }} options fresh: empty it (the test run starts clean)
 * @returns {Promise<{ url: string, stop: () => Promise<void> }>}
 */
export async function ensureRedis({ dir, port, fresh }) {
  mkdirSync(dir, { recursive: true });
  const pidFile = join(dir, "redis.pid");
  const log = join(dir, "redis.log");
  const cli = (/** @type {string[]} */ ...args) =>
    run("redis-cli", ["-h", "127.0.0.1", "-p", String(port), ...args], { capture: true });
  const answers = async () => (await cli("ping")).output.trim() === "PONG";

  const running = livePid(pidFile, ["redis-server"]);
  if (running !== undefined) {
    if (!(await answers())) {
      throw new Error(`Redis from an earlier run (pid ${running}) is still serving ${dir}, but not on port ${port}.
  Stop it first: kill ${running}`);
    }
    console.log(`reusing Redis already running on port ${port} (pid ${running})`);
  } else {
    // biome-ignore format: one option per line reads best
    await mustRun("redis-server", "redis-server", [
      "--daemonize", "yes",
      "--bind", "127.0.0.1",
      "--port", String(port),
      "--dir", dir,
      "--appendonly", "yes",
      "--pidfile", pidFile,
      "--logfile", log,
    ], { capture: true });
    if (!(await waitFor(answers, 15_000))) throw new Error(`Redis did not answer on port ${port}:\n${tailOf(log)}`);
  }
  if (fresh && (await cli("flushall")).output.trim() !== "OK")
    throw new Error(`Redis on port ${port} refused FLUSHALL`);

  return {
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      // SHUTDOWN writes the append-only file before exiting, so the next start keeps the queue.
      await cli("shutdown");
    },
  };
}
