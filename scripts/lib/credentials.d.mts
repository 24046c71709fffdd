// Types for TypeScript callers (the e2e support), which may not compile JavaScript.
export interface Account {
  name: string;
  email: string;
  password?: string;
  role?: string;
}
export function readAccounts(file: string): Account[];
export function adminAccount(file: string): Account;
