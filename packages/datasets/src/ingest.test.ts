import { createReadStream, readFileSync } from "node:fs";
import { parse } from "csv-parse/sync";
import { afterEach, describe, expect, it } from "vitest";
import { proposeColumns, proposeSyntheticColumns } from "./columns.ts";
import { DatasetError } from "./errors.ts";
import { ingestCsv, type TIngestOptions } from "./ingest.ts";
import { MAX_CELL_CHARS, MAX_COLUMNS, MAX_ROW_CHARS, scanCsv } from "./scan.ts";
import { ROTTEN_TOMATOES_CSV, smallCsv, sourceOf, tempBlobStore } from "./testing.ts";

const blobs = tempBlobStore();
afterEach(() => blobs.remove());

const options = {
  textColumn: "text",
  labelColumn: "label",
  labels: [
    { value: "pos", description: "a positive review" },
    { value: "neg", description: "neg" },
  ],
  holdoutFraction: 0.2,
  keyPrefix: "datasets/t",
  store: blobs.store,
};

function rowsOf(path: string): string[][] {
  return parse(readFileSync(path, "utf8")) as string[][];
}

describe("ingestCsv on the Rotten Tomatoes fixture", () => {
  const open = () => createReadStream(ROTTEN_TOMATOES_CSV);
  const fixture = {
    ...options,
    textColumn: "review",
    labelColumn: "label",
    labels: [
      { value: "fresh", description: "a positive review" },
      { value: "rotten", description: "a negative review" },
    ],
  };

  it("stores disjoint train and holdout splits of the recorded sizes", async () => {
    const result = await ingestCsv(open, { ...fixture, splitSeed: 7 });
    expect(result.trainRows + result.holdoutRows).toBe(600);
    expect(result.holdoutRows).toBeGreaterThanOrEqual(118);
    expect(result.holdoutRows).toBeLessThanOrEqual(122);
    const train = rowsOf(`${blobs.root}/datasets/t/train.csv`);
    const holdout = rowsOf(`${blobs.root}/datasets/t/holdout.csv`);
    expect(train[0]).toEqual(["review", "label"]);
    expect(holdout[0]).toEqual(["review", "label"]);
    expect(train.length - 1).toBe(result.trainRows);
    expect(holdout.length - 1).toBe(result.holdoutRows);
    const trainTexts = new Set(train.slice(1).map((row) => row.join("\u0000")));
    expect(holdout.slice(1).filter((row) => trainTexts.has(row.join("\u0000")))).toEqual([]);
    expect(Object.values(result.labelCounts).reduce((a, b) => a + b)).toBe(result.trainRows);
    expect(Object.keys(result.labelCounts).sort()).toEqual(["fresh", "rotten"]);
    expect(result.train.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(result.splitSeed).toBe(7);
    expect(result.labels).toEqual(fixture.labels);
    expect(result.rowsOutsideLabelSet).toEqual({ train: 0, holdout: 0 });
  });

  it("draws the same holdout from the same seed and another from another seed", async () => {
    const holdoutOf = async (seed: number, prefix: string) => {
      await ingestCsv(open, { ...fixture, splitSeed: seed, keyPrefix: prefix });
      return readFileSync(`${blobs.root}/${prefix}/holdout.csv`, "utf8");
    };
    const first = await holdoutOf(11, "a");
    expect(await holdoutOf(11, "b")).toBe(first);
    expect(await holdoutOf(12, "c")).not.toBe(first);
  });

  it("records a fresh seed when none is given", async () => {
    const result = await ingestCsv(open, fixture);
    expect(Number.isInteger(result.splitSeed)).toBe(true);
  });
});

describe("the declared label set and the synthesised columns", () => {
  const threeLabels = [
    "id,text,stars,label",
    ...Array.from(
      { length: 30 },
      (_, i) => `p${i},review number ${i} says something,${(i % 5) + 1},${["pos", "neg", "meh"][i % 3]}`,
    ),
  ].join("\n");

  it("keeps rows with an undeclared label in the files but counts them apart, per split", async () => {
    const result = await ingestCsv(sourceOf(threeLabels), { ...options, syntheticColumns: ["stars"], splitSeed: 3 });
    expect(result.labels.map((label) => label.value)).toEqual(["pos", "neg"]);
    expect(result.syntheticColumns).toEqual(["stars"]);
    expect(result.rowsOutsideLabelSet.train + result.rowsOutsideLabelSet.holdout).toBe(10);
    expect(result.rowsOutsideLabelSet.train).toBe(result.labelCounts.meh);
    expect(result.trainRows + result.holdoutRows).toBe(30);
  });

  it("marks a column with a different short value in every row as ID-like, and proposes the rest", async () => {
    const scan = await scanCsv(sourceOf(threeLabels));
    expect(scan.columns.map((column) => [column.name, column.idLike])).toEqual([
      ["id", true],
      ["text", false],
      ["stars", false],
      ["label", false],
    ]);
    expect(proposeSyntheticColumns(scan.columns, "text", "label")).toEqual(["stars"]);
    expect(proposeColumns(scan.columns)).toEqual({ textColumn: "text", labelColumn: "label" });
  });

  const refused: [string, Partial<TIngestOptions>, string, RegExp][] = [
    [
      "a declared label the column does not hold",
      {
        labels: [
          { value: "pos", description: "pos" },
          { value: "Neg", description: "Neg" },
        ],
      },
      "unknown_label",
      /^labels: "Neg" is not a value of the label column "label"\. Labels are matched exactly, case included/,
    ],
    [
      "a synthesised column that is not in the header",
      { syntheticColumns: ["rating"] },
      "unknown_column",
      /no column named "rating" to use as the column to synthesise \(columns\)\. The header has: id, text, stars, label/,
    ],
    [
      "the text column listed as a column to synthesise",
      { syntheticColumns: ["stars", "text"] },
      "bad_options",
      /^columns: "text" is the text column, which is always synthesised/,
    ],
  ];

  it.each(refused)("refuses %s, naming the field and storing nothing", async (_case, overrides, code, message) => {
    const error = await ingestCsv(sourceOf(threeLabels), { ...options, ...overrides }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetError);
    expect((error as DatasetError).code).toBe(code);
    expect((error as DatasetError).message).toMatch(message);
    expect((error as DatasetError).message).not.toMatch(/meh|review number/);
    expect(blobs.files()).toEqual([]);
  });
});

describe("formats", () => {
  it("detects semicolons and tabs", async () => {
    for (const delimiter of [";", "\t", "|"]) {
      const scan = await scanCsv(sourceOf(smallCsv(12, { delimiter })));
      expect(scan.delimiter).toBe(delimiter);
      expect(scan.header).toEqual(["text", "label"]);
      expect(scan.rows).toBe(12);
    }
  });

  it("reads UTF-8 with a BOM without a stray character in the first column name", async () => {
    const scan = await scanCsv(sourceOf(`\ufeff${smallCsv(12)}`));
    expect(scan.encoding).toBe("utf-8-bom");
    expect(scan.header[0]).toBe("text");
  });

  it("converts latin-1 to UTF-8", async () => {
    const latin1 = Buffer.from(`${smallCsv(12)}caf\u00e9 cr\u00e8me,pos\n`, "latin1");
    const result = await ingestCsv(sourceOf(latin1), options);
    expect(result.encoding).toBe("latin-1");
    const stored =
      readFileSync(`${blobs.root}/datasets/t/train.csv`, "utf8") +
      readFileSync(`${blobs.root}/datasets/t/holdout.csv`, "utf8");
    expect(stored).toContain("caf\u00e9 cr\u00e8me");
  });

  it("types columns and proposes text and label", async () => {
    const csv = [
      "id,review,stars,label",
      ...Array.from(
        { length: 20 },
        (_, i) => `${i},a rather long review text number ${i} here,${(i % 5) + 0.5},${i % 3 ? "good" : "bad"}`,
      ),
    ].join("\n");
    const scan = await scanCsv(sourceOf(csv));
    expect(scan.columns.map((c) => [c.name, c.type])).toEqual([
      ["id", "integer"],
      ["review", "text"],
      ["stars", "number"],
      ["label", "category"],
    ]);
    expect(scan.preview).toHaveLength(5);
  });
});

describe("malformed files: the message says what to fix, and nothing is stored", () => {
  const longCell = "x".repeat(300);
  const cases: [string, string | Uint8Array, Partial<typeof options>, string, RegExp][] = [
    ["an empty file", "", {}, "empty_file", /The file is empty/],
    ["a binary file", Uint8Array.from([0x50, 0x4b, 3, 4, 0, 0, 1, 2, 0, 0, 0x41]), {}, "binary_file", /looks binary/],
    [
      "no header",
      `${longCell},pos\n${smallCsv(20).split("\n").slice(1).join("\n")}`,
      {},
      "no_header",
      /does not look like a header/,
    ],
    ["a numeric header", `1,2\n3,4\n`, {}, "no_header", /does not look like a header/],
    ["ragged rows", `${smallCsv(20)}one,two,three\n`, {}, "ragged_rows", /Line 22 has 3 fields but the header has 2/],
    // The parser meets the bad row in the same chunk as the header: both counts must still be right.
    [
      "a short file with a ragged row",
      "text,label\na,pos\nb,neg,x\n",
      {},
      "ragged_rows",
      /Line 3 has 3 fields but the header has 2\./,
    ],
    [
      "a row with one field",
      `${smallCsv(12)}lonely\n`,
      {},
      "ragged_rows",
      /Line 14 has 1 field but the header has 2\./,
    ],
    [
      "more columns than dpsynth takes",
      `${Array.from({ length: MAX_COLUMNS + 1 }, (_, i) => `c${i}`).join(",")}\n`,
      { textColumn: "c0", labelColumn: "c1" },
      "too_many_columns",
      new RegExp(`${MAX_COLUMNS + 1} columns; dpsynth takes at most ${MAX_COLUMNS}`),
    ],
    [
      "a cell larger than a record's text",
      `${smallCsv(12)}${"y".repeat(MAX_CELL_CHARS + 1)},pos\n`,
      {},
      "cell_too_large",
      /Line 14, column 1 holds more than 100,000 characters/,
    ],
    [
      "a quote that swallows the rest of a large file",
      `${smallCsv(12)}"${"z,pos\n".repeat(MAX_ROW_CHARS / 5)}`,
      {},
      "cell_too_large",
      /longer than 1,000,000 characters\. Look for a double quote/,
    ],
    [
      "a holdout fraction too small to hold a row",
      smallCsv(40),
      { holdoutFraction: 1e-300 },
      "bad_options",
      /holds out none of these 40 rows.*at least 0\.025/,
    ],
    ["an unclosed quote", `${smallCsv(20)}"never closed,pos\n`, {}, "malformed_csv", /never closed/],
    [
      "an unknown column",
      smallCsv(20),
      { labelColumn: "sentiment" },
      "unknown_column",
      /no column named "sentiment".*The header has: text, label/,
    ],
    [
      "an empty label column",
      smallCsv(20).replaceAll(/,(pos|neg)$/gm, ","),
      {},
      "empty_labels",
      /label column "label" is empty\./,
    ],
    ["some empty labels", `${smallCsv(20)}lonely text,\n`, {}, "empty_labels", /empty in 1 of 21 rows/],
    ["one label class", smallCsv(20).replaceAll(",pos", ",neg"), {}, "one_label_class", /single class/],
    ["too few rows", smallCsv(4), {}, "too_few_rows", /4 rows; at least 10/],
    ["a single column", "text\nabc\ndef\n", {}, "no_header", /single column/],
    [
      "invalid UTF-8 after the head",
      Buffer.concat([Buffer.from(smallCsv(5000)), Buffer.from([0xc3, 0x28, 0x2c, 0x61, 0x0a])]),
      {},
      "bad_encoding",
      /not valid UTF-8/,
    ],
  ];

  it.each(cases)("refuses %s", async (_name, content, overrides, code, message) => {
    const error = await ingestCsv(sourceOf(content), { ...options, ...overrides }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetError);
    expect((error as DatasetError).code).toBe(code);
    expect((error as DatasetError).message).toMatch(message);
    expect((error as DatasetError).message).not.toContain("review number");
    expect((error as DatasetError).message).not.toMatch(/yyyy|zzzz/);
    expect(blobs.files()).toEqual([]);
  });
});
