import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { countsFromJunit } from "./junit-report.mjs";
import { REPO_ROOT } from "./repo.mjs";
import { run } from "./run.mjs";
import { counts, single } from "./suite-results.mjs";
import { TRAINER_DIR, TRAINER_PYTHON } from "./uv.mjs";
import { countsFromVitest } from "./vitest-report.mjs";

/** @typedef {import("./suite-results.mjs").Counts} Counts */
/** @typedef {(line: string) => string} Prefix how a suite's output lines are labelled while suites run side by side */

const BIN = join(REPO_ROOT, "node_modules/.bin");
const MINUTE = 60_000;

/**
 * A command that passes or fails as a whole (lint, format, type check).
 * @param {string} command
 * @param {string[]} args
 * @param {{ cwd?: string, env?: NodeJS.ProcessEnv, timeoutMs?: number, prefix?: Prefix }} [options]
 * @returns {Promise<Counts>}
 */
export async function wholeCheck(command, args, { cwd = REPO_ROOT, env, timeoutMs = 5 * MINUTE, prefix } = {}) {
  const { code, timedOut } = await run(command, args, { cwd, env, timeoutMs, prefix });
  return single(code === 0, timedOut ? `timed out after ${timeoutMs / 1000}s` : undefined);
}

/** @param {Prefix} [prefix] */
export const biome = (prefix) => wholeCheck(join(BIN, "biome"), ["check", "."], { prefix });

/** @param {Prefix} [prefix] */
export const ruffCheck = (prefix) =>
  wholeCheck(join(TRAINER_DIR, ".venv/bin/ruff"), ["check"], { cwd: TRAINER_DIR, prefix });

/** @param {Prefix} [prefix] */
export const ruffFormat = (prefix) =>
  wholeCheck(join(TRAINER_DIR, ".venv/bin/ruff"), ["format", "--check"], { cwd: TRAINER_DIR, prefix });

/**
 * `tsc --noEmit -p dir`; a project without a tsconfig.json fails, because its TypeScript would go unchecked.
 * @param {string} dir relative to the repository root
 * @param {Prefix} [prefix]
 */
export async function typecheck(dir, prefix) {
  if (!existsSync(join(REPO_ROOT, dir, "tsconfig.json"))) return single(false, `${dir} has no tsconfig.json`);
  return wholeCheck(join(BIN, "tsc"), ["--noEmit", "-p", dir], { prefix });
}

/** The npm workspaces and the other TypeScript projects of the repository. */
export function typescriptProjects() {
  const { workspaces } = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8"));
  return [...workspaces, "scripts", "apps/web/e2e", "bench"];
}

/**
 * A vitest run with a readable reporter and a JSON one to count from.
 * @param {string[]} args e.g. ["--config", file]
 * @param {{ env: NodeJS.ProcessEnv, reportFile: string, timeoutMs: number, prefix?: Prefix }} options
 * @returns {Promise<Counts>}
 */
export async function vitest(args, { env, reportFile, timeoutMs, prefix }) {
  rmSync(reportFile, { force: true });
  const { code, timedOut } = await run(
    join(BIN, "vitest"),
    ["run", ...args, "--reporter=default", "--reporter=json", `--outputFile.json=${reportFile}`],
    { cwd: REPO_ROOT, env, timeoutMs, prefix },
  );
  if (timedOut) return single(false, `timed out after ${timeoutMs / MINUTE} minutes`);
  if (!existsSync(reportFile)) return single(false, `vitest exited with code ${code} before writing its report`);
  return countsFromVitest(JSON.parse(readFileSync(reportFile, "utf8")), code);
}

/** pytest's exit code when it collected no tests. */
const NO_TESTS_COLLECTED = 5;

/**
 * pytest in services/trainer through its venv, counted from its JUnit report. Collecting nothing is a failure only
 * when test files exist.
 * @param {{ env: NodeJS.ProcessEnv, reportFile: string, timeoutMs: number, prefix?: Prefix }} options
 * @returns {Promise<Counts>}
 */
export async function pytest({ env, reportFile, timeoutMs, prefix }) {
  rmSync(reportFile, { force: true });
  const { code, timedOut } = await run(TRAINER_PYTHON, ["-m", "pytest", `--junitxml=${reportFile}`], {
    cwd: TRAINER_DIR,
    env,
    timeoutMs,
    prefix,
  });
  if (timedOut) return single(false, `timed out after ${timeoutMs / MINUTE} minutes`);
  if (code === NO_TESTS_COLLECTED) {
    return pythonTestFiles().length > 0 ? single(false, "pytest collected no tests from tests/") : counts();
  }
  if (!existsSync(reportFile)) return single(false, `pytest exited with code ${code} before writing its report`);
  const result = countsFromJunit(readFileSync(reportFile, "utf8"));
  if (code !== 0 && result.failed === 0) {
    return counts(result.passed, 1, result.skipped, [`pytest exited with code ${code} although no test failed`]);
  }
  return result;
}

function pythonTestFiles() {
  const dir = join(TRAINER_DIR, "tests");
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((file) =>
    /(^|\/)(test_[^/]*|[^/]*_test)\.py$/.test(file),
  );
}

/** @param {string} dir */
export function freshDir(dir) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}
