import { existsSync, readFileSync } from "node:fs";

/**
 * @typedef {{ name: string, email: string, password?: string, role?: string }} Account
 */

/**
 * The accounts in the seed's credentials.json: every object in it that has an `email`, named by its `role` or the
 * key it sits under. Reading by shape keeps this independent of how the seed nests them.
 * @param {string} file
 * @returns {Account[]}
 */
export function readAccounts(file) {
  if (!existsSync(file)) return [];
  /** @type {Account[]} */
  const accounts = [];
  /** @type {(value: any, key: string) => void} */
  const visit = (value, key) => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item, key);
    } else if (value && typeof value === "object") {
      if (typeof value.email === "string") {
        accounts.push({
          name: typeof value.role === "string" ? value.role : key,
          email: value.email,
          ...(typeof value.password === "string" ? { password: value.password } : {}),
          ...(typeof value.role === "string" ? { role: value.role } : {}),
        });
      }
      for (const [childKey, child] of Object.entries(value)) visit(child, childKey);
    }
  };
  visit(JSON.parse(readFileSync(file, "utf8")), "account");
  return accounts;
}

/**
 * The seeded administrator: the account whose role or key says admin.
 * @param {string} file
 */
export function adminAccount(file) {
  const admin = readAccounts(file).find((account) => /admin/i.test(account.role ?? account.name));
  if (!admin?.password) throw new Error(`${file} holds no admin account with a password: has the seed run?`);
  return admin;
}
