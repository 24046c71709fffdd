import { hash } from "bcryptjs";

/** bcrypt's work factor for every stored password: the seed's accounts, invited users and changed passwords. */
export const BCRYPT_COST = 10;

/** What is stored of a password: its bcrypt hash, never the password. */
export function hashPassword(password: string): Promise<string> {
  return hash(password, BCRYPT_COST);
}
