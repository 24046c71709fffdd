import "server-only";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { datasetRow, ingestCsv, type TDeclaredLabel } from "@dpsynth/datasets";
import { smallCsv, sourceOf } from "@dpsynth/datasets/testing";
import { createLedger, type Role } from "@dpsynth/db";
import { createTestDatabase } from "@dpsynth/db/testing";
import { encode } from "next-auth/jwt";
import { createApiToken } from "./auth/api-tokens.ts";
import type { TWebConfig } from "./config.ts";
import { createServerContext, provideServerContext, type TServerContext } from "./context.ts";
import type { TNextRouteContext } from "./http/route.ts";
import { withDeadline } from "./http/unavailable.ts";

const SECRET = "test-secret-test-secret-test-secret";

/** The declared labels of `smallCsv`'s two classes. */
export const SMALL_LABELS = [
  { value: "pos", description: "a glowing review" },
  { value: "neg", description: "a scathing review" },
];

/**
 * A real server context for one test file: its own PostgreSQL schema, its own BullMQ prefix and blob
 * directory, on the servers `npm test` started. Route handlers under test use it through `serverContext()`.
 */
export async function createTestServer(overrides: Partial<TWebConfig> = {}) {
  const database = await createTestDatabase();
  const redisUrl = process.env.REDIS_URL;
  if (!redisUrl) throw new Error("REDIS_URL is not set: run the suites through `npm test`, which starts Redis.");
  const home = mkdtempSync(join(tmpdir(), "dpsynth-web-"));
  const config: TWebConfig = {
    databaseUrl: database.url,
    redisUrl,
    queuePrefix: `t${randomBytes(5).toString("hex")}`,
    home,
    blobStoreUrl: `file://${join(home, "blobs")}`,
    nextAuthSecret: SECRET,
    publicOrigin: "http://localhost",
    trustedProxies: 0,
    uploadLimitBytes: 1024 * 1024,
    defaultBudget: { epsilon: 10, delta: 1e-5 },
    oidc: null,
    ...overrides,
  };
  const ctx: TServerContext = createServerContext(config, { prisma: database.prisma });
  provideServerContext(ctx);

  async function user(role: Role = "OWNER", epsilonAllowance = 3) {
    const email = `${role.toLowerCase()}-${randomBytes(4).toString("hex")}@example.test`;
    const row = await ctx.prisma.user.create({
      data: { email, name: email.split("@")[0] as string, role, epsilonAllowance },
    });
    const { token } = await createApiToken(ctx.prisma, { userId: row.id, name: "test" });
    const session = await encode({ token: { sub: row.id, email, role }, secret: SECRET });
    return {
      ...row,
      token,
      /** Headers of a script using the API token. */
      auth: { authorization: `Bearer ${token}` },
      /** Headers of a browser with a next-auth session, on one of dpsynth's own pages. */
      cookie: {
        cookie: `next-auth.session-token=${session}`,
        origin: "http://localhost",
        "sec-fetch-site": "same-origin",
      },
    };
  }

  /**
   * A dataset of `rows` small rows (labels pos and neg, declared with descriptions) owned by `ownerId`, ingested
   * the way an upload is; `csv` and `labels` replace the file and the declared set (null: found with DP per job).
   */
  async function dataset(
    ownerId: string,
    {
      epsilonTotal = 10,
      deltaTotal = 1e-5,
      rows = 40,
      csv = smallCsv(rows),
      labels = SMALL_LABELS as readonly TDeclaredLabel[] | null,
      subject = "product review",
      syntheticColumns = [] as string[],
    } = {},
  ) {
    const result = await ingestCsv(sourceOf(csv), {
      textColumn: "text",
      labelColumn: "label",
      labels,
      syntheticColumns,
      holdoutFraction: 0.2,
      splitSeed: 1,
      store: ctx.blobs,
      keyPrefix: `datasets/${randomBytes(6).toString("hex")}`,
    });
    // A ledger of its own, unlike an upload (the same small CSV every time would share one).
    const ledgerId = await createLedger(ctx.prisma, { epsilonTotal, deltaTotal });
    return ctx.prisma.dataset.create({ data: datasetRow(result, { ownerId, name: "small", subject, ledgerId }) });
  }

  async function close() {
    // Bounded: a test server pointed at a Redis that is down never connects, and BullMQ would wait for it.
    for (const [, queue] of ctx.queues.entries()) {
      await withDeadline("queue clean-up", queue.obliterate({ force: true })).catch(() => undefined);
    }
    await withDeadline("queue close", ctx.queues.close()).catch(() => undefined);
    ctx.redis.disconnect();
    await database.drop();
    rmSync(home, { recursive: true, force: true });
  }

  return { ctx, config, database, user, dataset, close };
}

export type TTestServer = Awaited<ReturnType<typeof createTestServer>>;

type THandler = (request: Request, context: TNextRouteContext) => Promise<Response>;

/** Calls a route handler the way Next does: a Request plus its path params. */
export async function call(
  handler: THandler | undefined,
  {
    method = "GET",
    path = "/api/v1/x",
    params = {},
    headers = {},
    json,
    body,
  }: {
    method?: string;
    path?: string;
    params?: Record<string, string>;
    headers?: Record<string, string>;
    json?: unknown;
    body?: BodyInit;
  } = {},
) {
  if (!handler) throw new Error("no handler for this method");
  const request = new Request(`http://localhost${path}`, {
    method,
    headers: json === undefined ? headers : { "content-type": "application/json", ...headers },
    body: json === undefined ? body : JSON.stringify(json),
    // Streams as bodies need this in Node's fetch.
    ...(body instanceof ReadableStream ? { duplex: "half" } : {}),
  } as RequestInit);
  const response = await handler(request, { params: Promise.resolve(params) });
  const text = response.headers.get("content-type")?.includes("json") ? await response.text() : null;
  return { response, status: response.status, body: text ? JSON.parse(text) : null };
}

/** A multipart form with a CSV file and fields, as the upload page sends it. */
export function csvForm(csv: string | Uint8Array, fields: Record<string, string>, filename = "data.csv"): FormData {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.set(name, value);
  form.set("file", new Blob([typeof csv === "string" ? csv : Buffer.from(csv)], { type: "text/csv" }), filename);
  return form;
}
