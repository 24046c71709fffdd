import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { adminAccount, readAccounts } from "./credentials.mjs";

const file = (content: unknown) => {
  const path = join(mkdtempSync(join(tmpdir(), "dpsynth-credentials-")), "credentials.json");
  writeFileSync(path, JSON.stringify(content));
  return path;
};

describe("readAccounts", () => {
  it("finds accounts keyed by name", () => {
    const path = file({
      admin: { email: "admin@x.test", password: "a", apiToken: "t1" },
      owner: { email: "owner@x.test", password: "b" },
    });
    expect(readAccounts(path).map((account) => [account.name, account.email])).toEqual([
      ["admin", "admin@x.test"],
      ["owner", "owner@x.test"],
    ]);
    expect(adminAccount(path)).toMatchObject({ email: "admin@x.test", password: "a" });
  });

  it("finds accounts in a list, named by their role", () => {
    const path = file({
      accounts: [
        { role: "OWNER", email: "o@x.test", password: "b" },
        { role: "ADMIN", email: "a@x.test", password: "c" },
      ],
    });
    expect(adminAccount(path)).toMatchObject({ email: "a@x.test", password: "c", role: "ADMIN" });
  });

  it("has no accounts before the seed has run, and says so when the admin is wanted", () => {
    const path = join(tmpdir(), "dpsynth-no-such-dir", "credentials.json");
    expect(readAccounts(path)).toEqual([]);
    expect(() => adminAccount(path)).toThrow(/has the seed run/);
  });
});
