import { type ChildProcess, spawn } from "node:child_process";
import { openSync, readFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { account, eventually, request, type TAccount, uploadFixture } from "./support/stack.ts";

/**
 * Many trainers on one queue, as a deployment scales them: a second trainer process joins the stack's own, two
 * jobs are submitted, and both run at the same time (each trainer takes one job at a time, and its heartbeat says
 * which), each taken by one trainer only and charged to the ledger once.
 */

const REPO = new URL("../../../../", import.meta.url).pathname;
const TRAINER_DIR = join(REPO, "services/trainer");
const CONSTANTS = JSON.parse(readFileSync(join(REPO, "packages/contracts/schema/constants.json"), "utf8"));
const MINUTE = 60_000;

type TJob = { id: string; status: string; attempts: number; epsilon: number; epsilonSpent: number };
type TLedgerEntry = { jobId: string | null; kind: "RESERVE" | "CHARGE" | "RELEASE"; epsilon: number };

/** Long enough (10 logical steps) that two jobs on two trainers are seen running together. */
const jobRequest = (datasetId: string) => ({
  datasetId,
  model: "tiny-gpt2",
  epsilon: 2,
  syntheticRows: 8,
  labelMix: { kind: "uniform" },
  hyperparameters: {
    training: { epochs: 2, logicalBatchSize: 16, physicalBatchSize: 16, maxSeqLen: 32, checkpointEvery: 5 },
    sampling: { maxNewTokens: 12, batchSize: 8 },
    evaluation: { classifiers: ["tfidf"] },
  },
});

/**
 * The trainers listening on the train queue, by the worker names the Python BullMQ port gives their connections
 * (`<prefix>:<queue>:w:<host>:<pid>`, worker.py). One trainer holds several connections, more while its commands
 * overlap, so only distinct names count trainers.
 */
async function listeningTrainers(redis: Redis): Promise<Set<string>> {
  const { prefix, train } = CONSTANTS.queue;
  const clients = ((await redis.call("CLIENT", "LIST")) as string).split("\n");
  const names = clients.map((line) => / name=(\S+)/.exec(line)?.[1] ?? "");
  return new Set(names.filter((name) => name.startsWith(`${prefix}:${train}:w:`)));
}

let owner: TAccount;
let datasetId: string;
let second: ChildProcess | undefined;
let redis: Redis;

beforeAll(async () => {
  redis = new Redis(process.env.REDIS_URL as string, { maxRetriesPerRequest: 1 });
  owner = await account("OWNER", { epsilonAllowance: 10 });
  datasetId = await uploadFixture(owner, "two trainers");
  const log = openSync(join(process.env.E2E_ARTIFACTS_DIR ?? "/tmp", "second-trainer.log"), "a");
  // The stack's own environment (queue, Redis, blob store, model cache): a second worker of the same deployment.
  second = spawn(join(TRAINER_DIR, ".venv/bin/python"), ["-m", "dpsynth_trainer", "worker"], {
    cwd: TRAINER_DIR,
    env: { ...process.env, TRAINER_CONCURRENCY: "1" },
    stdio: ["ignore", log, log],
  });
  const name = `${CONSTANTS.queue.prefix}:${CONSTANTS.queue.train}:w:${hostname()}:${second.pid}`;
  await eventually(
    async () => {
      const trainers = await listeningTrainers(redis);
      return trainers.has(name) && trainers.size >= 2;
    },
    "the second trainer to listen beside the stack's",
    3 * MINUTE,
  );
}, 5 * MINUTE); // a trainer imports torch and transformers before it listens: a minute on a busy machine

afterAll(async () => {
  if (second && second.exitCode === null) {
    const exited = new Promise((resolve) => second?.once("exit", resolve));
    second.kill("SIGTERM");
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 30_000))]);
    if (second.exitCode === null) second.kill("SIGKILL");
  }
  redis?.disconnect();
});

describe("two trainers on one queue", () => {
  it("run two jobs at once, each by one trainer, each charged to the ledger once", {
    timeout: 12 * MINUTE,
  }, async () => {
    const submit = async () => {
      const answer = await request("/api/v1/jobs", {
        method: "POST",
        headers: owner.auth,
        json: jobRequest(datasetId),
      });
      expect(answer.status, answer.text).toBe(201);
      return (answer.json as TJob).id;
    };
    const ids = [await submit(), await submit()];
    const read = async (id: string) => (await request(`/api/v1/jobs/${id}`, { headers: owner.auth })).json as TJob;

    // What an owner polling both jobs sees: at one moment, both are running.
    await eventually(
      async () => (await Promise.all(ids.map(read))).every((job) => job.status === "RUNNING"),
      "both jobs to be running at the same time",
      4 * MINUTE,
      200,
    );
    // The trainers' heartbeats say the same: two online, each busy with one of the two jobs.
    type TTrainer = { state: string; currentJobs: string[] };
    const holding = await eventually(
      async () => {
        const { trainers } = (await request("/api/v1/trainers", { headers: owner.auth })).json as {
          trainers: TTrainer[];
        };
        const busy = trainers.filter((trainer) => trainer.state === "busy");
        return busy.length === 2 && busy.every((trainer) => trainer.currentJobs.length === 1) && busy;
      },
      "both trainers' heartbeats to say busy",
      MINUTE,
      200,
    );
    expect(holding.flatMap((trainer) => trainer.currentJobs).sort()).toEqual([...ids].sort());
    const ended = await Promise.all(
      ids.map((id) =>
        eventually(
          async () => {
            const job = await read(id);
            return ["SUCCEEDED", "FAILED", "CANCELLED"].includes(job.status) && job;
          },
          `job ${id} to end`,
          6 * MINUTE,
          1_000,
        ),
      ),
    );
    expect(ended.map((job) => [job.status, job.attempts])).toEqual([
      ["SUCCEEDED", 1],
      ["SUCCEEDED", 1],
    ]);
    const { ledger } = (await request(`/api/v1/datasets/${datasetId}`, { headers: owner.auth })).json as {
      ledger: TLedgerEntry[];
    };
    for (const job of ended) {
      const of = (kind: TLedgerEntry["kind"]) =>
        ledger.filter((entry) => entry.jobId === job.id && entry.kind === kind);
      // One reservation, charges adding up to what the job spent (no second trainer's run charged on top), within
      // what was approved.
      expect(of("RESERVE")).toHaveLength(1);
      const charged = of("CHARGE").reduce((total, entry) => total + entry.epsilon, 0);
      expect(charged).toBeCloseTo(job.epsilonSpent, 9);
      expect(charged).toBeLessThanOrEqual(job.epsilon + 1e-9);
      expect(charged).toBeGreaterThan(0);
    }
  });
});
