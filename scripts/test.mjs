// `npm test`: the same set-up as `npm start` on the test ports under .dpsynth/test/, every suite, then one line:
// `N passed, N failed[, N skipped]`. Exits non-zero on any failure. Everything it started is stopped at the end.
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { readTally, tallyLine } from "./lib/hardening-tally.mjs";
import { ensureHelm } from "./lib/helm.mjs";
import { prefixer } from "./lib/lines.mjs";
import { REPO_ROOT } from "./lib/repo.mjs";
import { shutdown, stopOnSignals } from "./lib/shutdown.mjs";
import { migrate, prepare, seed, startApps } from "./lib/stack.mjs";
import { resultTable, single, summaryLine } from "./lib/suite-results.mjs";
import {
  biome,
  freshDir,
  pytest,
  ruffCheck,
  ruffFormat,
  typecheck,
  typescriptProjects,
  vitest,
  wholeCheck,
} from "./lib/suites.mjs";
import { ensureWebBuild } from "./lib/web-build.mjs";

const MINUTE = 60_000;
const PREFIX_WIDTH = 22;

/** @typedef {import("./lib/suite-results.mjs").Counts} Counts */
/** @type {import("./lib/suite-results.mjs").SuiteResult[]} */
const results = [];

/**
 * Runs one suite and records its counts; a suite that throws counts as one failure, with why. Its output lines carry
 * its name, because two lanes of suites run side by side.
 * @param {string} name
 * @param {(prefix: (line: string) => string) => Promise<Counts | void>} body a step that returns nothing passes
 */
async function suite(name, body) {
  console.log(`━━ ${name} ━━`);
  const started = performance.now();
  /** @type {Counts} */
  let result;
  try {
    result = (await body(prefixer(name, PREFIX_WIDTH))) ?? single(true);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    result = single(false, message.split("\n")[0]);
    console.error(`${name} failed: ${message}`);
  }
  const seconds = (performance.now() - started) / 1000;
  results.push({ name, ...result, seconds });
  console.log(`━━ ${name}: ${summaryLine([result])} (${seconds.toFixed(1)}s)`);
  return result;
}

/** Stops everything, prints the table and, as the very last line, the summary; exits non-zero on any failure. */
async function finish() {
  await shutdown();
  console.log(`\n${resultTable(results)}\n`);
  console.log(summaryLine(results));
  process.exit(results.some((result) => result.failed > 0) ? 1 : 0);
}

stopOnSignals();

/** @type {Awaited<ReturnType<typeof prepare>> | undefined} */
let prepared;
await suite("set-up", async () => {
  const stack = await prepare("test");
  // The Helm chart's tests (scripts/lib/helm-chart.test.ts) lint and render it with this Helm.
  const helm = await ensureHelm(join(stack.config.root, "tools"));
  prepared = { ...stack, env: { ...stack.env, DPSYNTH_HELM: helm } };
});
if (!prepared) await finish();
const { config, env } = /** @type {NonNullable<typeof prepared>} */ (prepared);
const reports = freshDir(join(config.home, "reports"));
const stamps = join(config.root, "stamps");

await suite("migrate", () => migrate(env));
await suite("seed", () => seed(env));

// Two lanes side by side, one per core: TypeScript (lint, types, the web build, vitest) and Python (lint, pytest).
// The web build follows the type checks in its lane because both write apps/web's tsbuildinfo.
/** @type {Counts | undefined} */
let built;
await Promise.all([
  (async () => {
    await suite("biome check", biome);
    for (const project of typescriptProjects()) await suite(`tsc ${project}`, (prefix) => typecheck(project, prefix));
    built = await suite("web build", (prefix) => ensureWebBuild(stamps, env, { timeoutMs: 10 * MINUTE, prefix }));
    await suite("vitest", (prefix) =>
      vitest([], { env, reportFile: join(reports, "vitest.json"), timeoutMs: 15 * MINUTE, prefix }));
  })(),
  (async () => {
    await suite("ruff check", ruffCheck);
    await suite("ruff format --check", ruffFormat);
    await suite("pytest", (prefix) =>
      pytest({ env, reportFile: join(reports, "pytest.xml"), timeoutMs: 15 * MINUTE, prefix }));
  })(),
]);

await suite("stack start", async () => {
  const { processes, webUp } = await startApps(config, env, { withWeb: built?.failed === 0 });
  const dead = processes.flatMap((app) => {
    if (!app.running()) return [`${app.name} exited`];
    return app.restarts() > 0 ? [`${app.name} died and was restarted ${app.restarts()} time(s)`] : [];
  });
  const notes = [...(webUp ? [] : ["the web app did not answer HTTP"]), ...dead];
  return single(notes.length === 0, notes.join("; ") || undefined);
});
const artifacts = join(REPO_ROOT, "apps/web/e2e/artifacts");
mkdirSync(artifacts, { recursive: true });
await suite("e2e", () =>
  vitest(["--config", "apps/web/e2e/vitest.config.ts"], {
    env: { ...env, E2E_BASE_URL: config.nextauthUrl, E2E_ARTIFACTS_DIR: artifacts },
    reportFile: join(reports, "e2e.json"),
    // The owner journey's CPU run takes most of it; the accessibility pass (every page, twice) about 2.5 minutes.
    timeoutMs: 12 * MINUTE,
  }));
if (existsSync(join(REPO_ROOT, "scripts/bench.mjs"))) {
  await suite("bench --smoke", () =>
    wholeCheck("npm", ["run", "bench", "--", "--smoke"], { env, timeoutMs: 8 * MINUTE }));
}
// Last, because its fault tests stop and restart the stack's trainer, Redis and PostgreSQL.
const tally = join(reports, "hardening-tally.jsonl");
await suite("hardening", () =>
  vitest(["--config", "apps/web/e2e/hardening/vitest.config.ts"], {
    env: { ...env, E2E_BASE_URL: config.nextauthUrl, E2E_ARTIFACTS_DIR: artifacts, HARDENING_TALLY: tally },
    reportFile: join(reports, "hardening.json"),
    timeoutMs: 14 * MINUTE,
  }));
console.log(tallyLine(readTally(tally)));
await finish();
