import { describe, expect, it } from "vitest";
import { roundScale } from "./chart-scale.ts";

describe("roundScale", () => {
  it("puts ticks at round steps that cover a narrow loss range", () => {
    const scale = roundScale(4.35, 4.46);
    expect(scale.ticks).toEqual([4.35, 4.4, 4.45, 4.5]);
    expect(scale.domain).toEqual([4.35, 4.5]);
    expect(scale.digits).toBe(2);
  });

  it("starts an epsilon axis at 0 and ends it at or past the approved epsilon", () => {
    const scale = roundScale(0, 8);
    expect(scale.ticks).toEqual([0, 2, 4, 6, 8]);
    expect(roundScale(0, 7.3).domain).toEqual([0, 8]);
  });

  it("gives a single value an axis around it, and no data a default one", () => {
    expect(roundScale(3, 3).ticks.length).toBeGreaterThan(1);
    expect(roundScale(Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY).domain).toEqual([0, 1]);
  });
});
