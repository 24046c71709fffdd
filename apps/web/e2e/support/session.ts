import type { E2EBrowser } from "./browser.ts";

/** Signs an account in through the login form and waits for the signed-in home page. */
export async function signIn(baseUrl: string, browser: E2EBrowser, account: { email: string; password: string }) {
  const { page } = browser;
  await page.goto(`${baseUrl}/login`);
  await page.getByLabel("Email", { exact: true }).fill(account.email);
  await page.getByLabel("Password", { exact: true }).fill(account.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => url.pathname === "/", { timeout: 30_000 });
  await page.getByRole("button", { name: "Sign out" }).waitFor({ timeout: 30_000 });
}
