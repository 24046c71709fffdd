import { afterAll, afterEach, beforeAll } from "vitest";
import { type E2EBrowser, launchBrowser } from "./browser.ts";
import { e2eEnv, seededAdmin, seededOwner } from "./env.ts";

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

/**
 * The seeded owner's and admin's browsers for a file's tests: signed in before the first, closed after the last,
 * each one's screenshot kept when a test fails. Call it at the top level of the file; the fields are filled once
 * its tests run.
 */
export function ownerAndAdminBrowsers(): { owner: E2EBrowser; admin: E2EBrowser } {
  const { baseUrl, artifactsDir } = e2eEnv();
  const browsers = {} as { owner: E2EBrowser; admin: E2EBrowser };
  beforeAll(async () => {
    browsers.owner = await launchBrowser(artifactsDir);
    browsers.admin = await launchBrowser(artifactsDir);
    await signIn(baseUrl, browsers.owner, seededOwner());
    await signIn(baseUrl, browsers.admin, seededAdmin());
  });
  afterAll(async () => {
    await browsers.owner?.close();
    await browsers.admin?.close();
  });
  afterEach(async (context) => {
    if (context.task.result?.state !== "fail") return;
    await browsers.owner.screenshot(`failed-owner-${context.task.name}`);
    await browsers.admin.screenshot(`failed-admin-${context.task.name}`);
  });
  return browsers;
}
