import { spawn } from "node:child_process";
import { constants } from "node:os";
import { printLines } from "./lines.mjs";

/** Process groups started by `run` that are still running, so a Ctrl-C can end them (see shutdown.mjs). */
const running = new Set();

/**
 * Sends `signal` to a whole process group (npm → sh → node trees die together); a vanished group is fine.
 * @param {number} pid the group leader
 * @param {NodeJS.Signals} [signal]
 */
export function killGroup(pid, signal = "SIGTERM") {
  try {
    process.kill(-pid, signal);
  } catch (error) {
    if (/** @type {NodeJS.ErrnoException} */ (error).code !== "ESRCH") throw error;
  }
}

/**
 * Ends every command `run` started that has not finished yet.
 * @param {NodeJS.Signals} [signal]
 */
export function killRunning(signal = "SIGTERM") {
  for (const pid of running) killGroup(pid, signal);
}

/**
 * Runs one command to completion in a process group of its own (so a timeout or Ctrl-C ends its whole tree).
 * Output goes to the terminal, each line through `prefix` if given (when commands run side by side), and is kept
 * in `output` if `capture` is set (then not printed). Resolves with the exit code (never rejects on a non-zero one:
 * callers decide what a failure means); `timedOut` says the command was killed after `timeoutMs`.
 * @param {string} command
 * @param {string[]} args
 * @param {{ cwd?: string, env?: NodeJS.ProcessEnv, capture?: boolean, prefix?: (line: string) => string, timeoutMs?: number }} [options]
 * @returns {Promise<{ code: number, timedOut: boolean, output: string }>}
 */
export function run(command, args, { cwd, env, capture = false, prefix, timeoutMs } = {}) {
  return new Promise((resolve, reject) => {
    const piped = capture || prefix !== undefined;
    const child = spawn(command, args, {
      cwd,
      env: env ?? process.env,
      detached: true,
      stdio: ["ignore", piped ? "pipe" : "inherit", piped ? "pipe" : "inherit"],
    });
    if (prefix && !capture) {
      for (const stream of [child.stdout, child.stderr]) if (stream) printLines(stream, prefix);
    }
    let output = "";
    child.stdout?.on("data", (chunk) => {
      output += chunk;
    });
    child.stderr?.on("data", (chunk) => {
      output += chunk;
    });
    let timedOut = false;
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            killGroup(/** @type {number} */ (child.pid), "SIGKILL");
          }, timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`could not start ${command}: ${error.message}`));
    });
    if (child.pid !== undefined) running.add(child.pid);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      running.delete(/** @type {number} */ (child.pid));
      resolve({ code: code ?? 128 + (signal ? constants.signals[signal] : 0), timedOut, output });
    });
  });
}

/**
 * Like `run`, but a non-zero exit is an error that says which step failed; with `capture`, its output is in
 * the error message, because a step that fails quietly is useless to the person reading it.
 * @param {string} what a short description of the step, e.g. "npm ci"
 * @param {string} command
 * @param {string[]} args
 * @param {Parameters<typeof run>[2]} [options]
 */
export async function mustRun(what, command, args, options) {
  const result = await run(command, args, options);
  if (result.code !== 0) {
    const detail = options?.capture && result.output.trim() ? `\n${result.output.trim()}` : "";
    const why = result.timedOut ? "timed out" : `exited with code ${result.code}`;
    throw new Error(`${what} ${why}${detail}`);
  }
  return result;
}
