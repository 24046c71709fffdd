import { join } from "node:path";
import { readAccounts } from "../../../scripts/lib/credentials.mjs";

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
