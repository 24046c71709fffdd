import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate, readMigrations } from "./migrations.ts";
import { createTestDatabase, type TestDatabase } from "./testing.ts";

describe("migrations", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => db.drop());

  it("creates every table of the data model", async () => {
    const tables = await db.prisma.$queryRawUnsafe<{ table_name: string }[]>(
      `SELECT table_name::text FROM information_schema.tables WHERE table_schema = '${db.schema}' ORDER BY 1`,
    );
    expect(tables.map((t) => t.table_name)).toEqual(
      expect.arrayContaining([
        "User",
        "Dataset",
        "Job",
        "LedgerEntry",
        "MetricPoint",
        "Artifact",
        "AuditEvent",
        "ApiToken",
        "Approval",
      ]),
    );
  });

  it("applies nothing the second time", async () => {
    expect(await migrate({ url: db.url, schema: db.schema })).toEqual([]);
  });

  it("names migrations so they sort in the order they were written", () => {
    const names = readMigrations().map((m) => m.name);
    expect(names).toEqual([...names].sort());
    expect(names[0]).toMatch(/^\d{14}_/);
  });
});
