import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { jobRedisKeys, QUEUE, type TJobSpecInput, TrainQueues } from "@dpsynth/contracts";
import type { PrismaClient } from "@dpsynth/db";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { loadConfig, redisConnectionOptions, type TControlConfig } from "./config.ts";
import { startControl, type TControl } from "./control.ts";
import { createLogger } from "./log.ts";

/** Test-only: real processes and connections for the integration tests, one set per test file. */

export const REPO_ROOT = new URL("../../../", import.meta.url).pathname;
const TRAINER_PYTHON = `${REPO_ROOT}services/trainer/.venv/bin/python`;

/**
 * Lock and stalled settings short enough that a killed trainer's job is back in the queue within about ten
 * seconds, and long enough that a live trainer on a busy 2-core machine never misses a renewal (its lock is
 * renewed every 2 to 4 s).
 */
export const FAST_QUEUE_ENV = {
  DPSYNTH_LOCK_DURATION_MS: "8000",
  DPSYNTH_STALLED_INTERVAL_MS: "1000",
} as const;

export interface TTrainerProcess {
  process: ChildProcess;
  pid: number;
  /** Resolves once the worker listens on the queue. */
  ready: Promise<void>;
  exited: Promise<number | null>;
  output(): string;
}

/** Starts `python -m dpsynth_trainer worker` on the given queue prefix. */
export function spawnTrainer(env: Record<string, string>): TTrainerProcess {
  const child = spawn(TRAINER_PYTHON, ["-m", "dpsynth_trainer", "worker"], {
    cwd: `${REPO_ROOT}services/trainer`,
    env: { ...process.env, PYTHONUNBUFFERED: "1", DPSYNTH_DEVICE: "cpu", ...FAST_QUEUE_ENV, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("trainer worker listening")) resolve();
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => reject(new Error(`trainer exited (${code}) before listening:\n${output}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { process: child, pid: child.pid ?? -1, ready, exited, output: () => output };
}

type TTruthy<T> = Exclude<T, null | undefined | false | 0 | "">;

/** Polls `probe` until it returns something truthy. */
export async function waitFor<T>(probe: () => Promise<T>, what: string, timeoutMs = 60_000): Promise<TTruthy<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as TTruthy<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The pieces one integration test file shares: its own queue prefix, queues to produce on, and control. */
export class TestStack {
  readonly prefix = `t${randomBytes(5).toString("hex")}`;
  readonly redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
  /** The train queues of every device count, as the web opens them. */
  readonly queues: TrainQueues<Queue>;
  /** The one-device queue, where most tests' jobs go. */
  readonly queue: Queue;
  readonly config: TControlConfig;
  control: TControl | null = null;
  private readonly trainers: TTrainerProcess[] = [];
  private readonly jobIds: string[] = [];

  constructor(readonly prisma: PrismaClient) {
    this.config = loadConfig({
      DATABASE_URL: process.env.DATABASE_URL,
      REDIS_URL: process.env.REDIS_URL,
      DPSYNTH_QUEUE_PREFIX: this.prefix,
      CONTROL_SWEEP_INTERVAL_MS: "250",
      CONTROL_EVENT_BLOCK_MS: "100",
    });
    const connection = redisConnectionOptions(this.config.REDIS_URL);
    this.queues = new TrainQueues((name) => new Queue(name, { connection, prefix: this.prefix }));
    this.queue = this.queues.for(1);
  }

  async startControl(): Promise<TControl> {
    this.control = await startControl(this.config, { prisma: this.prisma, log: createLogger("control", "warn") });
    return this.control;
  }

  async stopControl(): Promise<void> {
    await this.control?.stop();
    this.control = null;
  }

  /** What the web does after it created the Job row and its reservation: the job on its device count's queue. */
  async enqueue(jobId: string, spec: unknown, attempts = 3): Promise<void> {
    this.jobIds.push(jobId);
    await this.queues.forSpec(spec).add(QUEUE.jobName, spec as TJobSpecInput, {
      jobId,
      attempts,
      backoff: { type: "fixed", delay: 500 },
    });
  }

  trainer(env: Record<string, string> = {}): TTrainerProcess {
    const trainer = spawnTrainer({
      REDIS_URL: this.config.REDIS_URL,
      DPSYNTH_QUEUE_PREFIX: this.prefix,
      ...env,
    });
    this.trainers.push(trainer);
    return trainer;
  }

  /** Stops every trainer still running (SIGTERM, then SIGKILL), control, and removes this file's Redis keys. */
  async close(): Promise<void> {
    for (const trainer of this.trainers) {
      if (trainer.process.exitCode !== null || trainer.process.signalCode !== null) continue;
      trainer.process.kill("SIGTERM");
      const timer = setTimeout(() => trainer.process.kill("SIGKILL"), 10_000);
      await trainer.exited;
      clearTimeout(timer);
    }
    await this.stopControl();
    for (const [, queue] of this.queues.entries()) await queue.obliterate({ force: true });
    await this.queues.close();
    for (const id of this.jobIds) await this.redis.del(...Object.values(jobRedisKeys(id)));
    this.redis.disconnect();
  }
}
