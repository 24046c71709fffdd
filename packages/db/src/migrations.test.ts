import { randomBytes } from "node:crypto";
import pg from "pg";
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

  it("moves each existing dataset's budget and ledger entries to a ledger of its own", async () => {
    const url = process.env.DATABASE_URL as string;
    const schema = `t_${randomBytes(6).toString("hex")}`;
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      // A database as the migrations before shared ledgers left it, with a dataset, a job and its entries.
      const before = readMigrations().filter((m) => m.name < "20261201220445_shared_ledgers_and_runs");
      await client.query(`CREATE SCHEMA "${schema}"; SET search_path TO "${schema}"`);
      await client.query(
        "CREATE TABLE _dpsynth_migrations (name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
      );
      for (const m of before) {
        await client.query(m.sql);
        await client.query("INSERT INTO _dpsynth_migrations (name, checksum) VALUES ($1, $2)", [m.name, m.checksum]);
      }
      await client.query(`INSERT INTO "User" (id, email, name) VALUES ('u1', 'o@example.test', 'O')`);
      await client.query(`INSERT INTO "Dataset" (id, "ownerId", name, columns, "textColumn", "labelColumn", delimiter,
        "trainRows", "holdoutRows", "labelCounts", "holdoutFraction", "splitSeed", "trainBlobKey", "holdoutBlobKey",
        "epsilonTotal", "deltaTotal") VALUES ('d1', 'u1', 'old', '[]', 't', 'l', ',', 8, 2, '{}', 0.2, 1, 'a', 'b', 7, 1e-4)`);
      await client.query(`INSERT INTO "Job" (id, "datasetId", "requesterId", spec, status, delta)
        VALUES ('j1', 'd1', 'u1', '{}', 'SUCCEEDED', 1e-5)`);
      await client.query(`INSERT INTO "LedgerEntry" (id, "datasetId", "jobId", kind, mechanism, epsilon, delta)
        VALUES ('e1', 'd1', 'j1', 'RESERVE', 'reservation', 2, 1e-5), ('e2', 'd1', 'j1', 'CHARGE', 'dp-sgd', 1.5, 1e-5)`);

      const pending = readMigrations()
        .map((m) => m.name)
        .filter((name) => name >= "20261201220445_shared_ledgers_and_runs");
      expect(await migrate({ url, schema })).toEqual(pending);
      const { rows } = await client.query(
        `SELECT d."ledgerId", l."epsilonTotal", l."deltaTotal", l."contentSha256",
           (SELECT count(*)::int FROM "LedgerEntry" e WHERE e."ledgerId" = l.id) AS entries
         FROM "Dataset" d JOIN "Ledger" l ON l.id = d."ledgerId"`,
      );
      expect(rows).toEqual([
        { ledgerId: "ledger_d1", epsilonTotal: 7, deltaTotal: 1e-4, contentSha256: null, entries: 2 },
      ]);
    } finally {
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    }
  });
});
