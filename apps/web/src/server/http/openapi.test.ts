import { describe, expect, it } from "vitest";
import { call } from "../testing.ts";
import { ENDPOINTS } from "./endpoints.ts";
import { endpointEntries, routeFiles } from "./route-files.ts";

const handlers = routeFiles(import.meta.glob("../../../app/api/v1/**/route.ts", { eager: true }));

type TOperation = {
  operationId: string;
  parameters: { name: string; in: string }[];
  responses: Record<string, unknown>;
};

function refs(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) refs(item, found);
  else if (value && typeof value === "object") {
    for (const [key, inner] of Object.entries(value)) {
      if (key === "$ref" && typeof inner === "string") found.push(inner);
      else refs(inner, found);
    }
  }
  return found;
}

describe("GET /api/v1/openapi.json", async () => {
  const { status, body: doc } = await call(handlers.get("GET /openapi.json"));

  it("is served to anyone as an OpenAPI 3.1 document", () => {
    expect(status).toBe(200);
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.info.title).toBeTruthy();
    expect(doc.components.schemas.Error.properties.error.properties.code.enum).toContain("over_budget");
  });

  it("documents every route file, and every documented route has a file", () => {
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual([...handlers.keys()].sort());
    expect(documented).toHaveLength(Object.keys(ENDPOINTS).length);
  });

  it("has unique operation ids, path parameters matching each template, responses, and resolvable refs", () => {
    const ids = new Set<string>();
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, TOperation>>)) {
      const template = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      for (const op of Object.values(ops)) {
        expect(ids.has(op.operationId)).toBe(false);
        ids.add(op.operationId);
        expect(op.parameters.filter((p) => p.in === "path").map((p) => p.name)).toEqual(template);
        expect(Object.keys(op.responses).some((code) => code.startsWith("2"))).toBe(true);
      }
    }
    for (const ref of refs(doc)) {
      const target = ref
        .replace(/^#\//, "")
        .split("/")
        .reduce<unknown>((node, key) => (node as Record<string, unknown>)?.[key], doc);
      expect(target, ref).toBeTruthy();
    }
  });

  it("takes request and response shapes from the zod schemas (one source)", () => {
    const create = doc.paths["/jobs"].post;
    const body = create.requestBody.content["application/json"].schema;
    expect(body.required).toEqual(expect.arrayContaining(["datasetId", "model", "epsilon", "syntheticRows"]));
    expect(body.properties.preset.enum).toEqual(["cpu", "reference", "smoke"]);
    expect(body.properties.preset.default).toBe("cpu");
    expect(Object.keys(body.properties)).toEqual(expect.arrayContaining(["labelDescriptions", "prompt"]));
    expect(create.responses["201"].content["application/json"].schema.properties.spec.properties.privacy).toBeTruthy();
    const upload = doc.paths["/datasets"].post.requestBody.content["multipart/form-data"].schema;
    // labels is required unless labelSource is "dp-histogram" (the labels are then found with DP), so not always.
    expect(upload.required).toEqual(["file", "name", "textColumn", "labelColumn"]);
    expect(upload.properties.labelSource).toMatchObject({ enum: ["declared", "dp-histogram"], default: "declared" });
    // The declared schema's fields say what they take.
    for (const field of ["labels", "subject", "columns"]) {
      expect(upload.properties[field].type, field).toBe("string");
      expect(upload.properties[field].description, field).toMatch(/\w+ \w+ \w+/);
    }
    expect(upload.properties.labels.description).toMatch(/public schema/);
    expect(endpointEntries().every(([, e]) => e.summary.length > 5)).toBe(true);
  });
});
