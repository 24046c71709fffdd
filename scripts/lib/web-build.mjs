import { existsSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./repo.mjs";
import { mustRun } from "./run.mjs";
import { hashPaths, stamp } from "./stamp.mjs";

export const WEB_DIR = join(REPO_ROOT, "apps/web");
export const NEXT_BIN = join(REPO_ROOT, "node_modules/.bin/next");

/** What the web build reads: its own sources, the workspaces it imports, the schema behind the Prisma client. */
const INPUTS = [
  "apps/web",
  "packages/contracts/src",
  "packages/contracts/schema",
  "packages/db/src",
  "packages/datasets/src",
  "prisma/schema.prisma",
  "package-lock.json",
  "tsconfig.base.json",
];
/** Tests do not go into the build: editing them must not cost a rebuild. */
const NOT_INPUTS = ["apps/web/e2e"];

/**
 * `next build` in apps/web when its inputs changed since the last successful build (or no build exists).
 * @param {string} stampDir
 * @param {NodeJS.ProcessEnv} env
 * @param {{ timeoutMs?: number, prefix?: (line: string) => string }} [options]
 */
export async function ensureWebBuild(stampDir, env, { timeoutMs, prefix } = {}) {
  const hash = hashPaths(REPO_ROOT, INPUTS, NOT_INPUTS);
  const built = stamp(join(stampDir, "web-build"));
  if (existsSync(join(WEB_DIR, ".next/BUILD_ID")) && built.isCurrent(hash)) {
    console.log("web: the build is up to date");
    return;
  }
  console.log("web: building (next build)…");
  await mustRun("next build", NEXT_BIN, ["build"], { cwd: WEB_DIR, env, timeoutMs, prefix });
  built.record(hash);
}
