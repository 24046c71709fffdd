import { PrismaPg } from "@prisma/adapter-pg";
import { defineConfig } from "prisma/config";

// The JS engine keeps the Prisma CLI off the network: the classic engine downloads a schema-engine
// binary, which these machines cannot fetch. Only `prisma generate` and schema-to-schema
// `prisma migrate diff` are used; migrations are applied by packages/db (see migrations.ts), because
// the WASM engine's `migrate deploy` fails on PostgreSQL's `name` type (prisma/orm#27403).
export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  adapter: async () => new PrismaPg({ connectionString: process.env.DATABASE_URL ?? "postgresql://localhost/unused" }),
});
