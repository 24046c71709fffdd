import { describe, expect, it } from "vitest";
import { countsFromJunit } from "./junit-report.mjs";

describe("countsFromJunit", () => {
  it("reads pytest's report: failures and errors both fail, skipped ones are not passed", () => {
    const xml = `<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests"><testsuite name="pytest"
      errors="1" failures="2" skipped="3" tests="10" time="1.2" timestamp="x" hostname="h"><testcase/></testsuite></testsuites>`;
    expect(countsFromJunit(xml)).toMatchObject({ passed: 4, failed: 3, skipped: 3 });
  });

  it("sums several suites", () => {
    const xml = `<testsuites><testsuite tests="2" failures="0" errors="0" skipped="0"></testsuite>
      <testsuite tests="3" failures="1" errors="0" skipped="1"></testsuite></testsuites>`;
    expect(countsFromJunit(xml)).toMatchObject({ passed: 3, failed: 1, skipped: 1 });
  });
});
