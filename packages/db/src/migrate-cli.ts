import { migrate } from "./migrations.ts";

const url = process.env.DATABASE_URL;
if (!url) {
  console.error("DATABASE_URL is required: the PostgreSQL database to migrate.");
  process.exit(1);
}
const applied = await migrate({ url });
console.log(applied.length ? `applied migrations: ${applied.join(", ")}` : "database schema is up to date");
