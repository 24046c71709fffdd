import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { prefixer, printLines } from "./lines.mjs";
import { recordedProcess, recordProcess } from "./pid-file.mjs";
import { killGroup } from "./run.mjs";
import { waitFor } from "./wait.mjs";

const STOP_GRACE_MS = 10_000;

/**
 * Pauses before a restart: 1 s, doubling up to 30 s while the process keeps dying; one that stayed up for a minute
 * starts from 1 s again. Like compose's `unless-stopped` it never gives up: a trainer that cannot start while
 * Redis is down must come back once Redis does.
 */
export const RESTART = { firstDelayMs: 1_000, maxDelayMs: 30_000, healthyAfterMs: 60_000 };

/**
 * @typedef {object} Supervised
 * @property {string} name
 * @property {number} pid  the current process (a restart starts a new one)
 * @property {() => boolean} running  true while it runs or is about to be restarted
 * @property {() => number} restarts  how many times it was restarted after dying
 * @property {Promise<{ code: number | null, signal: NodeJS.Signals | null }>} exited  once it ended for good
 * @property {() => Promise<void>} stop  TERM to its process group, KILL after a grace period; no more restarts
 */

/**
 * Ends the process `name` that a run killed without cleaning up left running (see `startProcess`), if any.
 * @param {string} runDir
 * @param {string} name
 */
export async function stopLeftover(runDir, name) {
  const leftover = recordedProcess(join(runDir, `${name}.pid`));
  if (leftover === undefined) return;
  console.log(`stopping ${name} left over from an earlier run (pid ${leftover})`);
  await stopGroup(leftover);
}

/**
 * Starts a long-running process in its own process group, prefixes its output with its name, says when it dies
 * and with what exit code, and records its pid under `runDir` so that a later run can end it (`stopLeftover`) if
 * this one is killed without cleaning up. With `restart`, a process that dies is started again after a back-off
 * (see RESTART), as a container's restart policy would.
 * @param {{ name: string, command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, runDir: string, width: number, restart?: boolean }} options
 * @returns {Promise<Supervised>}
 */
export async function startProcess({ name, command, args, cwd, env, runDir, width, restart = false }) {
  const pidFile = join(runDir, `${name}.pid`);
  const prefix = prefixer(name, width);
  let stopping = false;
  let alive = true;
  let restarts = 0;
  let delayMs = RESTART.firstDelayMs;
  /** @type {import("node:child_process").ChildProcess | undefined} */
  let child;
  /** @type {NodeJS.Timeout | undefined} */
  let pending;
  /** @type {(result: { code: number | null, signal: NodeJS.Signals | null }) => void} */
  let finish = () => {};
  const exited = new Promise((resolve) => {
    finish = (result) => {
      alive = false;
      resolve(result);
    };
  });

  const launch = () => {
    pending = undefined;
    const startedAt = Date.now();
    const current = spawn(command, args, { cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    child = current;
    for (const stream of [current.stdout, current.stderr]) printLines(stream, prefix);
    current.on("error", (error) => {
      console.error(prefix(`could not start: ${error.message}`));
      finish({ code: null, signal: null });
    });
    current.on("exit", (code, signal) => {
      rmSync(pidFile, { force: true });
      if (stopping) return finish({ code, signal });
      console.error(prefix(`exited ${signal ? `on ${signal}` : `with code ${code}`}`));
      if (!restart) return finish({ code, signal });
      if (Date.now() - startedAt >= RESTART.healthyAfterMs) delayMs = RESTART.firstDelayMs;
      console.error(prefix(`restarting in ${delayMs / 1000} s`));
      pending = setTimeout(() => {
        restarts += 1;
        launch();
      }, delayMs);
      delayMs = Math.min(delayMs * 2, RESTART.maxDelayMs);
    });
    if (current.pid !== undefined) recordProcess(pidFile, current.pid);
  };
  launch();

  return {
    name,
    get pid() {
      return /** @type {number} */ (child?.pid);
    },
    running: () => alive,
    restarts: () => restarts,
    exited,
    stop: async () => {
      if (!alive) return;
      stopping = true;
      if (pending) {
        clearTimeout(pending);
        finish({ code: null, signal: null });
      } else if (child?.pid !== undefined) {
        await stopGroup(child.pid);
      }
      await exited;
    },
  };
}

/**
 * TERM to every process in the group, KILL to what is left after the grace period.
 * @param {number} pgid
 */
async function stopGroup(pgid) {
  killGroup(pgid, "SIGTERM");
  if (!(await waitFor(async () => groupGone(pgid), STOP_GRACE_MS, 100))) {
    killGroup(pgid, "SIGKILL");
    await waitFor(async () => groupGone(pgid), STOP_GRACE_MS, 100);
  }
}

/** @param {number} pgid */
function groupGone(pgid) {
  try {
    process.kill(-pgid, 0);
    return false;
  } catch {
    return true;
  }
}
