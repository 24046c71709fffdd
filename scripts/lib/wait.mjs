import { setTimeout as sleep } from "node:timers/promises";

/**
 * Polls `check` until it is true (→ true) or `timeoutMs` passes (→ false).
 * @param {() => Promise<boolean>} check
 * @param {number} timeoutMs
 */
export async function waitFor(check, timeoutMs, intervalMs = 250) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(intervalMs);
  }
  return false;
}
