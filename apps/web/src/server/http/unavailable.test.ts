import { budgetOf, createPrismaClient } from "@dpsynth/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as datasetsRoute from "../../../app/api/v1/datasets/route.ts";
import * as cancelRoute from "../../../app/api/v1/jobs/[id]/cancel/route.ts";
import * as eventsRoute from "../../../app/api/v1/jobs/[id]/events/route.ts";
import * as jobRoute from "../../../app/api/v1/jobs/[id]/route.ts";
import * as quoteRoute from "../../../app/api/v1/jobs/quote/route.ts";
import * as jobsRoute from "../../../app/api/v1/jobs/route.ts";
import { LoginUnavailableError, verifyLogin } from "../auth/login.ts";
import { provideServerContext } from "../context.ts";
import { call, createTestServer, type TTestServer } from "../testing.ts";

/**
 * Redis or PostgreSQL gone: every request still gets an answer within seconds, 503 `unavailable` where the
 * answer needed what is gone, and nothing is left holding budget. Nothing listens on port 1 of this machine.
 */
const DEAD_REDIS = "redis://127.0.0.1:1";
const DEAD_POSTGRES = "postgresql://dpsynth:x@127.0.0.1:1/dpsynth";

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await work();
  return { result, ms: performance.now() - started };
}

describe("with Redis down", () => {
  let server: TTestServer;
  let owner: Awaited<ReturnType<TTestServer["user"]>>;
  beforeAll(async () => {
    server = await createTestServer({ redisUrl: DEAD_REDIS });
    owner = await server.user("OWNER", 3);
  });
  afterAll(() => server.close());

  it("refuses a new job with 503 within 2 s, gives its reservation back, and leaves no open job", async () => {
    const dataset = await server.dataset(owner.id, { epsilonTotal: 10 });
    const request = { datasetId: dataset.id, model: "tiny-gpt2", epsilon: 2, syntheticRows: 10 };
    const { result, ms } = await timed(() =>
      call(jobsRoute.POST, { method: "POST", headers: owner.auth, json: request }),
    );
    expect(ms).toBeLessThan(2_000);
    expect(result.status).toBe(503);
    expect(result.body.error).toMatchObject({
      code: "unavailable",
      message: expect.stringMatching(/nothing was charged/),
    });
    expect(await budgetOf(server.ctx.prisma, dataset.id)).toMatchObject({ reserved: 0, spent: 0, remaining: 10 });
    const jobs = await server.ctx.prisma.job.findMany({ where: { datasetId: dataset.id } });
    expect(jobs.map((job) => [job.status, job.errorCode])).toEqual([["FAILED", "queue_unavailable"]]);
    // What needs only PostgreSQL still answers: the quote, and the job itself (whether a trainer has it: unknown).
    const quote = await call(quoteRoute.POST, { method: "POST", headers: owner.auth, json: request });
    expect([quote.status, quote.body.outcome]).toEqual([200, "runs-now"]);
    const job = await call(jobRoute.GET, { headers: owner.auth, params: { id: jobs[0]?.id as string } });
    expect([job.status, job.body.status]).toEqual([200, "FAILED"]);
  });

  it("records a cancel and says it takes effect once the queue is back", async () => {
    const dataset = await server.dataset(owner.id);
    const job = await server.ctx.prisma.job.create({
      data: { datasetId: dataset.id, requesterId: owner.id, spec: {}, status: "QUEUED", epsilon: 1, delta: 1e-6 },
    });
    const queued = await call(jobRoute.GET, { headers: owner.auth, params: { id: job.id } });
    expect(queued.body.waitingForTrainer).toBeNull();
    const { result, ms } = await timed(() =>
      call(cancelRoute.POST, { method: "POST", headers: owner.auth, params: { id: job.id } }),
    );
    expect(ms).toBeLessThan(2_000);
    expect([result.status, result.body.error.code]).toEqual([503, "unavailable"]);
    expect(result.body.error.message).toMatch(/cancel request is recorded/);
    expect((await server.ctx.prisma.job.findUniqueOrThrow({ where: { id: job.id } })).cancelRequestedAt).not.toBeNull();
  });

  it("refuses a sign-in within 2 s without checking the password (the attempt cannot be counted)", async () => {
    const { result, ms } = await timed(() =>
      verifyLogin(server.ctx, { email: owner.email, password: "x", ip: "untrusted" }).catch((error: unknown) => error),
    );
    expect(ms).toBeLessThan(2_000);
    expect(result).toBeInstanceOf(LoginUnavailableError);
  });

  it("ends an event stream cleanly with an `interrupted` event instead of hanging after the history", async () => {
    const dataset = await server.dataset(owner.id);
    const job = await server.ctx.prisma.job.create({
      data: { datasetId: dataset.id, requesterId: owner.id, spec: {}, status: "RUNNING", epsilon: 1, delta: 1e-6 },
    });
    const { result, ms } = await timed(async () => {
      const { response } = await call(eventsRoute.GET, { headers: owner.auth, params: { id: job.id } });
      return { status: response.status, text: await response.text() };
    });
    expect(ms).toBeLessThan(3_000);
    expect(result.status).toBe(200);
    const last = result.text.trim().split("\n\n").at(-1) ?? "";
    expect(last).toMatch(/^event: interrupted\ndata: /);
    expect(JSON.parse(last.split("data: ")[1] as string)).toMatchObject({ code: "unavailable" });
  });
});

describe("with PostgreSQL down", () => {
  let server: TTestServer;
  let owner: Awaited<ReturnType<TTestServer["user"]>>;
  beforeAll(async () => {
    server = await createTestServer();
    owner = await server.user("OWNER", 3);
    provideServerContext({ ...server.ctx, prisma: createPrismaClient({ url: DEAD_POSTGRES }) });
  });
  afterAll(() => server.close());

  it("answers 503 unavailable, not 500, naming the database and nothing of its address", async () => {
    const { result, ms } = await timed(() => call(datasetsRoute.GET, { headers: owner.auth }));
    expect(ms).toBeLessThan(6_000);
    expect([result.status, result.body.error.code]).toEqual([503, "unavailable"]);
    expect(result.body.error.message).toBe("The database is unavailable right now. Try again shortly.");
  });
});
