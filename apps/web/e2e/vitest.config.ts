import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Browser tests against a running stack (E2E_BASE_URL), kept out of the root config so that a plain `vitest run`
// never needs one; `npm test` runs them after starting the stack.
export default defineConfig({
  test: {
    name: "e2e",
    root: fileURLToPath(new URL(".", import.meta.url)),
    include: ["**/*.e2e.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
