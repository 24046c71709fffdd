import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Attacks and faults against the running stack (E2E_BASE_URL), after the e2e suite: one file at a time, because
// the fault tests stop and restart the stack's own PostgreSQL, Redis and trainer.
export default defineConfig({
  test: {
    name: "hardening",
    root: fileURLToPath(new URL(".", import.meta.url)),
    include: ["**/*.hardening.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
