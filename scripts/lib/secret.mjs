import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/**
 * A random secret made once and kept in `file` (mode 600), so sessions and passwords survive restarts.
 * Hex, so it is safe in URLs and SQL literals.
 * @param {string} file
 */
export function readOrCreateSecret(file, bytes = 32) {
  if (existsSync(file)) {
    const kept = readFileSync(file, "utf8").trim();
    if (/^[0-9a-f]{32,}$/.test(kept)) return kept;
  }
  const secret = randomBytes(bytes).toString("hex");
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  chmodSync(file, 0o600); // `mode` above applies only when the file is new
  return secret;
}
