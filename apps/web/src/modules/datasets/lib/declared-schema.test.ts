import type { TColumnSummary } from "@dpsynth/datasets/columns";
import { describe, expect, it } from "vitest";
import type { TPreviewWire } from "@/components/api/wire-types";
import {
  columnChoices,
  declaredLabels,
  hasProblems,
  labelChoices,
  rowsOutside,
  schemaProblems,
} from "./declared-schema.ts";

function column(name: string, extra: Partial<TColumnSummary> = {}): TColumnSummary {
  return { name, type: "text", distinct: 30, empty: 0, meanLength: 12, values: null, idLike: false, ...extra };
}

const preview: TPreviewWire = {
  encoding: "utf-8",
  delimiter: ",",
  header: ["product", "text", "stars", "notes", "label"],
  columns: [
    column("product", { idLike: true }),
    column("text", { meanLength: 90 }),
    column("stars", { type: "integer", distinct: 5 }),
    column("notes", { type: "empty", distinct: 0, empty: 30 }),
    column("label", { type: "category", distinct: 3, values: { neg: 12, pos: 12, mixed: 6 } }),
  ],
  rows: 30,
  preview: [],
  proposed: { textColumn: "text", labelColumn: "label", syntheticColumns: ["stars"] },
};

describe("the labels step", () => {
  it("lists the label column's values, most rows first, all kept, descriptions empty", () => {
    expect(labelChoices(preview, "label")).toEqual([
      { value: "neg", rows: 12, keep: true, description: "" },
      { value: "pos", rows: 12, keep: true, description: "" },
      { value: "mixed", rows: 6, keep: true, description: "" },
    ]);
    expect(labelChoices(preview, "text")).toEqual([]);
  });

  it("declares the kept labels, leaves an empty description to the server, and counts the rows left out", () => {
    const choices = labelChoices(preview, "label").map((choice) =>
      choice.value === "mixed" ? { ...choice, keep: false } : { ...choice, description: `  ${choice.value}ish ` },
    );
    choices[1] = { ...(choices[1] as (typeof choices)[number]), description: "" };
    expect(declaredLabels(choices)).toEqual([{ value: "neg", description: "negish" }, { value: "pos" }]);
    expect(rowsOutside(choices)).toBe(6);
    expect(hasProblems(schemaProblems(choices, "product review"))).toBe(false);
  });

  it("says by field what the API would refuse: fewer than two labels, a long description, a long subject", () => {
    const choices = labelChoices(preview, "label").map((choice) => ({
      ...choice,
      keep: choice.value === "pos",
      description: choice.value === "pos" ? "x".repeat(501) : "",
    }));
    const problems = schemaProblems(choices, "s".repeat(201));
    expect(problems.labels).toMatch(/Keep at least two labels/);
    expect(problems.descriptions).toEqual({ pos: expect.stringMatching(/under 500 characters/) });
    expect(problems.subject).toMatch(/under 200 characters/);
  });
});

describe("the columns to synthesise", () => {
  it("offers every other column, ticks none that is ID-like or empty, and says why", () => {
    expect(columnChoices(preview, "text", "label")).toEqual([
      { name: "product", type: "text", chosen: false, note: expect.stringMatching(/^ID-like: a different value/) },
      { name: "stars", type: "integer", chosen: true, note: null },
      { name: "notes", type: "empty", chosen: false, note: "Empty in every row." },
    ]);
  });
});
