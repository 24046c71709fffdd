import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./repo.mjs";
import { mustRun } from "./run.mjs";
import { hashPaths, stamp } from "./stamp.mjs";

/**
 * `npm ci` when node_modules is missing or package-lock.json changed since the last successful install.
 * @param {string} stampDir
 */
export async function ensureNodeModules(stampDir) {
  const hash = hashPaths(REPO_ROOT, ["package-lock.json"]);
  const installed = stamp(join(stampDir, "node-modules"));
  if (installed.isCurrent(hash) ? existsSync(join(REPO_ROOT, "node_modules")) : installedAfterLock()) {
    installed.record(hash);
    return;
  }
  console.log("installing npm packages (npm ci)…");
  await mustRun("npm ci", "npm", ["ci", "--no-audit", "--no-fund"], { cwd: REPO_ROOT });
  installed.record(hash);
}

/**
 * Without a stamp (a checkout installed by hand), npm's own record of the installed tree tells: it is rewritten by
 * every install, so one newer than package-lock.json means the tree already matches it. This spares a needless
 * `npm ci`, which would delete node_modules under anything else running from this checkout.
 */
function installedAfterLock() {
  const hidden = join(REPO_ROOT, "node_modules", ".package-lock.json");
  return existsSync(hidden) && statSync(hidden).mtimeMs >= statSync(join(REPO_ROOT, "package-lock.json")).mtimeMs;
}
