import { describe, expect, it } from "vitest";
import { isOptionalDependency, missingFromLock } from "./node-modules.mjs";

describe("missingFromLock", () => {
  it("reads the names npm ci says the lock file lacks, scoped ones included", () => {
    const output = `npm error code EUSAGE
npm error Missing: napi-windows-process-start-time@ from lock file
npm error Missing: @scope/pkg@1.2.3 from lock file`;
    expect(missingFromLock(output)).toEqual(["napi-windows-process-start-time", "@scope/pkg"]);
  });
});

describe("isOptionalDependency", () => {
  const lock = {
    packages: {
      "node_modules/vite": { optionalDependencies: { fsevents: "~2.3.3", "win-only": "^0.1.0" } },
      "node_modules/app": { dependencies: { "left-pad": "^1.0.0", fsevents: "*" } },
    },
  };

  it("accepts a package only ever depended on optionally", () => {
    expect(isOptionalDependency(lock, "win-only")).toBe(true);
  });

  it("refuses one that something needs, or nothing mentions", () => {
    expect(isOptionalDependency(lock, "fsevents")).toBe(false);
    expect(isOptionalDependency(lock, "left-pad")).toBe(false);
    expect(isOptionalDependency(lock, "unknown")).toBe(false);
  });
});
