import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const rooms = ["packages/contracts", "packages/db", "packages/datasets", "services/control", "apps/web"];

/**
 * apps/web runs its server modules outside Next here: `server-only` throws outside the react-server
 * condition, so it resolves to its empty module, and `@/` is the app's tsconfig path alias.
 */
const roomResolve: Record<string, { alias: Record<string, string> }> = {
  "apps/web": {
    alias: {
      "server-only": fileURLToPath(new URL("node_modules/server-only/empty.js", import.meta.url)),
      "@/": fileURLToPath(new URL("apps/web/src/", import.meta.url)),
    },
  },
};

// One vitest run covers every TypeScript room. Tests talk to real PostgreSQL and Redis, hence the timeouts.
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      ...rooms.map((root) => ({
        extends: true,
        resolve: roomResolve[root],
        test: { name: root.split("/")[1], root, include: ["src/**/*.test.ts", "scripts/**/*.test.ts"] },
      })),
      // The bootstrap's own logic (scripts/lib); the browser tests in apps/web/e2e have a config of their own.
      { extends: true, test: { name: "scripts", root: "scripts", include: ["lib/**/*.test.ts"] } },
    ],
  },
});
