import { mustRun } from "./run.mjs";
import { isRoot, onPath } from "./system.mjs";

/**
 * @typedef {{ pkg: string, installed: () => boolean }} Requirement a Debian package and how to tell it is there
 */

/**
 * Installs the Debian packages whose check fails: one `apt-get update`, then one `apt-get install -y`.
 * Nothing runs when all are present, so a warm machine never touches apt.
 * @param {Requirement[]} requirements
 */
export async function ensureDebianPackages(requirements) {
  const missing = requirements.filter((requirement) => !requirement.installed()).map(({ pkg }) => pkg);
  if (missing.length === 0) return;
  const list = missing.join(" ");
  if (!onPath("apt-get")) {
    throw new Error(`dpsynth needs these Debian packages and this machine has no apt-get: ${list}`);
  }
  if (!isRoot()) {
    throw new Error(`dpsynth needs these Debian packages: ${list}. Installing them needs root: run as root, or first
  sudo apt-get update && sudo apt-get install -y ${list}`);
  }
  console.log(`installing Debian packages: ${list}`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  await mustRun("apt-get update", "apt-get", ["update"], { env });
  await mustRun(`apt-get install ${list}`, "apt-get", ["install", "-y", ...missing], { env });
  const still = requirements.filter((requirement) => !requirement.installed()).map(({ pkg }) => pkg);
  if (still.length > 0) throw new Error(`apt-get installed ${list}, but these are still missing: ${still.join(" ")}`);
}
