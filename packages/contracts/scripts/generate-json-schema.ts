import { writeFileSync } from "node:fs";
import { jsonSchemaFiles } from "../src/json-schemas.ts";

const dir = new URL("../schema/", import.meta.url);
for (const [name, schema] of Object.entries(jsonSchemaFiles())) {
  writeFileSync(new URL(name, dir), `${JSON.stringify(schema, null, 2)}\n`);
}
