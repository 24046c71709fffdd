import { defineConfig } from "vitest/config";

const rooms = ["packages/contracts", "packages/db", "packages/datasets", "services/control", "apps/web"];

// One vitest run covers every TypeScript room. Tests talk to real PostgreSQL and Redis, hence the timeouts.
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: rooms.map((root) => ({
      extends: true,
      test: { name: root.split("/")[1], root, include: ["src/**/*.test.ts", "scripts/**/*.test.ts"] },
    })),
  },
});
