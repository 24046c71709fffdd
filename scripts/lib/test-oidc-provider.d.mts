// Types for TypeScript callers (the e2e suite), which may not compile JavaScript.
export interface TestOidcAccount {
  sub: string;
  email: string;
  emailVerified: boolean;
  name: string;
  password: string;
}
export const TEST_OIDC_CLIENT_ID: string;
export const TEST_OIDC_ACCOUNTS: TestOidcAccount[];
export function startTestOidcProvider(options: { port: number; webUrl: string }): Promise<{
  env: { OIDC_ISSUER: string; OIDC_CLIENT_ID: string; OIDC_CLIENT_SECRET: string };
  stop(): Promise<void>;
}>;
