import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Whether an executable named `name` is on PATH.
 * @param {string} name
 */
export function onPath(name) {
  return (process.env.PATH ?? "").split(":").some((dir) => {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Debian installs each PostgreSQL major under /usr/lib/postgresql/<ver>/bin; the newest wins. */
export function postgresBinDir() {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((version) => existsSync(join(root, version, "bin", "postgres")))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], "bin");
}

export const CHROMIUM = "/usr/bin/chromium";

export const isRoot = () => process.getuid?.() === 0;

/** Whether `python3 -m venv` can make a venv with pip (Debian splits ensurepip into python3-venv). */
export function pythonCanMakeVenvs() {
  return spawnSync("python3", ["-c", "import ensurepip, venv"], { stdio: "ignore" }).status === 0;
}

/**
 * A local account's uid and gid, from /etc/passwd.
 * @param {string} name
 */
export function systemUser(name) {
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((entry) => entry.startsWith(`${name}:`));
  const [, , uid, gid] = line?.split(":") ?? [];
  if (uid === undefined || gid === undefined) throw new Error(`there is no "${name}" user on this machine`);
  return { uid: Number(uid), gid: Number(gid) };
}

/**
 * The last lines of a log file, for error messages about a server that would not start.
 * @param {string} file
 */
export function tailOf(file, lines = 20) {
  if (!existsSync(file)) return `(no ${file})`;
  return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
}
