import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileBlobStore } from "@dpsynth/datasets";
import { compare } from "bcryptjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashToken } from "./api-tokens.ts";
import { DEMO_FIXTURE, demoCsv } from "./demo-data.ts";
import { budgetOf } from "./ledger.ts";
import { credentialsPath, DEMO_DATASET_NAME, seed } from "./seed.ts";
import { createTestDatabase, type TestDatabase } from "./testing.ts";

let db: TestDatabase;
const home = mkdtempSync(join(tmpdir(), "dpsynth-seed-"));
const options = () => ({
  prisma: db.prisma,
  blobs: new FileBlobStore(join(home, "blobs")),
  home,
  budget: { epsilon: 10, delta: 1e-5 },
});

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
  rmSync(home, { recursive: true, force: true });
});

describe("seed", () => {
  it("creates the admin, the demo owner, their tokens and the demo dataset, and writes credentials.json mode 600", async () => {
    const credentials = await seed(options());
    expect(statSync(credentialsPath(home)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(credentialsPath(home), "utf8"))).toEqual(credentials);
    const owner = await db.prisma.user.findUniqueOrThrow({ where: { email: credentials.owner.email } });
    expect(owner).toMatchObject({ role: "OWNER", epsilonAllowance: 3 });
    expect(await compare(credentials.owner.password, owner.passwordHash as string)).toBe(true);
    const admin = await db.prisma.user.findUniqueOrThrow({ where: { email: credentials.admin.email } });
    expect(admin.role).toBe("ADMIN");
    const token = await db.prisma.apiToken.findUniqueOrThrow({
      where: { tokenHash: hashToken(credentials.admin.apiToken) },
    });
    expect(token.userId).toBe(admin.id);
    const dataset = await db.prisma.dataset.findUniqueOrThrow({ where: { id: credentials.demoDatasetId } });
    expect(dataset).toMatchObject({
      ownerId: owner.id,
      name: DEMO_DATASET_NAME,
      trainRows: 480,
      holdoutRows: 120,
      textColumn: "review",
      subject: "movie review snippet",
      trainRowsOutsideLabels: 0,
    });
    // The owner's declared schema, in words, not the raw values read off the rows.
    expect(dataset.labels).toEqual([
      { value: "fresh", description: expect.stringMatching(/positive review/) },
      { value: "rotten", description: expect.stringMatching(/negative review/) },
    ]);
    expect(await budgetOf(db.prisma, dataset.id)).toMatchObject({ epsilonTotal: 10, remaining: 10 });
  });

  it("is idempotent: a second run keeps passwords, tokens and the dataset", async () => {
    const first = JSON.parse(await readFile(credentialsPath(home), "utf8"));
    const second = await seed(options());
    expect(second).toEqual(first);
    expect(await db.prisma.user.count()).toBe(2);
    expect(await db.prisma.apiToken.count()).toBe(2);
    expect(await db.prisma.dataset.count()).toBe(1);
  });

  it("replaces a revoked token and says clearly when the fixture is missing", async () => {
    const before = JSON.parse(await readFile(credentialsPath(home), "utf8"));
    await db.prisma.apiToken.updateMany({
      where: { tokenHash: hashToken(before.owner.apiToken) },
      data: { revokedAt: new Date() },
    });
    const after = await seed(options());
    expect(after.owner.apiToken).not.toBe(before.owner.apiToken);
    expect(after.owner.password).toBe(before.owner.password);
    await db.prisma.dataset.deleteMany({});
    await expect(seed({ ...options(), demoCsv: "/nonexistent/rt.csv" })).rejects.toThrow(
      /demo dataset's CSV is missing: \/nonexistent\/rt.csv/,
    );
  });
});

describe("the demo dataset", () => {
  const smaller = join(home, "rt-300.csv");

  it("replaces a demo dataset no job ran on when the CSV grew, and keeps one that has jobs", async () => {
    await db.prisma.dataset.deleteMany({});
    writeFileSync(smaller, `${readFileSync(DEMO_FIXTURE, "utf8").trim().split("\n").slice(0, 301).join("\n")}\n`);
    const first = await seed({ ...options(), demoCsv: smaller });
    const small = await db.prisma.dataset.findUniqueOrThrow({ where: { id: first.demoDatasetId } });
    expect(small.trainRows + small.holdoutRows).toBe(300);

    const second = await seed({ ...options(), demoCsv: DEMO_FIXTURE });
    expect(second.demoDatasetId).toBe(first.demoDatasetId);
    const grown = await db.prisma.dataset.findUniqueOrThrow({ where: { id: first.demoDatasetId } });
    expect(grown.trainRows + grown.holdoutRows).toBe(600);
    expect(await options().blobs.size(small.trainBlobKey)).toBeNull(); // the old split's files are gone

    const owner = await db.prisma.user.findUniqueOrThrow({ where: { email: second.owner.email } });
    await db.prisma.job.create({
      data: { datasetId: grown.id, requesterId: owner.id, spec: {}, status: "FAILED", delta: 1e-6 },
    });
    await seed({ ...options(), demoCsv: smaller });
    const kept = await db.prisma.dataset.findUniqueOrThrow({ where: { id: first.demoDatasetId } });
    expect(kept.trainBlobKey).toBe(grown.trainBlobKey);
  });

  it("declares the labels of a demo dataset that predates declared labels, keeping its rows", async () => {
    const credentials = JSON.parse(await readFile(credentialsPath(home), "utf8"));
    await db.prisma.dataset.update({ where: { id: credentials.demoDatasetId }, data: { labels: [] } });
    await seed({ ...options(), demoCsv: DEMO_FIXTURE });
    const dataset = await db.prisma.dataset.findUniqueOrThrow({ where: { id: credentials.demoDatasetId } });
    expect((dataset.labels as { value: string }[]).map((label) => label.value)).toEqual(["fresh", "rotten"]);
  });

  it("comes from the CSV the trainer built when there is one, and otherwise from the fixture with the reason", () => {
    const data = mkdtempSync(join(tmpdir(), "dpsynth-demo-"));
    try {
      const missing = demoCsv({ home: data, python: "/nonexistent/python" });
      expect(missing).toMatchObject({ path: DEMO_FIXTURE, fallback: true });
      expect(missing.description).toMatch(/600-row fixture, because the trainer's environment .* is not installed/);
      const failing = demoCsv({ home: data, python: "/bin/false" });
      expect(failing).toMatchObject({ path: DEMO_FIXTURE, fallback: true });
      expect(failing.description).toMatch(/building 2000 rows from the corpus failed/);
      mkdirSync(join(data, "data"));
      writeFileSync(join(data, "data", "rotten_tomatoes_2000.csv"), "review,label\n");
      expect(demoCsv({ home: data, python: "/bin/false" })).toMatchObject({
        path: join(data, "data", "rotten_tomatoes_2000.csv"),
        fallback: false,
      });
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  });
});
