import { spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { jobRedisKeys, REDIS_KEYS } from "@dpsynth/contracts";
import type { PrismaClient } from "@dpsynth/db";
import { createTestDatabase, type TestDatabase } from "@dpsynth/db/testing";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, waitFor } from "./test-stack.ts";
import { seedJob, trainerEvent } from "./test-support.ts";

let db: TestDatabase;
let prisma: PrismaClient;
let redis: Redis;

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = db.prisma;
  redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
});
afterAll(async () => {
  redis.disconnect();
  await db.drop();
});

async function freePort(): Promise<number> {
  const server = createServer().listen(0);
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

function startMain(env: Record<string, string | undefined>) {
  const child = spawn(`${REPO_ROOT}node_modules/.bin/tsx`, ["services/control/src/main.ts"], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  return { child, exited, output: () => output };
}

describe("the control process (main.ts)", () => {
  it("serves /healthz, persists trainer events into the schema named in DATABASE_URL, and stops on SIGTERM", async () => {
    const port = await freePort();
    const url = new URL(process.env.DATABASE_URL ?? "");
    url.searchParams.set("schema", db.schema);
    const main = startMain({
      DATABASE_URL: url.toString(),
      REDIS_URL: process.env.REDIS_URL,
      CONTROL_PORT: String(port),
      DPSYNTH_QUEUE_PREFIX: `main${Date.now()}`,
      CONTROL_EVENT_BLOCK_MS: "100",
    });
    const health = await waitFor(
      () =>
        fetch(`http://127.0.0.1:${port}/healthz`).then(
          (r) => r.json(),
          () => null,
        ),
      "the health endpoint",
      30_000,
    );
    expect(health).toEqual({ ok: true, database: true, redis: true });

    const job = await seedJob(prisma);
    const event = trainerEvent(job.id, 0, { type: "stage", stage: "loading" });
    await redis.xadd(jobRedisKeys(job.id).events, "*", REDIS_KEYS.eventField, JSON.stringify(event));
    await waitFor(() => prisma.jobEvent.count({ where: { jobId: job.id } }), "the event to be persisted", 30_000);
    expect(await prisma.job.findUniqueOrThrow({ where: { id: job.id } })).toMatchObject({ status: "RUNNING" });
    await redis.del(...Object.values(jobRedisKeys(job.id)));

    const started = Date.now();
    main.child.kill("SIGTERM");
    expect(await main.exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(main.output()).toContain("control plane stopped");
  }, 60_000);

  it("refuses to start on bad configuration, naming the variable and not its value", async () => {
    const main = startMain({ DATABASE_URL: "mysql://secret-password@db/x", REDIS_URL: process.env.REDIS_URL });
    expect(await main.exited).toBe(1);
    expect(main.output()).toContain("DATABASE_URL: must be a URL starting with postgresql://");
    expect(main.output()).not.toContain("secret-password");
  }, 30_000);
});
