import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/**
 * The pid in the first line of a server's pid file, when that process is alive and is the named program;
 * otherwise undefined (a stale file left by a crash, or a pid since reused by something else).
 * @param {string} file
 * @param {string[]} programs accepted values of /proc/<pid>/comm
 */
export function livePid(file, programs) {
  if (!existsSync(file)) return undefined;
  const pid = Number.parseInt(readFileSync(file, "utf8").split("\n")[0] ?? "", 10);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    const comm = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
    return programs.includes(comm) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * When the process started, in clock ticks since boot (/proc/<pid>/stat field 22): with the pid it names one process,
 * because pids are reused.
 * @param {number} pid
 */
function startTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

/**
 * Records a process this run started, so a later run can end it if this one was killed without cleaning up.
 * @param {string} file
 * @param {number} pid
 */
export function recordProcess(file, pid) {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${pid} ${startTicks(pid)}\n`);
}

/**
 * The pid recorded in `file` if that very process is still running.
 * @param {string} file
 */
export function recordedProcess(file) {
  if (!existsSync(file)) return undefined;
  const [pid, ticks] = readFileSync(file, "utf8").trim().split(" ");
  const number = Number(pid);
  return Number.isInteger(number) && number > 0 && ticks !== undefined && startTicks(number) === ticks
    ? number
    : undefined;
}
