import { join } from "node:path";
import { adminAccount, readAccounts } from "../../../../scripts/lib/credentials.mjs";

/** Where the stack under test answers and where screenshots go; `npm test` sets both. */
export function e2eEnv(): { baseUrl: string; artifactsDir: string } {
  const baseUrl = process.env.E2E_BASE_URL;
  const artifactsDir = process.env.E2E_ARTIFACTS_DIR;
  if (!baseUrl || !artifactsDir) {
    throw new Error("E2E_BASE_URL and E2E_ARTIFACTS_DIR are not set: run the e2e suite through `npm test`.");
  }
  return { baseUrl: baseUrl.replace(/\/$/, ""), artifactsDir };
}

/** The administrator the seed created for the stack under test (its credentials.json is in DPSYNTH_HOME). */
export function seededAdmin(): { email: string; password: string } {
  const home = process.env.DPSYNTH_HOME;
  if (!home) throw new Error("DPSYNTH_HOME is not set: run the e2e suite through `npm test`.");
  const admin = adminAccount(join(home, "credentials.json"));
  return { email: admin.email, password: admin.password ?? "" };
}

/** The seeded data owner of the stack under test (its credentials.json sits in DPSYNTH_HOME). */
export function seededOwner(): { email: string; password: string } {
  const home = process.env.DPSYNTH_HOME;
  if (!home) throw new Error("DPSYNTH_HOME is not set: run the e2e suite through `npm test`.");
  const owner = readAccounts(join(home, "credentials.json")).find((account) =>
    /owner/i.test(account.role ?? account.name),
  );
  if (!owner?.password) throw new Error("credentials.json holds no owner account with a password: has the seed run?");
  return { email: owner.email, password: owner.password };
}
