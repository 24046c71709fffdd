export * from "./catalog.ts";
export * from "./eta.ts";
export * from "./job-spec.ts";
export * from "./queue.ts";
export * from "./report.ts";
export * from "./train-queues.ts";
export * from "./trainer-events.ts";
export * from "./trainers.ts";
