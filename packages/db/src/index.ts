export * from "./client.ts";
export * from "./generated/enums.ts";
export * from "./job-lifecycle.ts";
export * from "./ledger.ts";
