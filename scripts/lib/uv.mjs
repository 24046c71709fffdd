import { existsSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./repo.mjs";
import { mustRun, run } from "./run.mjs";

export const UV_VERSION = "0.13.9";
export const TRAINER_DIR = join(REPO_ROOT, "services/trainer");
export const TRAINER_PYTHON = join(TRAINER_DIR, ".venv/bin/python");

/**
 * uv must use the machine's Python 3.11: it may not download interpreters (no hub access, and reproducibility).
 * Bytecode is compiled at install: where PYTHONDONTWRITEBYTECODE is set, every trainer start would otherwise
 * recompile torch and transformers (about 20 s on these machines).
 */
export const uvEnv = () => ({ ...process.env, UV_PYTHON_DOWNLOADS: "never", UV_COMPILE_BYTECODE: "1" });

/**
 * A pinned uv in a venv of its own under `toolsDir`, so the system Python is never touched. Returns uv's path.
 * @param {string} toolsDir
 */
export async function ensureUv(toolsDir) {
  const venv = join(toolsDir, "uv");
  const uv = join(venv, "bin", "uv");
  if (existsSync(uv)) {
    const { output } = await run(uv, ["--version"], { capture: true });
    if (output.includes(UV_VERSION)) return uv;
  }
  console.log(`installing uv ${UV_VERSION} into ${venv}…`);
  if (!existsSync(join(venv, "bin", "pip"))) {
    await mustRun("python3 -m venv", "python3", ["-m", "venv", venv], { capture: true });
  }
  await mustRun(`pip install uv==${UV_VERSION}`, join(venv, "bin", "pip"), ["install", "--quiet", `uv==${UV_VERSION}`]);
  return uv;
}

/**
 * The trainer's locked environment in services/trainer/.venv. `uv sync --frozen` is a no-op when the venv already
 * matches uv.lock, and otherwise fills it from uv's cache, so it runs every time and the venv is never deleted.
 * @param {string} uv
 */
export async function syncTrainerEnv(uv) {
  await mustRun("uv sync --frozen (services/trainer)", uv, ["sync", "--frozen", "--quiet"], {
    cwd: TRAINER_DIR,
    env: uvEnv(),
  });
}
