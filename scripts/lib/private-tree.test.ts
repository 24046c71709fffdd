import { chmodSync, mkdirSync, mkdtempSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { privateTree } from "./private-tree.mjs";

const mode = (path: string) => statSync(path).mode & 0o777;

describe("privateTree", () => {
  it("closes what an older run left open: directories 0700, files 0600, links untouched", () => {
    const root = mkdtempSync(join(tmpdir(), "dpsynth-private-"));
    const outside = join(mkdtempSync(join(tmpdir(), "dpsynth-outside-")), "shared.txt");
    mkdirSync(join(root, "redis/appendonlydir"), { recursive: true });
    // Modes set explicitly, whatever the umask of the process running the test (npm test's is 077).
    for (const [path, mode] of [
      [outside, 0o644],
      [join(root, "redis/appendonlydir/a.aof"), 0o644],
      [join(root, "redis/redis.log"), 0o666],
    ] as const) {
      writeFileSync(path, "x");
      chmodSync(path, mode);
    }
    for (const dir of [root, join(root, "redis"), join(root, "redis/appendonlydir")]) chmodSync(dir, 0o755);
    symlinkSync(outside, join(root, "link"));
    privateTree(root);
    privateTree(join(root, "missing"));
    expect([root, join(root, "redis"), join(root, "redis/appendonlydir")].map(mode)).toEqual([0o700, 0o700, 0o700]);
    expect([join(root, "redis/appendonlydir/a.aof"), join(root, "redis/redis.log")].map(mode)).toEqual([0o600, 0o600]);
    expect(mode(outside)).toBe(0o644);
  });
});
