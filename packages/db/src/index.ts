export * from "./client.ts";
export * from "./generated/enums.ts";
export * from "./ledger.ts";
export { migrate } from "./migrations.ts";
