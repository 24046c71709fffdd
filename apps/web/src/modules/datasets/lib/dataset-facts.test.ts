import { describe, expect, it } from "vitest";
import { datasetFacts, datasetOption } from "./dataset-facts.ts";

const base = { name: "reviews", owner: { email: "ada@example.test" }, trainRows: 480, holdoutRows: 120 };

describe("datasetOption", () => {
  it("tells two datasets of one name apart by owner, upload time and rows", () => {
    const first = datasetOption({ ...base, createdAt: "2026-12-02T09:05:00Z" });
    const second = datasetOption({ ...base, owner: { email: "bo@example.test" }, createdAt: "2026-12-02T09:05:00Z" });
    const third = datasetOption({ ...base, trainRows: 800, createdAt: "2026-11-30T09:05:00Z" });
    expect(new Set([first, second, third]).size).toBe(3);
    expect(first).toMatch(/^reviews — ada@example\.test · 2 Dec 2026, \d\d:05 · 600 rows$/);
    expect(datasetFacts({ ...base, trainRows: 9_000, createdAt: "2026-12-02T09:05:00Z" })).toMatch(/9,120 rows$/);
  });
});
