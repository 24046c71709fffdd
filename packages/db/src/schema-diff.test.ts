import { describe, expect, it } from "vitest";
import { schemaDiffSql } from "./schema-diff.ts";

describe("prisma/schema.prisma", () => {
  it("has a migration for every change (run `npm run db:migration:new -- <name>` when this fails)", () => {
    const statements = schemaDiffSql()
      .split("\n")
      .filter((line) => line.trim() && !line.trim().startsWith("--"));
    expect(statements).toEqual([]);
  });
});
