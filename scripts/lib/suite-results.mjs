/**
 * @typedef {{ passed: number, failed: number, skipped: number, notes: string[] }} Counts
 * @typedef {Counts & { name: string, seconds: number }} SuiteResult
 */

/**
 * @param {string[]} [notes] why something failed
 * @returns {Counts}
 */
export const counts = (passed = 0, failed = 0, skipped = 0, notes = []) => ({ passed, failed, skipped, notes });

/**
 * A check that either passes or fails as a whole (a linter, a type check, a set-up step).
 * @param {boolean} ok
 * @param {string} [note]
 */
export const single = (ok, note) => counts(ok ? 1 : 0, ok ? 0 : 1, 0, note ? [note] : []);

/**
 * The totals over every suite.
 * @param {Pick<Counts, "passed" | "failed" | "skipped">[]} results
 */
export function totals(results) {
  return results.reduce(
    (sum, result) => ({
      passed: sum.passed + result.passed,
      failed: sum.failed + result.failed,
      skipped: sum.skipped + result.skipped,
    }),
    { passed: 0, failed: 0, skipped: 0 },
  );
}

/**
 * The one line `npm test` ends with: `N passed, N failed`, plus `, N skipped` when any were.
 * @param {Pick<Counts, "passed" | "failed" | "skipped">[]} results
 */
export function summaryLine(results) {
  const { passed, failed, skipped } = totals(results);
  return `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`;
}

/**
 * One row per suite, with the reason of each failure, for the end of the output.
 * @param {SuiteResult[]} results
 */
export function resultTable(results) {
  const width = Math.max(5, ...results.map((result) => result.name.length));
  /** @type {(...cells: string[]) => string} */
  const row = (name, passed, failed, skipped, time) =>
    `${name.padEnd(width)}  ${passed.padStart(6)}  ${failed.padStart(6)}  ${skipped.padStart(7)}  ${time.padStart(7)}`;
  const lines = [row("suite", "passed", "failed", "skipped", "time")];
  for (const result of results) {
    lines.push(
      row(
        result.name,
        String(result.passed),
        String(result.failed),
        String(result.skipped),
        `${result.seconds.toFixed(1)}s`,
      ),
    );
    for (const note of result.notes) lines.push(`${"".padEnd(width)}  ↳ ${note}`);
  }
  return lines.join("\n");
}
