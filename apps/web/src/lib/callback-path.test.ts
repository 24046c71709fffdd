import { describe, expect, it } from "vitest";
import { loginPathFor, safeCallbackPath } from "./callback-path.ts";

const ORIGIN = "https://dpsynth.example";

describe("safeCallbackPath", () => {
  it("keeps a path on this site, with its query", () => {
    expect(safeCallbackPath("/jobs/cl123", ORIGIN)).toBe("/jobs/cl123");
    expect(safeCallbackPath("/compare?datasetId=a&jobs=b", ORIGIN)).toBe("/compare?datasetId=a&jobs=b");
    expect(safeCallbackPath(`${ORIGIN}/datasets/x`, ORIGIN)).toBe("/datasets/x");
  });

  it("sends anything that could leave the site to the home page", () => {
    for (const hostile of [
      "https://evil.example/jobs/1",
      "//evil.example/jobs/1",
      "/\\evil.example",
      "\\\\evil.example",
      `${ORIGIN}//evil.example`,
      "javascript:alert(1)",
      "http://dpsynth.example/jobs/1",
      "",
      null,
    ]) {
      expect([hostile, safeCallbackPath(hostile, ORIGIN)]).toEqual([hostile, "/"]);
    }
  });
});

describe("loginPathFor", () => {
  it("carries the asked-for path to the sign-in page, and nothing for the home page", () => {
    expect(loginPathFor("/jobs/cl123?tab=report")).toBe("/login?callbackUrl=%2Fjobs%2Fcl123%3Ftab%3Dreport");
    expect(loginPathFor("/")).toBe("/login");
    expect(loginPathFor(null)).toBe("/login");
    expect(loginPathFor("//evil.example")).toBe("/login");
  });
});
