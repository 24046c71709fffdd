import { chmodSync, lstatSync, readdirSync } from "node:fs";
import { join } from "node:path";

/**
 * Makes a data directory private to its owner: directories 0700, files 0600, whatever an older run (before the
 * bootstrap set its umask) left there. Symbolic links are left alone; a missing directory is fine.
 * @param {string} dir
 */
export function privateTree(dir) {
  let stat;
  try {
    stat = lstatSync(dir);
  } catch {
    return;
  }
  if (stat.isSymbolicLink()) return;
  if (!stat.isDirectory()) {
    if ((stat.mode & 0o777) !== 0o600) chmodSync(dir, 0o600);
    return;
  }
  if ((stat.mode & 0o777) !== 0o700) chmodSync(dir, 0o700);
  for (const entry of readdirSync(dir)) privateTree(join(dir, entry));
}
