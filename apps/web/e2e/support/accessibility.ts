import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { AxeResults, RunOptions } from "axe-core";
import type { Locator, Page } from "playwright-core";
import { e2eEnv } from "./env.ts";

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/** WCAG 2.1 A and AA, and axe's best practices (landmarks, one h1, heading order, regions). */
const AXE_OPTIONS: RunOptions = {
  runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] },
  resultTypes: ["violations"],
};

/** The impacts that fail a page; minor and moderate findings are reported by axe but do not. */
const FAILING_IMPACTS = new Set(["serious", "critical"]);

export type TViolation = { rule: string; impact: string; help: string; targets: string[] };

/** Runs axe-core in the page as it is now and returns its serious and critical violations. */
export async function axeViolations(page: Page): Promise<TViolation[]> {
  // Evaluated over the DevTools protocol, so the page's own Content-Security-Policy does not apply to it.
  if (!(await page.evaluate(() => "axe" in window))) await page.evaluate(AXE_SOURCE);
  const results = (await page.evaluate(
    (options) =>
      (window as unknown as { axe: { run: (c: Document, o: unknown) => Promise<unknown> } }).axe.run(document, options),
    AXE_OPTIONS,
  )) as AxeResults;
  return results.violations
    .filter((violation) => FAILING_IMPACTS.has(violation.impact ?? ""))
    .map((violation) => ({
      rule: violation.id,
      impact: violation.impact ?? "",
      help: violation.help,
      targets: violation.nodes.map((node) => node.target.join(" ")),
    }));
}

/**
 * Fails, listing each rule, its impact and the elements it found, when axe-core finds a serious or critical
 * violation on the page as it is now. Saves a full-page screenshot as `a11y-<name>.png` in E2E_ARTIFACTS_DIR first,
 * so the page that was judged can be seen whatever the outcome.
 */
export async function expectAccessible(page: Page, name: string): Promise<void> {
  const { artifactsDir } = e2eEnv();
  mkdirSync(artifactsDir, { recursive: true });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(artifactsDir, `a11y-${name.replace(/[^\w.-]+/g, "-")}.png`), fullPage: true });
  const violations = await axeViolations(page);
  if (violations.length === 0) return;
  const lines = violations.map(
    (violation) =>
      `- ${violation.rule} (${violation.impact}): ${violation.help}\n    ${violation.targets.join("\n    ")}`,
  );
  throw new Error(
    `axe-core found ${violations.length} serious or critical violation(s) on ${name}:\n${lines.join("\n")}`,
  );
}

/**
 * Words on the page that are the code's, not the reader's: a camelCase identifier (`maxSeqLen`), a setting written
 * as an assignment (`epochs=2`) or a spec path (`privacy.labelCounts`). Form controls' values are the user's own,
 * and so are rows of data (a file's first rows, synthetic examples: `data-content="rows"`). Monospace text is an
 * identifier shown as one (a model id, an API token's random first characters such as "uKA…").
 */
export async function internalNamesShown(page: Page): Promise<string[]> {
  const rendered = await page.evaluate(() => {
    // biome-ignore lint/performance/useDomNodeTextContent: what is rendered, not scripts' text or hidden nodes
    let text = document.body.innerText;
    for (const rows of document.querySelectorAll<HTMLElement>('[data-content="rows"], .mono')) {
      // biome-ignore lint/performance/useDomNodeTextContent: the same rendered text as the page's
      text = text.replace(rows.innerText, "");
    }
    return text;
  });
  // Placeholders of the prompt template ({labelColumn}) are words the owner types, named as they are.
  const text = rendered.replace(/\{[^}]*\}/g, "");
  const patterns = [
    /\b[a-z]+[A-Z][A-Za-z0-9]*\b/g,
    /\b[A-Za-z_]+=\S+/g,
    /\b(?:model|privacy|training|sampling|evaluation|data|prompt)\.[a-z][A-Za-z]+\b/g,
  ];
  return [...new Set(patterns.flatMap((pattern) => text.match(pattern) ?? []))];
}

/**
 * The accessible description Chromium computes for an element (what a screen reader reads after its name), from
 * the browser's own accessibility tree rather than by following `aria-describedby` by hand.
 */
export async function accessibleDescription(locator: Locator): Promise<string> {
  const page = locator.page();
  const marker = `a11y-${Math.random().toString(36).slice(2)}`;
  await locator.evaluate((element, value) => element.setAttribute("data-describe", value), marker);
  const cdp = await page.context().newCDPSession(page);
  try {
    const { root } = await cdp.send("DOM.getDocument", { depth: 0 });
    const { nodeId } = await cdp.send("DOM.querySelector", {
      nodeId: root.nodeId,
      selector: `[data-describe="${marker}"]`,
    });
    const { nodes } = await cdp.send("Accessibility.getPartialAXTree", { nodeId, fetchRelatives: false });
    const description = nodes[0]?.description?.value;
    return typeof description === "string" ? description : "";
  } finally {
    await cdp.detach();
    await locator.evaluate((element) => element.removeAttribute("data-describe"));
  }
}
