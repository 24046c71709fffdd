import { mkdtempSync, rmSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileBlobStore } from "@dpsynth/datasets";
import { compare } from "bcryptjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashToken } from "./api-tokens.ts";
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
    });
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
    await expect(seed({ ...options(), fixture: "/nonexistent/rt.csv" })).rejects.toThrow(
      /fixture is missing: \/nonexistent\/rt.csv/,
    );
  });
});
