export * from "./client.ts";
export * from "./generated/enums.ts";
export * from "./ledger.ts";
