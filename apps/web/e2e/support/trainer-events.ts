import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { jobRedisKeys, QUEUE, REDIS_KEYS, type TReport, type TTrainerEvent } from "@dpsynth/contracts";
import { createBlobStore } from "@dpsynth/datasets";
import type { PrismaClient } from "@dpsynth/db";
import { Queue } from "bullmq";
import { Redis } from "ioredis";

/**
 * Trainer events written to Redis the way the trainer writes them, for pages that show what a real run rarely or
 * slowly produces. Everything after the stream is the real stack: control persists the events, PostgreSQL holds
 * the outcome and the ledger, the API answers it and the dashboard shows it.
 */

/** The seeded accounts' API tokens and the demo dataset, from the stack's credentials.json. */
export function seededCredentials(): { owner: { apiToken: string }; demoDatasetId: string } {
  return JSON.parse(readFileSync(join(process.env.DPSYNTH_HOME ?? "", "credentials.json"), "utf8"));
}

/** The seeded owner's call to `/api/v1`, with its API token. */
export async function ownerApi(baseUrl: string, path: string, body?: unknown) {
  const response = await fetch(`${baseUrl}/api/v1${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { authorization: `Bearer ${seededCredentials().owner.apiToken}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

/**
 * A job on the seeded demo dataset that no trainer takes: requested above the owner's allowance (so it waits for
 * approval, off the queue). `queue` then marks it QUEUED in PostgreSQL so that control follows its event stream.
 */
export async function jobNoTrainerTakes(
  baseUrl: string,
  { epsilon, syntheticRows }: { epsilon: number; syntheticRows: number },
): Promise<string> {
  const created = await ownerApi(baseUrl, "/jobs", {
    datasetId: seededCredentials().demoDatasetId,
    model: "tiny-gpt2",
    preset: "smoke",
    epsilon,
    syntheticRows,
  });
  if (created.body.status !== "PENDING_APPROVAL") {
    throw new Error(`the job was to wait for approval, it is ${created.body.status}: ${JSON.stringify(created.body)}`);
  }
  return created.body.id;
}

/** Marks a waiting job QUEUED without the queue, so control follows its stream and no trainer ever takes it. */
export async function markQueued(prisma: PrismaClient, jobId: string): Promise<void> {
  await prisma.job.update({ where: { id: jobId }, data: { status: "QUEUED" } });
}

/**
 * Marks a waiting job QUEUED (`markQueued`) and gives it an entry on the train queue, delayed by an hour, for a test
 * that keeps it open longer than control's recovery takes to call a job with no queue entry lost (two sweeps,
 * ~10 s). No trainer takes a delayed entry. Returns the call that takes the entry off again.
 */
export async function holdOnQueue(prisma: PrismaClient, jobId: string): Promise<() => Promise<void>> {
  await markQueued(prisma, jobId);
  const connection = new Redis(process.env.REDIS_URL ?? "", { maxRetriesPerRequest: null });
  const queue = new Queue(QUEUE.train, { connection, prefix: process.env.DPSYNTH_QUEUE_PREFIX || QUEUE.prefix });
  await queue.add(QUEUE.jobName, { heldByTest: jobId }, { jobId, delay: 3_600_000 });
  return async () => {
    try {
      await queue.remove(jobId);
    } finally {
      await queue.close();
      connection.disconnect();
    }
  };
}

/**
 * A trainer event without what the trainer's emitter adds to every one (typed, so a contract change shows here);
 * `ts`, when a test gives it, dates an event earlier than its writing (a run that has been going for a while).
 */
export type TEventBody = TTrainerEvent extends infer E
  ? E extends unknown
    ? Omit<E, "schemaVersion" | "jobId" | "seq" | "ts" | "attempt"> & { ts?: string }
    : never
  : never;

/** Appends trainer events to the job's stream, numbered on from the job's own seq counter, dated now unless given. */
export async function emit(redis: Redis, jobId: string, bodies: TEventBody[]): Promise<void> {
  for (const body of bodies) {
    const seq = (await redis.incr(jobRedisKeys(jobId).seq)) - 1;
    const event = { schemaVersion: 1, jobId, seq, ts: new Date().toISOString(), attempt: 1, ...body };
    await redis.xadd(jobRedisKeys(jobId).events, "*", REDIS_KEYS.eventField, JSON.stringify(event));
  }
}

/**
 * A report.json in the stack's blob store (its S3 server under `npm test`, or whatever BLOB_STORE_URL names), as the
 * trainer writes it, and the artifact event that announces it.
 */
export async function reportArtifact(jobId: string, report: TReport): Promise<TEventBody> {
  const store = createBlobStore(process.env.BLOB_STORE_URL ?? "");
  const stored = await store.put(`jobs/${jobId}/report.json`, Readable.from([JSON.stringify(report)]));
  return { type: "artifact", name: "report.json", uri: stored.uri, bytes: stored.bytes, sha256: stored.sha256 };
}

export const REPORT_FIXTURE = fileURLToPath(
  new URL("../../../../packages/contracts/fixtures/valid/report.tiny-llama-cpu.json", import.meta.url),
);

/** The shared fixture report, made the given job's. */
export function fixtureReport(jobId: string): TReport {
  const fixture = JSON.parse(readFileSync(REPORT_FIXTURE, "utf8")) as TReport;
  return { ...fixture, jobId, datasetId: seededCredentials().demoDatasetId };
}

/** Polls the job through the API until it reaches `status` (or 30 s pass), and returns what the API said last. */
export async function jobReaching(baseUrl: string, jobId: string, status: string) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { body } = await ownerApi(baseUrl, `/jobs/${jobId}`);
    if (body.status === status || Date.now() > deadline) return body;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}
