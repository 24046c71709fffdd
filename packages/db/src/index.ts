export * from "./client.ts";
export * from "./generated/enums.ts";
export { migrate } from "./migrations.ts";
