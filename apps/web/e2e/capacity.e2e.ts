import { describe, expect, it } from "vitest";
import { e2eEnv } from "./support/env.ts";
import { ownerAndAdminBrowsers } from "./support/session.ts";
import { seededCredentials } from "./support/trainer-events.ts";

/**
 * Time and capacity, in the browser, on the real stack: the admin's Trainers page shows the stack's one CPU
 * trainer from its heartbeat, and the new-job form says before submitting that a GPU-only model cannot run on it,
 * while the CPU preset's model can and gets a time estimate.
 */

const { baseUrl } = e2eEnv();
const browsers = ownerAndAdminBrowsers();

describe("capacity: which trainers are online, and what cannot run on them", () => {
  it("shows the stack's CPU trainer on the admin's Trainers page", async () => {
    const { page } = browsers.admin;
    await page.goto(`${baseUrl}/admin/trainers`);
    await page.getByRole("heading", { name: "Trainers" }).waitFor();
    const row = page.getByTestId("trainer-row").first();
    // The trainer beats once it has loaded torch; on a busy machine that takes a while after the stack is up.
    await row.waitFor({ timeout: 120_000 });
    expect(await row.getAttribute("data-kind")).toBe("cpu");
    const text = (await row.textContent()) ?? "";
    expect(text).toMatch(/CPU · \d+ cores?/);
    expect(text).toMatch(/idle|busy/);
    expect(text).toContain("offline"); // this machine reaches no hub
    expect(text).toContain("smollm2-135m");
    expect(text).toMatch(/\d+ s ago/);
    await browsers.admin.screenshot("trainers-page");
  });

  it("says a GPU-only model cannot run here before submitting, and estimates the CPU model's time", async () => {
    const { page } = browsers.owner;
    await page.goto(`${baseUrl}/jobs/new?datasetId=${seededCredentials().demoDatasetId}`);
    const quote = page.getByTestId("quote");
    await expect.poll(() => quote.getAttribute("data-outcome"), { timeout: 30_000 }).toBeTruthy();

    // The CPU preset's model runs on the CPU trainer: no capacity alert, and minutes from the measured table.
    await expect
      .poll(async () => page.getByTestId("quote-estimate").textContent(), { timeout: 30_000 })
      .toMatch(/Takes about \d+ minutes .* measured on 2 CPU cores/);
    expect(await page.getByTestId("quote-capacity").count()).toBe(0);

    // The picker marks the GPU models before one is chosen.
    const gpuChoice = page.locator('label.choice:has(input[value="gpt2-medium"])');
    await expect.poll(() => gpuChoice.getAttribute("data-capacity"), { timeout: 30_000 }).toBe("blocked");
    expect(await gpuChoice.getByTestId("model-cannot-run").textContent()).toContain("needs a GPU");

    await gpuChoice.click();
    const capacity = page.getByTestId("quote-capacity");
    await capacity.waitFor({ timeout: 30_000 });
    expect(await capacity.getAttribute("data-verdict")).toBe("blocked");
    expect(await capacity.textContent()).toMatch(
      /^Cannot run here: gpt2-medium needs a GPU, and (the one trainer online has none|none of the \d+ trainers online has one)\.$/,
    );
    // "Start job" or "Request approval", as the budget has it: disabled either way.
    const submit = page.locator('form[aria-label="New job"] button[type="submit"]');
    expect(await submit.isDisabled()).toBe(true);
    expect(await page.getByTestId("submit-reason").textContent()).toContain("None of the trainers online can run");
    expect(await page.getByTestId("quote-estimate").textContent()).toContain("No time estimate");
    await browsers.owner.screenshot("quote-cannot-run-here");
  });
});
