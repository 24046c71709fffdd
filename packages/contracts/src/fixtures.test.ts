import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { ZJobSpec } from "./job-spec.ts";
import { jsonSchemaFiles } from "./json-schemas.ts";
import { ZReport } from "./report.ts";
import { ZTrainerEvent } from "./trainer-events.ts";

const fixtures = new URL("../fixtures/", import.meta.url);
const schemas: Record<string, z.ZodType> = { "job-spec": ZJobSpec, "trainer-event": ZTrainerEvent, report: ZReport };

function load(kind: "valid" | "invalid") {
  return readdirSync(new URL(`${kind}/`, fixtures)).map((file) => {
    const contract = file.split(".")[0] as string;
    const schema = schemas[contract];
    if (!schema) throw new Error(`fixture ${file} names no contract`);
    return { file, schema, data: JSON.parse(readFileSync(new URL(`${kind}/${file}`, fixtures), "utf8")) };
  });
}

describe("shared contract fixtures (the trainer's pytest reads the same files)", () => {
  it.each(load("valid"))("accepts $file", ({ schema, data }) => {
    expect(schema.safeParse(data).error).toBeUndefined();
  });
  it.each(load("invalid"))("rejects $file", ({ schema, data }) => {
    expect(schema.safeParse(data).success).toBe(false);
  });
});

describe("generated JSON Schema", () => {
  it.each(Object.entries(jsonSchemaFiles()))(
    "schema/%s is up to date (run `npm run contracts:generate`)",
    (name, schema) => {
      const committed = JSON.parse(readFileSync(new URL(`../schema/${name}`, import.meta.url), "utf8"));
      expect(committed).toEqual(JSON.parse(JSON.stringify(schema)));
    },
  );
});
