import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { prefixer, printLines } from "./lines.mjs";
import { recordedProcess, recordProcess } from "./pid-file.mjs";
import { killGroup } from "./run.mjs";
import { waitFor } from "./wait.mjs";

const STOP_GRACE_MS = 10_000;

/**
 * @typedef {object} Supervised
 * @property {string} name
 * @property {number} pid
 * @property {() => boolean} running
 * @property {Promise<{ code: number | null, signal: NodeJS.Signals | null }>} exited
 * @property {() => Promise<void>} stop  TERM to its process group, KILL after a grace period
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
 * this one is killed without cleaning up.
 * @param {{ name: string, command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, runDir: string, width: number }} options
 * @returns {Promise<Supervised>}
 */
export async function startProcess({ name, command, args, cwd, env, runDir, width }) {
  const pidFile = join(runDir, `${name}.pid`);

  const child = spawn(command, args, { cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  const prefix = prefixer(name, width);
  for (const stream of [child.stdout, child.stderr]) {
    printLines(stream, prefix);
  }
  let stopping = false;
  let alive = true;
  const exited = new Promise((resolve) => {
    child.on("error", (error) => {
      alive = false;
      console.error(prefix(`could not start: ${error.message}`));
      resolve({ code: null, signal: null });
    });
    child.on("exit", (code, signal) => {
      alive = false;
      rmSync(pidFile, { force: true });
      if (!stopping) console.error(prefix(`exited ${signal ? `on ${signal}` : `with code ${code}`}`));
      resolve({ code, signal });
    });
  });
  const pid = /** @type {number} */ (child.pid);
  if (child.pid !== undefined) recordProcess(pidFile, pid);

  return {
    name,
    pid,
    running: () => alive,
    exited,
    stop: async () => {
      if (!alive) return;
      stopping = true;
      await stopGroup(pid);
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
