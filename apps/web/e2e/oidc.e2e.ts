import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { TEST_OIDC_ACCOUNTS, type TestOidcAccount } from "../../../scripts/lib/test-oidc-provider.mjs";
import { type E2EBrowser, launchBrowser } from "./support/browser.ts";
import { e2eEnv } from "./support/env.ts";

// Single sign-on against the real OpenID provider `npm test` starts beside the web app (scripts/lib/test-oidc-provider.mjs).
const { baseUrl, artifactsDir } = e2eEnv();
const verified = TEST_OIDC_ACCOUNTS.find((account) => account.emailVerified) as TestOidcAccount;
const unverified = TEST_OIDC_ACCOUNTS.find((account) => !account.emailVerified) as TestOidcAccount;
const browsers: E2EBrowser[] = [];

/** A fresh Chromium (no cookies: neither dpsynth's session nor the provider's), closed after the file. */
async function freshBrowser(): Promise<E2EBrowser> {
  const browser = await launchBrowser(artifactsDir);
  browsers.push(browser);
  return browser;
}

/**
 * From dpsynth's login page through the provider's sign-in form, until the browser is back at dpsynth; returns
 * the page it came back to (path and query), which is where next-auth's last redirect pointed.
 */
async function signInThroughProvider(browser: E2EBrowser, account: TestOidcAccount) {
  const { page } = browser;
  await page.goto(`${baseUrl}/login`);
  await page.getByRole("button", { name: "Continue with single sign-on" }).click();
  await page.getByRole("heading", { name: "Test identity provider" }).waitFor({ timeout: 30_000 });
  expect(new URL(page.url()).origin).not.toBe(new URL(baseUrl).origin);
  await page.getByLabel("Email address").fill(account.email);
  await page.getByLabel("Password").fill(account.password);
  await page.getByRole("button", { name: "Continue" }).click();
  await page.waitForURL((url) => url.origin === new URL(baseUrl).origin, { timeout: 30_000 });
  const back = new URL(page.url());
  return `${back.pathname}${back.search}`;
}

/** The dpsynth user the browser is signed in as, by the app's own API. */
async function me(browser: E2EBrowser): Promise<{ id: string; email: string; role: string }> {
  const answer = await browser.context.request.get(`${baseUrl}/api/v1/me`);
  expect(answer.status()).toBe(200);
  return answer.json();
}

beforeAll(() => {
  expect(verified && unverified).toBeTruthy();
});
afterAll(async () => {
  for (const browser of browsers) await browser.close();
});
afterEach(async (context) => {
  if (context.task.result?.state === "fail") await browsers.at(-1)?.screenshot(`failed-${context.task.name}`);
});

describe("single sign-on through an OpenID provider", () => {
  let firstId = "";

  it("signs a new user in through the provider's page and lands on their dashboard", async () => {
    const browser = await freshBrowser();
    expect(await signInThroughProvider(browser, verified)).toBe("/");
    const { page } = browser;
    const firstName = verified.name.split(" ")[0];
    await page.getByRole("heading", { name: `Welcome, ${firstName}` }).waitFor({ timeout: 30_000 });
    const sidebar = page.getByRole("complementary", { name: "Main" });
    await sidebar.getByText(verified.email).waitFor();
    await sidebar.getByText("Data owner").waitFor();
    const user = await me(browser);
    expect(user).toMatchObject({ email: verified.email, role: "OWNER" });
    firstId = user.id;
    await browser.screenshot("oidc-signed-in");

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL((url) => url.pathname === "/login", { timeout: 30_000 });
  });

  it("signs the same user in again on the next sign-in, from another browser", async () => {
    expect(firstId).not.toBe("");
    const browser = await freshBrowser();
    expect(await signInThroughProvider(browser, verified)).toBe("/");
    await browser.page.getByRole("heading", { name: `Welcome, ${verified.name.split(" ")[0]}` }).waitFor();
    expect((await me(browser)).id).toBe(firstId);
  });

  it("tells a provider account without a verified email why it is not signed in", async () => {
    const browser = await freshBrowser();
    expect(await signInThroughProvider(browser, unverified)).toBe("/login?error=AccessDenied");
    const { page } = browser;
    // Filtered: Next's route announcer is an alert too.
    const alert = page.getByRole("alert").filter({ hasText: "no verified email address" });
    await alert.waitFor({ timeout: 30_000 });
    expect(await alert.textContent()).toContain("Your single sign-on account has no verified email address");
    // The refusal is not about the password form, so its fields are not marked wrong.
    expect(await page.getByLabel("Email", { exact: true }).getAttribute("aria-invalid")).toBeNull();
    await browser.screenshot("oidc-unverified-refused");
    const session = await browser.context.request.get(`${baseUrl}/api/auth/session`);
    expect(await session.json()).toEqual({});
    expect((await browser.context.request.get(`${baseUrl}/api/v1/me`)).status()).toBe(401);
  });
});
