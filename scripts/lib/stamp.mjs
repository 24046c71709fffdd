import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";

/** Names never part of a source hash: build outputs, installs, caches (tsc rewrites its .tsbuildinfo each run). */
const SKIPPED = new Set(["node_modules", ".next", ".dpsynth", "generated", "artifacts", ".venv", "__pycache__"]);
const skipped = (/** @type {string} */ name) => SKIPPED.has(name) || name.endsWith(".tsbuildinfo");

/**
 * One sha256 over the names and contents of the given files and directories (walked recursively in a fixed
 * order, skipping build outputs), relative to `root`. A missing path hashes as absent, so creating it changes
 * the hash. Paths in `exclude` (relative to `root`) are left out.
 * @param {string} root
 * @param {string[]} paths
 * @param {string[]} [exclude]
 */
export function hashPaths(root, paths, exclude = []) {
  const hash = createHash("sha256");
  const visit = (/** @type {string} */ path) => {
    const name = relative(root, path);
    if (exclude.includes(name) || skipped(basename(path))) return;
    if (!existsSync(path)) {
      hash.update(`absent:${name}\0`);
    } else if (statSync(path).isDirectory()) {
      for (const entry of readdirSync(path).sort()) visit(join(path, entry));
    } else {
      hash.update(`file:${name}\0`).update(readFileSync(path)).update("\0");
    }
  };
  for (const path of paths) visit(join(root, path));
  return hash.digest("hex");
}

/**
 * The input hash a step last succeeded with, so the step reruns only when its inputs change.
 * @param {string} file where the hash is kept
 */
export function stamp(file) {
  return {
    /** @param {string} hash */
    isCurrent: (hash) => existsSync(file) && readFileSync(file, "utf8").trim() === hash,
    /** @param {string} hash */
    record: (hash) => {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, `${hash}\n`);
    },
  };
}
