import { counts } from "./suite-results.mjs";

/**
 * Counts from a JUnit XML report (pytest's --junitxml), summed over its <testsuite> elements.
 * @param {string} xml
 */
export function countsFromJunit(xml) {
  let tests = 0;
  let failed = 0;
  let skipped = 0;
  for (const [, attributes] of xml.matchAll(/<testsuite\s([^>]*)>/g)) {
    const number = (/** @type {string} */ name) =>
      Number(new RegExp(`\\b${name}="(\\d+)"`).exec(attributes ?? "")?.[1] ?? 0);
    tests += number("tests");
    failed += number("failures") + number("errors");
    skipped += number("skipped");
  }
  return counts(tests - failed - skipped, failed, skipped);
}
