import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createPrismaClient, type PrismaClient, type Role } from "@dpsynth/db";
import { createApiToken } from "@dpsynth/db/api-tokens";
import { hash } from "bcryptjs";
import { tally } from "./tally.ts";

/**
 * The stack `npm test` started, as an attacker or an unlucky operator meets it: over HTTP at E2E_BASE_URL, with
 * accounts of the suite's own made in its database (they need passwords and tokens the seed does not hand out).
 */

export function stackEnv() {
  const { E2E_BASE_URL, DPSYNTH_HOME, DATABASE_URL } = process.env;
  if (!E2E_BASE_URL || !DPSYNTH_HOME || !DATABASE_URL) {
    throw new Error(
      "E2E_BASE_URL, DPSYNTH_HOME and DATABASE_URL are not set: run the hardening suite through `npm test`.",
    );
  }
  return { baseUrl: E2E_BASE_URL.replace(/\/$/, ""), home: DPSYNTH_HOME, databaseUrl: DATABASE_URL };
}

let prisma: PrismaClient | undefined;
/** The stack's database, for setting up accounts and for reading what the API promised (ledger, statuses). */
export function database(): PrismaClient {
  prisma ??= createPrismaClient({ url: stackEnv().databaseUrl });
  return prisma;
}

export interface TAccount {
  id: string;
  email: string;
  password: string;
  token: string;
  /** Headers of a script with this account's API token. */
  auth: Record<string, string>;
}

/** A fresh account of the suite (email unique per run), with a password and an API token. */
export async function account(role: Role, { epsilonAllowance = 3 } = {}): Promise<TAccount> {
  const email = `hardening-${role.toLowerCase()}-${randomBytes(5).toString("hex")}@example.test`;
  const password = randomBytes(12).toString("base64url");
  const user = await database().user.create({
    data: {
      email,
      name: `Hardening ${role.toLowerCase()}`,
      role,
      epsilonAllowance,
      passwordHash: await hash(password, 8),
    },
  });
  const { token } = await createApiToken(database(), { userId: user.id, name: "hardening" });
  return { id: user.id, email, password, token, auth: { authorization: `Bearer ${token}` } };
}

export interface TAnswer {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
  ms: number;
}

/**
 * One request to the stack; every answer is counted (cases tried, 5xx seen). Event streams are read for at most
 * `streamMs`, since a live one never ends by itself.
 */
export async function request(
  path: string,
  {
    method = "GET",
    headers = {},
    json,
    body,
    streamMs = 1_500,
    timeoutMs = 30_000,
  }: {
    method?: string;
    headers?: Record<string, string>;
    json?: unknown;
    body?: BodyInit;
    streamMs?: number;
    timeoutMs?: number;
  } = {},
): Promise<TAnswer> {
  const started = performance.now();
  const response = await fetch(`${stackEnv().baseUrl}${path}`, {
    method,
    redirect: "manual",
    // A connection per request: on a loaded machine this client's timers run late, and a kept-alive socket the
    // server has just closed would fail a POST as ECONNRESET before it reached the server at all.
    headers: { connection: "close", ...(json === undefined ? {} : { "content-type": "application/json" }), ...headers },
    body: json === undefined ? body : JSON.stringify(json),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = (response.headers.get("content-type") ?? "").includes("text/event-stream")
    ? await readFor(response, streamMs)
    : await response.text();
  tally.answer(response.status);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, text, json: parsed, ms: performance.now() - started };
}

async function readFor(response: Response, ms: number): Promise<string> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = "";
  const deadline = Date.now() + ms;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    const next = await Promise.race([reader.read(), new Promise<null>((resolve) => setTimeout(resolve, left, null))]);
    if (next === null || next.done) break;
    text += decoder.decode(next.value, { stream: true });
  }
  await reader.cancel().catch(() => undefined);
  return text;
}

/** An error body's code, or undefined. */
export const errorCode = (answer: TAnswer) => (answer.json as { error?: { code?: string } } | undefined)?.error?.code;

/** Polls until `probe` returns something truthy. */
export async function eventually<T>(probe: () => Promise<T>, what: string, timeoutMs: number, everyMs = 250) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as Exclude<T, null | undefined | false | 0 | "">;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** A signed-in browser session: next-auth's own sign-in over HTTP (CSRF token first), as the login page does it. */
export async function signIn(
  who: { email: string; password: string },
  headers: Record<string, string> = {},
): Promise<{ error: string | null; cookie: string | null; ms: number }> {
  const { baseUrl } = stackEnv();
  const started = performance.now();
  const csrf = await fetch(`${baseUrl}/api/auth/csrf`);
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const cookies = csrf.headers.getSetCookie().map((cookie) => cookie.split(";")[0]);
  const answer = await fetch(`${baseUrl}/api/auth/callback/credentials`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: cookies.join("; "), ...headers },
    body: new URLSearchParams({
      csrfToken,
      email: who.email,
      password: who.password,
      callbackUrl: baseUrl,
      json: "true",
    }),
    signal: AbortSignal.timeout(15_000),
  });
  tally.answer(answer.status);
  const { url } = (await answer.json().catch(() => ({}))) as { url?: string };
  const error = url ? new URL(url, baseUrl).searchParams.get("error") : `HTTP ${answer.status}`;
  const session = answer.headers
    .getSetCookie()
    .map((cookie) => cookie.split(";")[0] as string)
    .find((cookie) => /next-auth\.session-token=/.test(cookie));
  return { error, cookie: error ? null : (session ?? null), ms: performance.now() - started };
}

/** The upload form's `labels` field: the label values a table declares, each its own description. */
export function declaredLabels(...values: string[]): string {
  return JSON.stringify(values.map((value) => ({ value })));
}

const FIXTURE = new URL("../../../../../services/trainer/tests/fixtures/rotten_tomatoes_600.csv", import.meta.url);

/**
 * Uploads the first `rows` rows of the trainer's Rotten Tomatoes fixture as `owner` (labels fresh and rotten
 * declared, a fifth held out) and returns the dataset's id: the smallest table a real job trains on.
 */
export async function uploadFixture(owner: TAccount, name: string, rows = 100): Promise<string> {
  const lines = readFileSync(FIXTURE, "utf8")
    .trim()
    .split("\n")
    .slice(0, rows + 1)
    .join("\n");
  const uploaded = await request("/api/v1/datasets", {
    method: "POST",
    headers: owner.auth,
    body: csvForm(`${lines}\n`, {
      name,
      textColumn: "review",
      labelColumn: "label",
      labels: declaredLabels("fresh", "rotten"),
      holdoutFraction: "0.2",
    }),
  });
  if (uploaded.status !== 201) throw new Error(`uploading the fixture answered ${uploaded.status}: ${uploaded.text}`);
  return (uploaded.json as { id: string }).id;
}

/** A multipart form with a CSV file, as the upload page sends it. */
export function csvForm(csv: string | Uint8Array, fields: Record<string, string>): FormData {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.set(name, value);
  form.set("file", new Blob([typeof csv === "string" ? csv : Buffer.from(csv)], { type: "text/csv" }), "data.csv");
  return form;
}
