import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { ZJobSpec } from "./job-spec.ts";
import { jsonSchemaFiles } from "./json-schemas.ts";
import { ZReport } from "./report.ts";
import { ZTrainerEvent } from "./trainer-events.ts";

const fixtures = new URL("../fixtures/", import.meta.url);
const schemas: Record<string, z.ZodType> = { "job-spec": ZJobSpec, "trainer-event": ZTrainerEvent, report: ZReport };

type TPatch = { base: string; set?: Record<string, unknown>; delete?: string[] };

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(new URL(path, fixtures), "utf8"));
}

/** A fixture, with a patch fixture (see fixtures/README.md) applied to the valid document it names. */
function resolve(data: unknown): unknown {
  if (typeof data !== "object" || data === null || !("base" in data)) return data;
  const patch = data as TPatch;
  const doc = readJson(`valid/${patch.base}`) as Record<string, unknown>;
  const walk = (path: string) => {
    const keys = path.split(".");
    const last = keys.pop() as string;
    const parent = keys.reduce((node, key) => node[key] as Record<string, unknown>, doc);
    return { parent, last };
  };
  for (const [path, value] of Object.entries(patch.set ?? {})) {
    const { parent, last } = walk(path);
    parent[last] = value;
  }
  for (const path of patch.delete ?? []) {
    const { parent, last } = walk(path);
    delete parent[last];
  }
  return doc;
}

function load(kind: "valid" | "invalid") {
  return readdirSync(new URL(`${kind}/`, fixtures)).map((file) => {
    const contract = file.split(".")[0] as string;
    const schema = schemas[contract];
    if (!schema) throw new Error(`fixture ${file} names no contract`);
    return { file, schema, data: resolve(readJson(`${kind}/${file}`)) };
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
