import { counts } from "./suite-results.mjs";

/**
 * Counts from vitest's JSON reporter. A test file that failed without a failed test (it did not load, or a hook
 * threw) counts as one failure, because its tests never ran.
 * @param {any} report the parsed JSON
 * @param {number} exitCode vitest's; non-zero with nothing failed (e.g. an unhandled error) is one more failure
 */
export function countsFromVitest(report, exitCode) {
  const notes = [];
  let failed = report.numFailedTests ?? 0;
  for (const file of report.testResults ?? []) {
    const failedTests = (file.assertionResults ?? []).filter(
      (/** @type {{ status: string }} */ test) => test.status === "failed",
    ).length;
    if (file.status === "failed" && failedTests === 0) {
      failed += 1;
      notes.push(`${file.name}: ${firstLine(file.message) || "failed before any test ran"}`);
    }
  }
  if (exitCode !== 0 && failed === 0) {
    failed += 1;
    notes.push(`vitest exited with code ${exitCode} although no test failed (an unhandled error?)`);
  }
  return counts(report.numPassedTests ?? 0, failed, (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0), notes);
}

/** @param {string | undefined} text */
const firstLine = (text) => (text ?? "").trim().split("\n")[0] ?? "";
