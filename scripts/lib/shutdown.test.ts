import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "./repo.mjs";

const { scripts } = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8"));

describe("stopping npm start", () => {
  it.each(["start", "test"])(
    "a SIGINT sent to the `npm %s` process alone stops everything it started",
    async (name) => {
      const dir = mkdtempSync(join(tmpdir(), "dpsynth-npm-"));
      const marker = join(dir, "stopped");
      // The real script line, with the real stop handling, around a stand-in for start.mjs / test.mjs.
      writeFileSync(
        join(dir, "app.mjs"),
        `import { writeFileSync } from "node:fs";
import { onShutdown, stopOnSignals } from ${JSON.stringify(join(REPO_ROOT, "scripts/lib/shutdown.mjs"))};
onShutdown("servers", () => writeFileSync(${JSON.stringify(marker)}, "yes"));
stopOnSignals();
console.log("ready");
setInterval(() => {}, 1000);
`,
      );
      const script = (scripts[name] as string).replace(/scripts\/(start|test)\.mjs/, "app.mjs");
      writeFileSync(
        join(dir, "package.json"),
        JSON.stringify({ name: "x", version: "1.0.0", scripts: { up: script } }),
      );
      const npm = spawn("npm", ["run", "--silent", "up"], {
        cwd: dir,
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
      });
      await new Promise<void>((resolve) =>
        npm.stdout.on("data", (chunk) => String(chunk).includes("ready") && resolve()),
      );
      process.kill(npm.pid as number, "SIGINT");
      for (let i = 0; i < 100 && !existsSync(marker); i++) await sleep(50);
      expect(existsSync(marker)).toBe(true);
      await sleep(500);
      expect(() => process.kill(-(npm.pid as number), 0)).toThrow(); // nothing of the group is left
    },
    30_000,
  );
});
