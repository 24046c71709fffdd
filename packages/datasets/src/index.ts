export * from "./blob-store.ts";
export * from "./columns.ts";
export * from "./encoding.ts";
export * from "./errors.ts";
export * from "./ingest.ts";
export * from "./scan.ts";
export * from "./sniff.ts";
export * from "./split.ts";
