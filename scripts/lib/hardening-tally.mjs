import { existsSync, readFileSync } from "node:fs";

/**
 * @typedef {object} Tally what the hardening suite tried, summed over its test files (see its support/tally.ts)
 * @property {number} cases  requests sent and checked
 * @property {number} serverErrors  answers with a 5xx status, 503s while a fault test had taken a server away aside
 * @property {string[]} faults  faults the stack came through, every check of their test passing
 */

/**
 * Sums the lines the hardening suite's files appended to `file` (one JSON object each).
 * @param {string} file
 * @returns {Tally}
 */
export function readTally(file) {
  /** @type {Tally} */
  const total = { cases: 0, serverErrors: 0, faults: [] };
  if (!existsSync(file)) return total;
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (!line.trim()) continue;
    const { cases = 0, serverErrors = 0, faults = [] } = JSON.parse(line);
    total.cases += cases;
    total.serverErrors += serverErrors;
    total.faults.push(...faults);
  }
  return total;
}

/**
 * The line `npm test` prints, counted the way issue 13 counted: cases tried, 5xx seen, faults survived.
 * @param {Tally} tally
 */
export function tallyLine({ cases, serverErrors, faults }) {
  const survived = faults.length ? ` (${faults.join("; ")})` : "";
  return `hardening: ${cases} cases tried, ${serverErrors} 5xx seen, ${faults.length} faults survived${survived}`;
}
