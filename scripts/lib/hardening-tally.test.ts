import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readTally, tallyLine } from "./hardening-tally.mjs";

describe("the hardening tally", () => {
  it("sums every file's line and says it the way the issue counted", () => {
    const file = join(mkdtempSync(join(tmpdir(), "dpsynth-tally-")), "tally.jsonl");
    writeFileSync(
      file,
      `${JSON.stringify({ cases: 700, serverErrors: 0, faults: [] })}\n${JSON.stringify({ cases: 40, serverErrors: 1, faults: ["Redis stopped and started"] })}\n`,
    );
    const tally = readTally(file);
    expect(tally).toEqual({ cases: 740, serverErrors: 1, faults: ["Redis stopped and started"] });
    expect(tallyLine(tally)).toBe(
      "hardening: 740 cases tried, 1 5xx seen, 1 faults survived (Redis stopped and started)",
    );
    expect(readTally(join(tmpdir(), "no-such-tally.jsonl"))).toEqual({ cases: 0, serverErrors: 0, faults: [] });
  });
});
