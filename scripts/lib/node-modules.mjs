import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./repo.mjs";
import { mustRun, run } from "./run.mjs";
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
  const ci = await run("npm", ["ci", "--no-audit", "--no-fund"], { cwd: REPO_ROOT, capture: true });
  if (ci.code !== 0) {
    const lock = JSON.parse(readFileSync(join(REPO_ROOT, "package-lock.json"), "utf8"));
    const missing = missingFromLock(ci.output);
    if (missing.length === 0 || !missing.every((name) => isOptionalDependency(lock, name))) {
      process.stdout.write(ci.output);
      throw new Error(`npm ci exited with code ${ci.code}`);
    }
    // npm writes no lock entry for an optional dependency the registry does not serve (vite's Windows-only helper,
    // here), and `npm ci` then refuses that very lock. `npm install --no-save` installs the same locked versions,
    // skips the unavailable optional package and leaves package-lock.json untouched.
    console.log(`npm ci refused package-lock.json for lacking optional packages (${missing.join(", ")});`);
    console.log("installing the locked versions with `npm install --no-save` instead…");
    await mustRun("npm install --no-save", "npm", ["install", "--no-save", "--no-audit", "--no-fund"], {
      cwd: REPO_ROOT,
    });
  } else {
    process.stdout.write(ci.output);
  }
  installed.record(hash);
}

/**
 * The package names `npm ci` reports as missing from the lock file.
 * @param {string} output npm's
 */
export function missingFromLock(output) {
  return [...output.matchAll(/Missing: ((?:@[^@\s/]+\/)?[^@\s]+)@\S* from lock file/g)].map((match) => match[1] ?? "");
}

/**
 * Whether some locked package lists `name` as an optional dependency only.
 * @param {{ packages?: Record<string, { optionalDependencies?: Record<string, string>, dependencies?: Record<string, string> }> }} lock
 * @param {string} name
 */
export function isOptionalDependency(lock, name) {
  const entries = Object.values(lock.packages ?? {});
  return (
    entries.some((entry) => entry.optionalDependencies?.[name] !== undefined) &&
    !entries.some((entry) => entry.dependencies?.[name] !== undefined)
  );
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
