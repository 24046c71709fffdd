import { existsSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./repo.mjs";
import { mustRun } from "./run.mjs";
import { hashPaths, stamp } from "./stamp.mjs";

const GENERATED = join(REPO_ROOT, "packages/db/src/generated/client.ts");

/**
 * `prisma generate` when prisma/schema.prisma (or the installed Prisma) changed since the client was last generated.
 * @param {string} stampDir
 * @param {NodeJS.ProcessEnv} env must hold DATABASE_URL: Prisma's config reads it even to generate
 */
export async function ensurePrismaClient(stampDir, env) {
  const hash = hashPaths(REPO_ROOT, ["prisma/schema.prisma", "package-lock.json"]);
  const generated = stamp(join(stampDir, "prisma-client"));
  if (existsSync(GENERATED) && generated.isCurrent(hash)) return;
  console.log("generating the Prisma client…");
  await mustRun("prisma generate", join(REPO_ROOT, "node_modules/.bin/prisma"), ["generate"], {
    cwd: REPO_ROOT,
    env,
    capture: true,
  });
  generated.record(hash);
}
