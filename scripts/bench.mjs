// `npm run bench`: every benchmark, each writing bench/results/<name>.json and .md (commit, machine, date, and every
// number beside its baseline as a ratio from the same run).
//   npm run bench                      all of them (gpu only where a GPU is visible)
//   npm run bench -- sampling platform the named ones
//   npm run bench -- --smoke           every benchmark in a tiny size, into a temporary directory; `npm test` runs it
//                                      to prove they still run and write well-formed results (no timing is judged)
//   npm run bench -- --list            names and rough durations on a 2-core machine
// Exits non-zero when a benchmark fails or writes a malformed result.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resultProblems } from "../bench/check-result.mjs";
import { REPO_ROOT } from "./lib/repo.mjs";
import { run } from "./lib/run.mjs";
import { shutdown, stopOnSignals } from "./lib/shutdown.mjs";
import { TRAINER_PYTHON } from "./lib/uv.mjs";

/** @type {Record<string, { runner: "python" | "stack" | "gpu", takes: string }>} */
const BENCHMARKS = {
  "dp-overhead": { runner: "python", takes: "about 10 minutes (SmolLM2 full fine-tuning dominates)" },
  sampling: { runner: "python", takes: "about 15 minutes (SmolLM2 one row at a time dominates)" },
  "time-to-synthetic": {
    runner: "stack",
    takes: "15-30 minutes (the CPU preset on 2,000 rows), plus the stack's start (1-4 minutes)",
  },
  platform: { runner: "stack", takes: "about 2 minutes, plus the stack's start (1-4 minutes)" },
  utility: {
    runner: "python",
    takes: "at most 2 hours on 2 cores with DPSYNTH_BENCH_THREADS=2 (DPSYNTH_BENCH_BUDGET_S sets a shorter budget)",
  },
  tuning: {
    runner: "python",
    takes:
      "about 30 minutes on 2 cores: the CPU preset's post-processing, chosen on dev rows the utility bench never reads",
  },
  gpu: { runner: "gpu", takes: "under 10 minutes on one H200; only where a GPU is visible" },
};

const args = process.argv.slice(2);
const smoke = args.includes("--smoke");
if (args.includes("--list")) {
  for (const [name, { takes }] of Object.entries(BENCHMARKS)) console.log(`${name.padEnd(18)} ${takes}`);
  process.exit(0);
}
const named = args.filter((arg) => !arg.startsWith("--"));
const unknown = named.filter((name) => !(name in BENCHMARKS));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(", ")}; known: ${Object.keys(BENCHMARKS).join(", ")}`);
  process.exit(2);
}
const hasGpu = spawnSync("nvidia-smi", ["-L"], { stdio: "ignore" }).status === 0;
const selected = named.length > 0 ? named : Object.keys(BENCHMARKS).filter((name) => name !== "gpu" || hasGpu || smoke);
if (named.length === 0 && !hasGpu && !smoke)
  console.log("gpu: skipped (no GPU visible); run `bash bench/gpu.sh` on one");
const outDir = smoke ? mkdtempSync(join(tmpdir(), "dpsynth-bench-smoke-")) : join(REPO_ROOT, "bench/results");
const commandOf = (/** @type {string} */ name) => `npm run bench -- ${name}${smoke ? " --smoke" : ""}`;

/** @type {string[]} */
const failures = [];
const ofRunner = (/** @type {string} */ runner) => selected.filter((name) => BENCHMARKS[name]?.runner === runner);

stopOnSignals();
const started = performance.now();
try {
  const python = ofRunner("python");
  if (python.length > 0) {
    // One process for all of them: torch and transformers load once.
    const { code } = await run(
      TRAINER_PYTHON,
      ["-m", "bench.trainer", "--out-dir", outDir, ...(smoke ? ["--smoke"] : []), ...python],
      { cwd: REPO_ROOT, env: { ...process.env, PYTHONUNBUFFERED: "1" } },
    );
    if (code !== 0) failures.push(`python benchmarks exited with code ${code}`);
  }

  const onStack = ofRunner("stack");
  if (onStack.length > 0) await runOnStack(onStack);

  if (ofRunner("gpu").length > 0) {
    const { code } = await run("bash", ["bench/gpu.sh", ...(smoke ? ["--smoke"] : [])], {
      cwd: REPO_ROOT,
      env: { ...process.env, DPSYNTH_BENCH_OUT_DIR: outDir },
    });
    if (code !== 0) failures.push(`bench/gpu.sh exited with code ${code}`);
  }
} catch (error) {
  failures.push(error instanceof Error ? error.message : String(error));
} finally {
  await shutdown();
}

for (const name of selected) failures.push(...resultProblems(outDir, name));
const minutes = ((performance.now() - started) / 60_000).toFixed(1);
console.log(`\nbench: ${selected.join(", ")} in ${minutes} min; results in ${outDir}`);
if (failures.length > 0) {
  for (const failure of failures) console.error(`bench: ${failure}`);
  process.exit(1);
}

/**
 * The benchmarks that drive the running platform: one stack for all of them (npm test's when it hands us one).
 * @param {string[]} names
 */
async function runOnStack(names) {
  const { benchStack } = await import("../bench/platform/stack.mjs");
  const modules = {
    "time-to-synthetic": async () => (await import("../bench/platform/time-to-synthetic.mjs")).timeToSynthetic,
    platform: async () => (await import("../bench/platform/platform.mjs")).platform,
  };
  const stack = await benchStack();
  for (const name of names) {
    console.log(`\n━━ bench ${name} ━━`);
    try {
      const measure = await modules[/** @type {keyof typeof modules} */ (name)]();
      const body = await measure(stack, { smoke });
      const bodyFile = join(mkdtempSync(join(tmpdir(), "dpsynth-bench-body-")), `${name}.json`);
      writeFileSync(bodyFile, JSON.stringify(body));
      const written = await run(
        TRAINER_PYTHON,
        [
          "-m",
          "bench.trainer.results",
          "--name",
          name,
          "--body",
          bodyFile,
          "--out-dir",
          outDir,
          "--command",
          commandOf(name),
          ...(smoke ? ["--smoke"] : []),
        ],
        { cwd: REPO_ROOT },
      );
      if (written.code !== 0) failures.push(`writing ${name}'s result failed`);
    } catch (error) {
      console.error(error);
      failures.push(`${name}: ${error instanceof Error ? error.message : error}`);
    }
  }
}
