import { mkdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";

/** Debian's Chromium: Playwright's own browser builds are a download these machines cannot make. */
export const CHROMIUM = "/usr/bin/chromium";

/** Headless and quiet: no sandbox (tests run as root), no GPU, nothing that phones home mid-test. */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface E2EBrowser {
  context: BrowserContext;
  page: Page;
  /** Saves a full-page screenshot as `<artifactsDir>/<name>.png` and returns its path. */
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

/** Chromium with a fresh profile (no cookies from an earlier test), deleted on close. */
export async function launchBrowser(artifactsDir: string): Promise<E2EBrowser> {
  const profile = await mkdtemp(join(tmpdir(), "dpsynth-e2e-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 800 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  mkdirSync(artifactsDir, { recursive: true });
  return {
    context,
    page,
    async screenshot(name) {
      const path = join(artifactsDir, `${name.replace(/[^\w.-]+/g, "-")}.png`);
      await page.screenshot({ path, fullPage: true });
      return path;
    },
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
