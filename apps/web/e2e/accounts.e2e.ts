import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createPrismaClient, type PrismaClient } from "@dpsynth/db";
import type { Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { expectAccessible } from "./support/accessibility.ts";
import { type E2EBrowser, launchBrowser } from "./support/browser.ts";
import { e2eEnv, seededAdmin, seededOwner } from "./support/env.ts";
import { signIn } from "./support/session.ts";

/**
 * Governance in the browser, on the real stack: an admin invites someone by email with a role and an allowance,
 * the invited person opens the one-time link, chooses a password and is signed in; the link is then used up, an
 * expired or revoked one says so; the new user changes their password and signs in with it; the admin sees when
 * each user last signed in; a deep link survives signing in, and a link to another site does not.
 */

const { baseUrl, artifactsDir } = e2eEnv();
const PASSWORD = "a first long password";
const NEW_PASSWORD = "a second long password";
const stamp = Date.now().toString(36);
const invitee = { email: `invitee-${stamp}@example.test`, password: PASSWORD };

let admin: E2EBrowser;
let prisma: PrismaClient;
/** Browsers opened by a test, closed after it. */
const opened: E2EBrowser[] = [];
/** Filled in as the file goes; later tests need the link the first one made. */
const journey: { link?: string } = {};

const credentials = () =>
  JSON.parse(readFileSync(join(process.env.DPSYNTH_HOME ?? "", "credentials.json"), "utf8")) as {
    admin: { apiToken: string };
    owner: { apiToken: string };
    demoDatasetId: string;
  };

async function api(path: string, token: string, method = "GET", body?: unknown) {
  const response = await fetch(`${baseUrl}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

/** An invitation made through the API, as a script of the admin's would; returns its id and link. */
async function inviteByApi(email: string): Promise<{ id: string; link: string }> {
  const created = await api("/invitations", credentials().admin.apiToken, "POST", { email });
  expect(created.status).toBe(201);
  return created.body;
}

async function fresh(): Promise<E2EBrowser> {
  const browser = await launchBrowser(artifactsDir);
  opened.push(browser);
  return browser;
}

/** The page's own alert (Next's route announcer is an empty alert of its own). */
const pageAlert = (page: Page) => page.locator('[role="alert"].alert');

/** The error shown under a field, found through the field's own label. */
const fieldError = (page: Page, label: string) =>
  page.locator(".field", { has: page.getByLabel(label, { exact: true }) }).locator(".field-error");

beforeAll(async () => {
  prisma = createPrismaClient({ url: process.env.DATABASE_URL ?? "" });
  admin = await launchBrowser(artifactsDir);
  await signIn(baseUrl, admin, seededAdmin());
});
afterAll(async () => {
  await admin?.close();
  await prisma?.$disconnect();
});
afterEach(async (context) => {
  if (context.task.result?.state === "fail") {
    await admin.screenshot(`failed-accounts-admin-${context.task.name}`);
    for (const [index, browser] of opened.entries()) {
      await browser.screenshot(`failed-accounts-${index}-${context.task.name}`);
    }
  }
  for (const browser of opened.splice(0)) await browser.close();
});

describe("invitations", () => {
  it("lets an admin invite an email with a role and an allowance, showing the one-time link once", async () => {
    const { page } = admin;
    await page.goto(`${baseUrl}/admin/users`);
    await page.getByLabel("Email", { exact: true }).fill(invitee.email);
    await page.getByLabel("Role", { exact: true }).selectOption("OWNER");
    await page.getByLabel("ε allowance per dataset", { exact: true }).fill("2.5");
    await page.getByRole("button", { name: "Invite", exact: true }).click();

    const link = page.getByTestId("invitation-link");
    await link.waitFor();
    journey.link = (await link.textContent()) ?? "";
    expect(journey.link).toMatch(new RegExp(`^${baseUrl}/invite#dpi_[\\w-]{40,}$`));
    expect(await page.getByRole("status").filter({ hasText: "it is not shown again" }).count()).toBe(1);
    const row = page.getByRole("table", { name: "Pending invitations" }).locator("tr", { hasText: invitee.email });
    await row.waitFor();
    expect(await row.textContent()).toMatch(/Owner.*2\.5/);
    await expectAccessible(page, "admin-users-invitation-link");

    // The same address again is refused while the first link works, with what to do instead.
    await page.getByLabel("Email", { exact: true }).fill(invitee.email);
    await page.getByRole("button", { name: "Invite", exact: true }).click();
    await pageAlert(page).filter({ hasText: "already has a pending invitation" }).waitFor();
  });

  it("lets the invited person choose a password (the rule shown, a short one refused at its field) and signs them in", async () => {
    const browser = await fresh();
    const { page, context } = browser;
    await page.goto(journey.link ?? "");
    await page.getByRole("heading", { name: "Create your account" }).waitFor();
    expect(await page.locator("dl.kv").textContent()).toContain(invitee.email);
    expect(await page.locator("dl.kv").textContent()).toMatch(/Data owner.*2\.5/);

    await page.getByLabel("Your name", { exact: true }).fill("Ida Invitee");
    await page.getByLabel("Password", { exact: true }).fill("too short");
    await page.getByLabel("Password again", { exact: true }).fill("too short");
    await page.getByRole("button", { name: "Create account and sign in" }).click();
    expect(await fieldError(page, "Password").textContent()).toBe("Use at least 12 characters.");
    expect(await page.getByText(/At least 12 characters .* not your email address/).count()).toBe(1);
    await expectAccessible(page, "invite-accept-refused");

    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.getByLabel("Password again", { exact: true }).fill(PASSWORD);
    await page.getByRole("button", { name: "Create account and sign in" }).click();
    await page.waitForURL((url) => url.pathname === "/", { timeout: 30_000 });
    await page.getByRole("button", { name: "Sign out" }).waitFor({ timeout: 30_000 });
    const session = await context.request.get(`${baseUrl}/api/auth/session`);
    expect(await session.json()).toMatchObject({ user: { email: invitee.email } });
    await browser.screenshot("accounts-accepted");
  });

  it("says plainly that a used link is used up, and the new user signs in with the chosen password", async () => {
    const browser = await fresh();
    const { page } = browser;
    await page.goto(journey.link ?? "");
    await page.getByRole("heading", { name: "This invitation has already been used" }).waitFor();
    expect(await pageAlert(page).textContent()).toMatch(/Sign in with the email and password chosen then/);
    await signIn(baseUrl, browser, invitee);
  });

  it("says plainly that an expired link has expired", async () => {
    const { id, link } = await inviteByApi(`expired-${stamp}@example.test`);
    await prisma.invitation.update({ where: { id }, data: { expiresAt: new Date("2026-01-05T12:00:00Z") } });
    const browser = await fresh();
    await browser.page.goto(link);
    await browser.page.getByRole("heading", { name: "This invitation has expired" }).waitFor();
    expect(await pageAlert(browser.page).textContent()).toBe(
      "This invitation expired on 5 January 2026. Ask an admin to invite you again.",
    );
    await expectAccessible(browser.page, "invite-expired");
    // The admin sees it among the invitations, marked expired.
    await admin.page.goto(`${baseUrl}/admin/users`);
    const row = admin.page
      .getByRole("table", { name: "Pending invitations" })
      .locator("tr", { hasText: `expired-${stamp}@example.test` });
    await row.waitFor();
    expect(await row.textContent()).toMatch(/expired 5 Jan 2026/);
  });

  it("lets an admin revoke a pending invitation after confirming, and the link then says it was revoked", async () => {
    const email = `revoked-${stamp}@example.test`;
    const { link } = await inviteByApi(email);
    const { page } = admin;
    await page.goto(`${baseUrl}/admin/users`);
    await page.getByRole("button", { name: `Revoke the invitation for ${email}` }).click();
    const dialog = page.getByRole("dialog", { name: `Revoke the invitation for ${email}?` });
    await dialog.getByRole("button", { name: "Revoke invitation" }).click();
    await dialog.waitFor({ state: "hidden" });
    await page.locator("tr", { hasText: email }).waitFor({ state: "detached" });

    const browser = await fresh();
    await browser.page.goto(link);
    await browser.page.getByRole("heading", { name: "This invitation was revoked" }).waitFor();
    expect(await pageAlert(browser.page).textContent()).toMatch(/^This invitation was revoked by an admin\./);
  });
});

describe("password change", () => {
  it("asks for the current password, ties each refusal to its field, and the new password signs in", async () => {
    const browser = await fresh();
    const { page } = browser;
    await signIn(baseUrl, browser, invitee);
    await page.goto(`${baseUrl}/settings`);
    const form = page.getByRole("form", { name: "Change password" });
    await form.waitFor();
    const submit = form.getByRole("button", { name: "Change password" });

    await page.getByLabel("Current password", { exact: true }).fill("not my password at all");
    await page.getByLabel("New password", { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel("New password again", { exact: true }).fill(NEW_PASSWORD);
    await submit.click();
    await fieldError(page, "Current password").filter({ hasText: "That is not your current password." }).waitFor();

    await page.getByLabel("Current password", { exact: true }).fill(PASSWORD);
    await page.getByLabel("New password", { exact: true }).fill(invitee.email);
    await submit.click();
    expect(await fieldError(page, "New password").textContent()).toBe("Do not use your email address as the password.");

    await page.getByLabel("New password", { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel("New password again", { exact: true }).fill(`${NEW_PASSWORD}!`);
    await submit.click();
    expect(await fieldError(page, "New password again").textContent()).toBe("The two new passwords differ.");
    await expectAccessible(page, "settings-password-refused");

    await page.getByLabel("New password again", { exact: true }).fill(NEW_PASSWORD);
    await submit.click();
    await page.getByRole("status").filter({ hasText: "Password changed." }).waitFor();
    await browser.screenshot("accounts-password-changed");

    const again = await fresh();
    await signIn(baseUrl, again, { email: invitee.email, password: NEW_PASSWORD });
  });
});

describe("last sign-in", () => {
  it("shows the admin when each user last signed in, and 'never' for one who has not", async () => {
    // An invitation accepted without signing in: the account exists, it has never been used.
    const quiet = `quiet-${stamp}@example.test`;
    const { link } = await inviteByApi(quiet);
    const accepted = await fetch(`${baseUrl}/api/v1/invitations/accept`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token: new URL(link).hash.slice(1), name: "Quiet", password: PASSWORD }),
    });
    expect(accepted.status).toBe(201);

    const { page } = admin;
    await page.goto(`${baseUrl}/admin/users`);
    const users = page.getByRole("table", { name: "Users" });
    const cells = async (email: string) => {
      const row = users.locator("tr", { hasText: email });
      await row.waitFor();
      return row.locator("td").allTextContents();
    };
    const signedIn = await cells(invitee.email);
    // The column after the allowance: a readable date with its year and time.
    expect(signedIn[3]).toMatch(/^\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d$/);
    expect((await cells(quiet))[3]).toBe("never");
    await admin.screenshot("accounts-last-sign-in");
  });
});

describe("deep links", () => {
  it("leads a signed-out visitor of /jobs/<id> to sign in and back to that job, never to another site", async () => {
    const { demoDatasetId, owner } = credentials();
    // A job that waits for an admin (over the owner's allowance), so nothing trains; cancelled at the end.
    const job = await api("/jobs", owner.apiToken, "POST", {
      datasetId: demoDatasetId,
      model: "tiny-gpt2",
      preset: "smoke",
      epsilon: 5,
      syntheticRows: 10,
    });
    expect(job.body.status).toBe("PENDING_APPROVAL");
    try {
      const browser = await fresh();
      const { page } = browser;
      await page.goto(`${baseUrl}/jobs/${job.body.id}`);
      await page.waitForURL((url) => url.pathname === "/login");
      expect(new URL(page.url()).searchParams.get("callbackUrl")).toBe(`/jobs/${job.body.id}`);
      const account = seededOwner();
      await page.getByLabel("Email", { exact: true }).fill(account.email);
      await page.getByLabel("Password", { exact: true }).fill(account.password);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.waitForURL((url) => url.pathname === `/jobs/${job.body.id}`, { timeout: 30_000 });
      await page.locator("h1 [data-status]").waitFor({ timeout: 30_000 });

      // Datasets of one name can be told apart where a job's dataset is picked: owner, upload time, rows.
      await page.goto(`${baseUrl}/jobs/new`);
      const option = page.getByLabel("Dataset", { exact: true }).locator(`option[value="${demoDatasetId}"]`);
      expect(await option.textContent()).toMatch(
        new RegExp(
          `— ${account.email.replace(/[.]/g, "\\.")} · \\d{1,2} [A-Z][a-z]{2} \\d{4}, \\d\\d:\\d\\d · [\\d,]+ rows$`,
        ),
      );

      const other = await fresh();
      await other.page.goto(`${baseUrl}/login?callbackUrl=${encodeURIComponent("https://evil.example/jobs/1")}`);
      await other.page.getByLabel("Email", { exact: true }).fill(account.email);
      await other.page.getByLabel("Password", { exact: true }).fill(account.password);
      await other.page.getByRole("button", { name: "Sign in" }).click();
      await other.page.waitForURL((url) => url.origin === baseUrl && url.pathname === "/", { timeout: 30_000 });
    } finally {
      await api(`/jobs/${job.body.id}/cancel`, owner.apiToken, "POST");
    }
  });
});
