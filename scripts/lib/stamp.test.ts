import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { hashPaths, stamp } from "./stamp.mjs";

const tree = () => {
  const root = mkdtempSync(join(tmpdir(), "dpsynth-stamp-"));
  mkdirSync(join(root, "app/e2e"), { recursive: true });
  mkdirSync(join(root, "app/.next"), { recursive: true });
  writeFileSync(join(root, "app/page.tsx"), "one");
  writeFileSync(join(root, "app/e2e/login.e2e.ts"), "test");
  return root;
};

describe("hashPaths", () => {
  it("changes when a source changes, is added, or a listed path appears", () => {
    const root = tree();
    const before = hashPaths(root, ["app", "lock.json"]);
    expect(hashPaths(root, ["app", "lock.json"])).toBe(before);
    writeFileSync(join(root, "app/page.tsx"), "two");
    const edited = hashPaths(root, ["app", "lock.json"]);
    expect(edited).not.toBe(before);
    writeFileSync(join(root, "lock.json"), "{}");
    expect(hashPaths(root, ["app", "lock.json"])).not.toBe(edited);
  });

  it("ignores build outputs and excluded paths", () => {
    const root = tree();
    const before = hashPaths(root, ["app"], ["app/e2e"]);
    writeFileSync(join(root, "app/.next/BUILD_ID"), "x");
    writeFileSync(join(root, "app/tsconfig.tsbuildinfo"), "{}");
    writeFileSync(join(root, "app/e2e/login.e2e.ts"), "changed test");
    expect(hashPaths(root, ["app"], ["app/e2e"])).toBe(before);
  });
});

describe("stamp", () => {
  it("is current only for the hash last recorded", () => {
    const built = stamp(join(mkdtempSync(join(tmpdir(), "dpsynth-stamp-")), "stamps/web"));
    expect(built.isCurrent("abc")).toBe(false);
    built.record("abc");
    expect(built.isCurrent("abc")).toBe(true);
    expect(built.isCurrent("abd")).toBe(false);
  });
});
