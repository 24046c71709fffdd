import fc from "fast-check";

/**
 * Requests generated from the OpenAPI document the stack serves: values that fit each field's schema (so a
 * request reaches past validation into the handler), mixed with values an attacker sends instead. One source: the
 * same zod schemas the routes validate with, as the document exports them.
 */

export type TSchema = {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, TSchema>;
  required?: string[];
  additionalProperties?: boolean | TSchema;
  items?: TSchema;
  anyOf?: TSchema[];
  oneOf?: TSchema[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  format?: string;
};

/** Strings that broke or probed other APIs: NULs, paths, markup, SQL, huge and odd Unicode. */
export const hostileString = fc.oneof(
  fc.constantFrom(
    "",
    "\u0000",
    "abc\u0000def",
    "../../etc/passwd",
    "/etc",
    "/proc/self/cwd",
    "%00",
    "%2e%2e%2f",
    "<script>alert(1)</script>",
    '\'; DROP TABLE "User"; --',
    "=cmd|' /C calc'!A0",
    "\ud800",
    "👍🏽".repeat(50),
    "\u202e\u0000\r\n",
    "null",
    "NaN",
    "9".repeat(400),
  ),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.nat({ max: 300_000 }).map((n) => "x".repeat(n)),
);

/** Numbers at and past every edge: what `learningRate: 1e308` and `delta: 5e-324` were. */
export const hostileNumber = fc.oneof(
  fc.constantFrom(0, -0, -1, 1e308, -1e308, 5e-324, 2 ** 53 + 1, 2 ** 31, -(2 ** 31) - 1, 1e21, 0.1 + 0.2),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
);

/** What a header can carry (visible ASCII: fetch refuses the rest before sending): huge, signed, not numbers. */
export const hostileHeader = fc.oneof(
  fc.constantFrom("", "-1", "-0", "1e308", "0x10", "NaN", "2147483648", "9".repeat(4_000), "1;2", "  7  "),
  fc.bigInt().map(String),
  fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((code) => String.fromCharCode(code)), maxLength: 40 }),
);

/** Any JSON value, nested a little: the wrong type for whatever field it lands in. */
export const anyJson = fc.oneof(
  hostileString,
  hostileNumber,
  fc.constantFrom(null, true, false, [], {}),
  fc.array(fc.oneof(hostileString, hostileNumber), { maxLength: 5 }),
  fc.dictionary(hostileString, fc.oneof(hostileString, hostileNumber), { maxKeys: 4 }),
  fc.integer({ min: 1, max: 200 }).map((depth) => JSON.parse(`${"[".repeat(depth)}${"]".repeat(depth)}`) as unknown),
);

function resolve(schema: TSchema, doc: unknown): TSchema {
  if (!schema.$ref) return schema;
  const target = schema.$ref
    .replace(/^#\//, "")
    .split("/")
    .reduce<unknown>((node, key) => (node as Record<string, unknown>)?.[key], doc);
  return (target ?? {}) as TSchema;
}

/** A value that fits `schema` (as far as JSON Schema says; zod refinements may still refuse it). */
export function fitting(schema: TSchema, doc: unknown, depth = 0): fc.Arbitrary<unknown> {
  const s = resolve(schema, doc);
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...s.enum);
  const choices = s.anyOf ?? s.oneOf;
  if (choices) return fc.oneof(...choices.map((choice) => fitting(choice, doc, depth + 1)));
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case "string":
      return fc.string({ minLength: s.minLength ?? 0, maxLength: Math.min(s.maxLength ?? 24, 24) });
    case "integer":
      return fc.integer({
        min: Math.max(s.minimum ?? -1000, Number.MIN_SAFE_INTEGER),
        max: Math.min(s.maximum ?? 1000, 1_000_000),
      });
    case "number": {
      const min = s.minimum ?? s.exclusiveMinimum ?? -1000;
      const max = Math.min(s.maximum ?? s.exclusiveMaximum ?? 1000, 1000);
      return fc.double({ min, max, noNaN: true, minExcluded: s.exclusiveMinimum !== undefined });
    }
    case "boolean":
      return fc.boolean();
    case "null":
      return fc.constant(null);
    case "array":
      return fc.array(s.items && depth < 4 ? fitting(s.items, doc, depth + 1) : fc.string(), { maxLength: 4 });
    case "object": {
      const properties = Object.entries(s.properties ?? {});
      if (properties.length === 0 || depth > 4)
        return fc.dictionary(fc.string({ maxLength: 8 }), fc.string(), { maxKeys: 3 });
      const required = new Set(s.required ?? []);
      const model = Object.fromEntries(properties.map(([name, property]) => [name, fitting(property, doc, depth + 1)]));
      return fc.record(model, { requiredKeys: properties.map(([name]) => name).filter((name) => required.has(name)) });
    }
    default:
      return anyJson;
  }
}

/** Mostly-fitting values with hostile ones mixed in at any depth: a field replaced, removed, or an unknown one added. */
export function probing(schema: TSchema, doc: unknown, depth = 0): fc.Arbitrary<unknown> {
  const s = resolve(schema, doc);
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  if (type === "object" && Object.keys(s.properties ?? {}).length > 0 && depth < 4) {
    type TEdit = (value: Record<string, unknown>) => Record<string, unknown>;
    const entries = Object.entries(s.properties ?? {});
    const edit: fc.Arbitrary<TEdit> = fc.oneof(
      ...entries.map(([name, property]) =>
        probing(property, doc, depth + 1).map(
          (inner): TEdit =>
            (value) => ({ ...value, [name]: inner }),
        ),
      ),
      fc.constantFrom(
        ...entries.map(
          ([name]): TEdit =>
            (value) =>
              Object.fromEntries(Object.entries(value).filter(([k]) => k !== name)),
        ),
      ),
      fc.tuple(hostileString, anyJson).map(
        ([key, inner]): TEdit =>
          (value) => ({ ...value, [key]: inner }),
      ),
    );
    return fc
      .tuple(
        fitting(s, doc, depth) as fc.Arbitrary<Record<string, unknown>>,
        fc.array(edit, { minLength: 1, maxLength: 3 }),
      )
      .map(([value, edits]) => edits.reduce((acc, apply) => apply(acc), value));
  }
  const fits = fitting(s, doc, depth);
  switch (type) {
    case "string":
      return fc.oneof(
        { weight: 2, arbitrary: fits },
        { weight: 3, arbitrary: hostileString },
        { weight: 1, arbitrary: anyJson },
      );
    case "number":
    case "integer":
      return fc.oneof(
        { weight: 2, arbitrary: fits },
        { weight: 3, arbitrary: hostileNumber },
        { weight: 1, arbitrary: anyJson },
      );
    default:
      return fc.oneof({ weight: 3, arbitrary: fits }, { weight: 1, arbitrary: anyJson });
  }
}
