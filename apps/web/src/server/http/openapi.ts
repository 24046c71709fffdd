import { z } from "zod";
import { ENDPOINTS, type TEndpoint } from "./endpoints.ts";
import { ERROR_STATUS } from "./errors.ts";

const ZErrorBody = z.object({
  error: z.object({
    code: z.enum(Object.keys(ERROR_STATUS) as [string, ...string[]]),
    message: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});

type TJsonSchema = Record<string, unknown>;

function schema(type: z.ZodType, io: "input" | "output"): TJsonSchema {
  const { $schema: _, ...rest } = z.toJSONSchema(type, { io, unrepresentable: "any" }) as TJsonSchema;
  return rest;
}

/** Path and query validators become OpenAPI parameters, one per property. */
function parameters(type: z.ZodType | undefined, where: "path" | "query") {
  if (!type) return [];
  const json = schema(type, "input") as { properties?: Record<string, TJsonSchema>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === "path" || (json.required ?? []).includes(name),
    schema: property,
  }));
}

function requestBody(endpoint: TEndpoint) {
  if (endpoint.body)
    return { required: true, content: { "application/json": { schema: schema(endpoint.body, "input") } } };
  if (!endpoint.multipart) return undefined;
  const fields = schema(endpoint.multipart, "input") as { properties?: Record<string, unknown>; required?: string[] };
  return {
    required: true,
    content: {
      "multipart/form-data": {
        schema: {
          type: "object",
          properties: { file: { type: "string", format: "binary", description: "The CSV file" }, ...fields.properties },
          required: ["file", ...(fields.required ?? [])],
        },
      },
    },
  };
}

function responses(endpoint: TEndpoint) {
  const ok = endpoint.response;
  const content =
    ok instanceof z.ZodType
      ? { "application/json": { schema: schema(ok, "output") } }
      : { [ok.mediaType]: { schema: {} } };
  const error = (description: string) => ({
    description,
    content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
  });
  return {
    [String(endpoint.status ?? 200)]: { description: ok instanceof z.ZodType ? "OK" : ok.description, content },
    ...(endpoint.access === "public" ? {} : { "401": error("Not signed in, or an unknown or revoked API token") }),
    ...(endpoint.access === "admin" ? { "403": error("Admins only") } : {}),
    "4XX": error("Refused: the message says what to fix"),
  };
}

/** The OpenAPI 3.1 document of /api/v1, built from ENDPOINTS and the zod schemas they name. */
export function openApiDocument() {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [operationId, endpoint] of Object.entries(ENDPOINTS) as [string, TEndpoint][]) {
    paths[endpoint.path] ??= {};
    (paths[endpoint.path] as Record<string, unknown>)[endpoint.method.toLowerCase()] = {
      operationId,
      summary: endpoint.summary,
      ...(endpoint.access === "public" ? { security: [] } : {}),
      ...(endpoint.access === "admin" ? { "x-dpsynth-access": "admin" } : {}),
      parameters: [...parameters(endpoint.params, "path"), ...parameters(endpoint.query, "query")],
      ...(requestBody(endpoint) ? { requestBody: requestBody(endpoint) } : {}),
      responses: responses(endpoint),
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "dpsynth API",
      version: "1",
      description: "Differentially private synthetic data. Errors have one shape: { error: { code, message } }.",
    },
    servers: [{ url: "/api/v1" }],
    security: [{ session: [] }, { apiToken: [] }],
    paths,
    components: {
      securitySchemes: {
        session: { type: "apiKey", in: "cookie", name: "next-auth.session-token" },
        apiToken: { type: "http", scheme: "bearer", description: "An API token from POST /tokens" },
      },
      schemas: { Error: schema(ZErrorBody, "output") },
    },
  };
}
