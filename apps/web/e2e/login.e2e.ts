import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type E2EBrowser, launchBrowser } from "./support/browser.ts";
import { e2eEnv, seededAdmin } from "./support/env.ts";

const { baseUrl, artifactsDir } = e2eEnv();
let browser: E2EBrowser;

beforeAll(async () => {
  browser = await launchBrowser(artifactsDir);
});
afterAll(async () => {
  await browser?.close();
});
afterEach(async (context) => {
  if (context.task.result?.state === "fail") await browser.screenshot(`failed-${context.task.name}`);
});

const loginForm = (page: E2EBrowser["page"]) => ({
  email: page.getByLabel("Email", { exact: true }),
  password: page.getByLabel("Password", { exact: true }),
  submit: page.getByRole("button", { name: "Sign in" }),
});

describe("login", () => {
  it("serves the sign-in form at /login", async () => {
    const { page } = browser;
    const response = await page.goto(`${baseUrl}/login`);
    expect(response?.status()).toBe(200);
    const form = loginForm(page);
    for (const field of [form.email, form.password, form.submit]) await field.waitFor({ state: "visible" });
    expect(await form.password.getAttribute("type")).toBe("password");
    await browser.screenshot("login-page");
  });

  it("signs the seeded admin in and lands on the signed-in home page", async () => {
    const { page, context } = browser;
    const admin = seededAdmin();
    await page.goto(`${baseUrl}/login`);
    const form = loginForm(page);
    await form.email.fill(admin.email);
    await form.password.fill(admin.password);
    await form.submit.click();

    await page.waitForURL((url) => url.pathname === "/", { timeout: 20_000 });
    expect(await form.submit.count()).toBe(0);
    // next-auth's own session endpoint says who the browser is signed in as, whatever the home page shows.
    const session = await context.request.get(`${baseUrl}/api/auth/session`);
    expect(session.status()).toBe(200);
    expect(await session.json()).toMatchObject({ user: { email: admin.email } });
    await browser.screenshot("signed-in-home");
  });
});
