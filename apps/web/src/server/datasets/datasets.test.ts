import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROTTEN_TOMATOES_CSV, smallCsv } from "@dpsynth/datasets/testing";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import * as budgetRoute from "../../../app/api/v1/datasets/[id]/budget/route.ts";
import * as datasetRoute from "../../../app/api/v1/datasets/[id]/route.ts";
import * as previewRoute from "../../../app/api/v1/datasets/preview/route.ts";
import * as datasetsRoute from "../../../app/api/v1/datasets/route.ts";
import { call, createTestServer, csvForm, type TTestServer } from "../testing.ts";

let server: TTestServer;
let owner: Awaited<ReturnType<TTestServer["user"]>>;

beforeAll(async () => {
  server = await createTestServer();
  owner = await server.user("OWNER");
});
afterAll(() => server.close());

const LABELS = JSON.stringify([
  { value: "pos", description: "a glowing review" },
  { value: "neg", description: "a scathing review" },
]);
const fields = { name: "reviews", textColumn: "text", labelColumn: "label", labels: LABELS };
/** Product reviews with an ID-like column, a star rating and a third label the owner may leave undeclared. */
const PRODUCTS = [
  "product,text,stars,label",
  ...Array.from(
    { length: 30 },
    (_, i) => `B0${1000 + i},review number ${i} says something,${(i % 5) + 1},${["pos", "neg", "mixed"][i % 3]}`,
  ),
].join("\n");

function upload(csv: string | Uint8Array, form: Record<string, string> = fields, headers = owner.auth) {
  return call(datasetsRoute.POST, { method: "POST", headers, body: csvForm(csv, form) });
}

function storedFiles(): string[] {
  const root = join(server.config.home, "blobs");
  return existsSync(root)
    ? readdirSync(root, { recursive: true })
        .map(String)
        .filter((p) => p.endsWith(".csv"))
    : [];
}

describe("POST /api/v1/datasets", () => {
  it("stores the Rotten Tomatoes fixture with its split, label counts and default budget", async () => {
    const csv = readFileSync(ROTTEN_TOMATOES_CSV);
    const labels = [
      { value: "fresh", description: "a positive review" },
      { value: "rotten", description: "a negative review" },
    ];
    const { status, body } = await upload(csv, {
      name: "rt",
      textColumn: "review",
      labelColumn: "label",
      labels: JSON.stringify(labels),
      subject: "  movie review snippet ",
    });
    expect(status).toBe(201);
    expect(body).toMatchObject({ name: "rt", textColumn: "review", labelColumn: "label", delimiter: "," });
    expect(body).toMatchObject({ labels, subject: "movie review snippet", syntheticColumns: [] });
    expect(body.rowsOutsideLabelSet).toEqual({ train: 0, holdout: 0 });
    expect(body.trainRows + body.holdoutRows).toBe(600);
    expect(body.holdoutRows).toBe(120);
    expect(Object.keys(body.labelCounts).sort()).toEqual(["fresh", "rotten"]);
    expect(body.budget).toMatchObject({ epsilonTotal: 10, spent: 0, reserved: 0, remaining: 10 });
    const row = await server.ctx.prisma.dataset.findUniqueOrThrow({ where: { id: body.id } });
    expect(row.splitSeed).toBe(body.splitSeed);
    expect(await server.ctx.blobs.size(row.trainBlobKey)).toBeGreaterThan(1000);
    const trail = await server.ctx.prisma.auditEvent.findMany({ where: { subjectId: body.id } });
    expect(trail.map((event) => [event.action, event.actorId])).toEqual([["dataset.upload", owner.id]]);
  });

  const refused: [string, string | Uint8Array, Record<string, string>, number, string, RegExp][] = [
    [
      "no header",
      `${"zebracorn ".repeat(30)},pos\n${smallCsv(20).split("\n").slice(1).join("\n")}`,
      fields,
      400,
      "no_header",
      /does not look like a header/,
    ],
    ["ragged rows", `${smallCsv(20)}a,b,c\n`, fields, 400, "ragged_rows", /Line 22 has 3 fields but the header has 2/],
    [
      "a binary file",
      Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 13, 0x49, 0x48]),
      fields,
      400,
      "binary_file",
      /looks binary/,
    ],
    [
      "an empty label column",
      smallCsv(20).replaceAll(/,(pos|neg)$/gm, ","),
      fields,
      400,
      "empty_labels",
      /is empty\. Choose the column/,
    ],
    ["one label class", smallCsv(20).replaceAll(",pos", ",neg"), fields, 400, "one_label_class", /single class/],
    [
      "an unknown column",
      smallCsv(20),
      { ...fields, labelColumn: "stars" },
      400,
      "unknown_column",
      /no column named "stars".*header has: text, label/,
    ],
    [
      "a file over the limit",
      `text,label\n${"zebracorn words,pos\n".repeat(60_000)}`,
      fields,
      413,
      "too_large",
      /larger than the 1 MB upload limit/,
    ],
    [
      "a missing name",
      smallCsv(20),
      { textColumn: "text", labelColumn: "label", labels: LABELS },
      400,
      "validation_failed",
      /name/,
    ],
    [
      "no declared label set",
      smallCsv(20),
      { name: "x", textColumn: "text", labelColumn: "label" },
      400,
      "validation_failed",
      /^Invalid form: labels: give a list of \{"value", "description"\}, at least two as JSON\.$/,
    ],
    [
      "a label set that is not JSON",
      smallCsv(20),
      { ...fields, labels: "pos, neg" },
      400,
      "validation_failed",
      /labels: must be JSON: a list of \{"value", "description"\}/,
    ],
    [
      "an empty label set",
      smallCsv(20),
      { ...fields, labels: "[]" },
      400,
      "validation_failed",
      /labels: declare at least two labels/,
    ],
    [
      "a single declared label",
      smallCsv(20),
      { ...fields, labels: JSON.stringify([{ value: "pos" }]) },
      400,
      "validation_failed",
      /labels: declare at least two labels/,
    ],
    [
      "a duplicated label",
      smallCsv(20),
      { ...fields, labels: JSON.stringify([{ value: "pos" }, { value: "neg" }, { value: " pos" }]) },
      400,
      "validation_failed",
      /labels: label values must be unique/,
    ],
    [
      "a label without a value",
      smallCsv(20),
      { ...fields, labels: JSON.stringify([{ value: "pos" }, { value: " ", description: "blank" }]) },
      400,
      "validation_failed",
      /labels\.1\.value: a label needs a value/,
    ],
    [
      "a declared label the file does not hold",
      smallCsv(20),
      { ...fields, labels: JSON.stringify([{ value: "pos" }, { value: "negative" }]) },
      400,
      "unknown_label",
      /^labels: "negative" is not a value of the label column "label"/,
    ],
    [
      "a column to synthesise that is not in the header",
      smallCsv(20),
      { ...fields, columns: JSON.stringify(["stars"]) },
      400,
      "unknown_column",
      /no column named "stars" to use as the column to synthesise \(columns\)/,
    ],
    [
      "the label column as a column to synthesise",
      smallCsv(20),
      { ...fields, columns: JSON.stringify(["label"]) },
      400,
      "bad_options",
      /^columns: "label" is the label column, which is always synthesised/,
    ],
    [
      "a column to synthesise named twice",
      PRODUCTS,
      { ...fields, columns: JSON.stringify(["stars", "stars"]) },
      400,
      "validation_failed",
      /columns: name each column once/,
    ],
    [
      "a subject over 200 characters",
      smallCsv(20),
      { ...fields, subject: "s".repeat(201) },
      400,
      "validation_failed",
      /subject: /,
    ],
  ];

  it.each(refused)(
    "refuses %s with a message that says what to fix, storing nothing",
    async (_case, csv, form, status, code, message) => {
      const logged: string[] = [];
      for (const method of ["error", "warn", "log", "info"] as const) {
        vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
          logged.push(args.map(String).join(" "));
        });
      }
      const datasetsBefore = await server.ctx.prisma.dataset.count();
      const blobsBefore = storedFiles();
      const answer = await upload(csv, form);
      expect(answer.status).toBe(status);
      expect(answer.body.error.code).toBe(code);
      expect(answer.body.error.message).toMatch(message);
      expect(answer.body.error.message).not.toMatch(/zebracorn|review number|something/);
      expect(await server.ctx.prisma.dataset.count()).toBe(datasetsBefore);
      expect(storedFiles()).toEqual(blobsBefore);
      expect(readdirSync(join(server.config.home, "tmp"))).toEqual([]);
      // Raw records reach neither the answer (checked above) nor the logs.
      expect(logged.join("\n")).not.toMatch(/zebracorn|review number/);
      vi.restoreAllMocks();
    },
  );

  it("keeps rows with an undeclared label but counts them, defaults descriptions to the value, stores the columns", async () => {
    const labels = JSON.stringify([{ value: "pos", description: "praise for the product" }, { value: "neg" }]);
    const { status, body } = await upload(PRODUCTS, { ...fields, labels, columns: JSON.stringify(["stars"]) });
    expect(status).toBe(201);
    expect(body.labels).toEqual([
      { value: "pos", description: "praise for the product" },
      { value: "neg", description: "neg" },
    ]);
    expect(body).toMatchObject({ subject: "record", syntheticColumns: ["stars"] });
    expect(body.rowsOutsideLabelSet.train + body.rowsOutsideLabelSet.holdout).toBe(10);
    expect(body.columns.find((column: { name: string }) => column.name === "product").idLike).toBe(true);
    const row = await server.ctx.prisma.dataset.findUniqueOrThrow({ where: { id: body.id } });
    expect(row.trainRowsOutsideLabels).toBe(body.rowsOutsideLabelSet.train);
    const trail = await server.ctx.prisma.auditEvent.findFirstOrThrow({ where: { subjectId: body.id } });
    expect(trail.detail).toMatchObject({ labels: 2, syntheticColumns: ["stars"] });
  });

  it("lets the owner declare no labels and have each job find them with DP, keeping every row", async () => {
    const { name, textColumn, labelColumn } = fields;
    const form = { name, textColumn, labelColumn, labelSource: "dp-histogram" };
    const { status, body } = await upload(PRODUCTS, form);
    expect(status).toBe(201);
    expect(body).toMatchObject({ labelSource: "dp-histogram", labels: [] });
    // Nothing is outside a set nobody declared; the detected labels are the owner's to see, as ever.
    expect(body.rowsOutsideLabelSet).toEqual({ train: 0, holdout: 0 });
    expect(Object.keys(body.labelCounts).sort()).toEqual(["mixed", "neg", "pos"]);
    const row = await server.ctx.prisma.dataset.findUniqueOrThrow({ where: { id: body.id } });
    expect(row.labelSource).toBe("dp-histogram");
    // The default stays "declared": an upload with labels says so.
    const declared = await upload(PRODUCTS, { ...fields, name: "declared" });
    expect(declared.body).toMatchObject({ labelSource: "declared", labels: [{ value: "pos" }, { value: "neg" }] });
  });

  it("refuses declared labels beside the DP choice, and an unknown label source", async () => {
    const datasetsBefore = await server.ctx.prisma.dataset.count();
    const both = await upload(PRODUCTS, { ...fields, labelSource: "dp-histogram" });
    expect(both.status).toBe(400);
    expect(both.body.error.message).toMatch(
      /labels: a label set found with differential privacy .* takes no declared labels/,
    );
    const unknown = await upload(PRODUCTS, { ...fields, labelSource: "guess" });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toMatch(/labelSource/);
    expect(await server.ctx.prisma.dataset.count()).toBe(datasetsBefore);
  });

  it("refuses a request without a file", async () => {
    const form = new FormData();
    form.set("name", "x");
    const answer = await call(datasetsRoute.POST, { method: "POST", headers: owner.auth, body: form });
    expect(answer.status).toBe(400);
    expect(answer.body.error.message).toMatch(/no `file` field/);
  });
});

describe("POST /api/v1/datasets/preview", () => {
  it("answers the format, typed columns, first rows and proposed columns without storing anything", async () => {
    const csv = `id;review;label\n${Array.from({ length: 12 }, (_, i) => `${i};a long enough review text number ${i};${i % 2 ? "good" : "bad"}`).join("\n")}\n`;
    const before = storedFiles();
    const { status, body } = await call(previewRoute.POST, {
      method: "POST",
      headers: owner.cookie,
      body: csvForm(csv, {}),
    });
    expect(status).toBe(200);
    expect(body).toMatchObject({
      delimiter: ";",
      header: ["id", "review", "label"],
      rows: 12,
      proposed: { textColumn: "review", labelColumn: "label" },
    });
    expect(body.columns.map((c: { type: string }) => c.type)).toEqual(["integer", "text", "category"]);
    expect(body.columns[2].values).toEqual({ bad: 6, good: 6 });
    expect(body.preview).toHaveLength(5);
    expect(storedFiles()).toEqual(before);
  });

  it("shows the owner the detected labels and marks ID-like columns, proposing the others for synthesis", async () => {
    const { status, body } = await call(previewRoute.POST, {
      method: "POST",
      headers: owner.cookie,
      body: csvForm(PRODUCTS, {}),
    });
    expect(status).toBe(200);
    expect(body.columns.map((c: { name: string; idLike: boolean }) => [c.name, c.idLike])).toEqual([
      ["product", true],
      ["text", false],
      ["stars", false],
      ["label", false],
    ]);
    expect(body.columns[3].values).toEqual({ pos: 10, neg: 10, mixed: 10 });
    expect(body.proposed).toEqual({ textColumn: "text", labelColumn: "label", syntheticColumns: ["stars"] });
  });
});

describe("GET and PUT budget", () => {
  it("lists the owner's datasets, shows one with its ledger, and lets an admin set the budget", async () => {
    const { body: created } = await upload(smallCsv(30));
    const list = await call(datasetsRoute.GET, { headers: owner.auth });
    expect(list.body.datasets.map((d: { id: string }) => d.id)).toContain(created.id);
    const one = await call(datasetRoute.GET, { headers: owner.auth, params: { id: created.id } });
    expect(one.body).toMatchObject({ id: created.id, ledger: [], owner: { id: owner.id } });
    const admin = await server.user("ADMIN");
    const put = await call(budgetRoute.PUT, {
      method: "PUT",
      headers: admin.auth,
      params: { id: created.id },
      json: { epsilonTotal: 4, reason: "  one more study this quarter " },
    });
    expect(put.status).toBe(200);
    expect(put.body.budget).toMatchObject({ epsilonTotal: 4, remaining: 4 });
    // The audit trail keeps the old total beside the new one, and why.
    const change = await server.ctx.prisma.auditEvent.findFirstOrThrow({
      where: { subjectId: created.id, action: "dataset.budget" },
    });
    expect(change.detail).toMatchObject({ epsilonTotal: "10 → 4", reason: "one more study this quarter" });
    const denied = await call(budgetRoute.PUT, {
      method: "PUT",
      headers: owner.auth,
      params: { id: created.id },
      json: { epsilonTotal: 40 },
    });
    expect(denied.status).toBe(403);
  });
});

describe("a re-upload of the same file", () => {
  it("shares the first upload's budget and ledger, whoever uploads it, so the budget cannot be reset", async () => {
    const csv = smallCsv(26).replace("review number 0", "a file uploaded twice");
    const { body: first } = await upload(csv, { ...fields, name: "first" });
    const jobs = await import("../../../app/api/v1/jobs/route.ts");
    const job = await call(jobs.POST, {
      method: "POST",
      headers: owner.auth,
      json: { datasetId: first.id, model: "tiny-gpt2", epsilon: 2, syntheticRows: 10, labelMix: { kind: "uniform" } },
    });
    expect(job.status).toBe(201);

    const someoneElse = await server.user("OWNER");
    const { status, body: second } = await upload(
      csv,
      { ...fields, name: "second", holdoutFraction: "0.3" },
      someoneElse.auth,
    );
    expect(status).toBe(201);
    expect(second.id).not.toBe(first.id);
    expect(second.budget).toMatchObject({ epsilonTotal: 10, reserved: 2, remaining: 8, sharedBy: 2 });
    const detail = await call(datasetRoute.GET, { headers: someoneElse.auth, params: { id: second.id } });
    expect(detail.body.ledger).toMatchObject([{ kind: "RESERVE", jobId: job.body.id, datasetId: first.id }]);
    const trail = await server.ctx.prisma.auditEvent.findFirstOrThrow({ where: { subjectId: second.id } });
    expect(trail.detail).toMatchObject({ sharedLedger: true });

    // An admin's budget is the ledger's: set on one upload, it holds for both.
    const admin = await server.user("ADMIN");
    await call(budgetRoute.PUT, {
      method: "PUT",
      headers: admin.auth,
      params: { id: second.id },
      json: { epsilonTotal: 5 },
    });
    const again = await call(datasetRoute.GET, { headers: owner.auth, params: { id: first.id } });
    expect(again.body.budget).toMatchObject({ epsilonTotal: 5, remaining: 3, sharedBy: 2 });

    // One byte more is another file, with a budget of its own.
    const { body: other } = await upload(`${csv}one more row says something,pos\n`, { ...fields, name: "other" });
    expect(other.budget).toMatchObject({ epsilonTotal: 10, reserved: 0, sharedBy: 1 });
  });
});
