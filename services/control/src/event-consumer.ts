import { JOB_KEY_TTL_S, jobRedisKeys, REDIS_KEYS, type TTrainerEvent, ZTrainerEvent } from "@dpsynth/contracts";
import { IN_FLIGHT_JOB_STATUSES, type PrismaClient } from "@dpsynth/db";
import type { Redis } from "ioredis";
import { raiseCancelFlag } from "./cancellation.ts";
import { persistEvent } from "./event-store.ts";
import { KeyedMutex } from "./keyed-mutex.ts";
import { errorFields, type TLogger } from "./log.ts";

type TStreamEntry = [id: string, fields: string[]];
type TXReadReply = [key: string, entries: TStreamEntry[]][] | null;

const READ_COUNT = 500;
/** How long a finished job is still followed: its trainer may still be writing its last events. */
const FINISHED_GRACE_MS = 60_000;

/** Orders Redis stream ids (`<ms>-<n>`) numerically. */
function streamIdAfter(a: string, b: string): boolean {
  const [am = 0n, an = 0n] = a.split("-").map(BigInt);
  const [bm = 0n, bn = 0n] = b.split("-").map(BigInt);
  return am > bm || (am === bm && an > bn);
}

/**
 * Persists every trainer event to PostgreSQL. Control is the only consumer of the per-job streams
 * `dpsynth:events:<jobId>`.
 *
 * Why one plain XREAD over the streams of open jobs, rather than a consumer group per stream: the durable
 * cursor already lives in PostgreSQL (a JobEvent row per (jobId, seq)), so Redis-side acknowledgements
 * would be a second, disagreeing record of what was persisted. A plain XREAD needs no group to create per
 * job or pending list to reclaim, reads every open job in one blocking round trip, and after a restart
 * simply re-reads open streams from their start: the (jobId, seq) key turns the replay into no-ops. A second
 * control replica is safe for the same reason, only redundant.
 */
export class EventConsumer {
  /** Last stream id handled, per open job. */
  private readonly cursors = new Map<string, string>();
  private readonly locks = new KeyedMutex();
  private stopped = false;

  constructor(
    private readonly deps: {
      prisma: PrismaClient;
      /** For XRANGE and key expiry. */
      redis: Redis;
      /** A connection of its own: XREAD BLOCK holds it. */
      blockingRedis: Redis;
      blockMs: number;
      log: TLogger;
    },
  ) {}

  /**
   * Re-reads which jobs to follow: open ones, from the beginning of their stream when new, and for a short
   * while those just ended, whose trainer may still be writing its last events; the rest are dropped.
   */
  async refreshJobs(): Promise<string[]> {
    const open = await this.deps.prisma.job.findMany({
      where: {
        OR: [
          { status: { in: [...IN_FLIGHT_JOB_STATUSES] } },
          { finishedAt: { gte: new Date(Date.now() - FINISHED_GRACE_MS) } },
        ],
      },
      select: { id: true },
    });
    const ids = new Set(open.map((job) => job.id));
    for (const id of ids) if (!this.cursors.has(id)) this.cursors.set(id, "0-0");
    for (const id of [...this.cursors.keys()]) {
      if (ids.has(id)) continue;
      this.cursors.delete(id);
      await this.expireKeys(id);
    }
    return [...ids];
  }

  /** One round: refresh the open jobs, wait up to `blockMs` for events, persist what came. */
  async pollOnce(): Promise<number> {
    const jobIds = await this.refreshJobs();
    if (jobIds.length === 0) {
      await new Promise((resolve) => setTimeout(resolve, this.deps.blockMs));
      return 0;
    }
    const keys = jobIds.map((id) => jobRedisKeys(id).events);
    const cursors = jobIds.map((id) => this.cursors.get(id) ?? "0-0");
    const reply = (await this.deps.blockingRedis.xread(
      "COUNT",
      READ_COUNT,
      "BLOCK",
      this.deps.blockMs,
      "STREAMS",
      ...keys,
      ...cursors,
    )) as TXReadReply;
    let handled = 0;
    for (const [key, entries] of reply ?? []) {
      const jobId = jobIds[keys.indexOf(key)];
      if (jobId) handled += await this.locks.run(jobId, () => this.handle(jobId, entries));
    }
    return handled;
  }

  /**
   * Persists everything the job's stream holds beyond what was handled. Paths that end a job on other
   * evidence (BullMQ's final failure, recovery) call this first, so charges for steps already reported are
   * in the ledger before the reservation is settled.
   */
  async drain(jobId: string): Promise<void> {
    await this.locks.run(jobId, async () => {
      for (;;) {
        const from = this.cursors.get(jobId) ?? "0-0";
        const entries = (await this.deps.redis.xrange(
          jobRedisKeys(jobId).events,
          `(${from}`,
          "+",
          "COUNT",
          READ_COUNT,
        )) as TStreamEntry[];
        if (entries.length === 0) return;
        await this.handle(jobId, entries);
        if ((this.cursors.get(jobId) ?? "0-0") === from) return;
      }
    });
  }

  /** Runs `pollOnce` until `stop`; a failing round (database or Redis away) is logged and retried. */
  async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.pollOnce();
      } catch (error) {
        if (this.stopped) break;
        this.deps.log.error("event consumer round failed; retrying", errorFields(error));
        await new Promise((resolve) => setTimeout(resolve, this.deps.blockMs));
      }
    }
  }

  stop(): void {
    this.stopped = true;
  }

  /** Persists entries in stream order; stops at the first failure so that no later event overtakes it. */
  private async handle(jobId: string, entries: TStreamEntry[]): Promise<number> {
    let handled = 0;
    for (const [id, fields] of entries) {
      const cursor = this.cursors.get(jobId) ?? "0-0";
      if (!streamIdAfter(id, cursor)) continue;
      const event = this.decode(jobId, id, fields);
      if (event) {
        try {
          if ((await persistEvent(this.deps.prisma, event)) === "refused") {
            // The ledger refused a charge and failed the job: its trainer must not go on spending.
            this.deps.log.warn("the ledger refused a charge; the job failed and its trainer is told to stop", {
              jobId,
              seq: event.seq,
            });
            await raiseCancelFlag(this.deps.redis, jobId);
          }
        } catch (error) {
          this.deps.log.error("could not persist a trainer event; will retry", {
            jobId,
            seq: event.seq,
            ...errorFields(error),
          });
          return handled;
        }
        handled++;
      }
      this.cursors.set(jobId, id);
    }
    return handled;
  }

  /** Parses one stream entry; an entry that breaks the contract is logged (ids only) and skipped. */
  private decode(jobId: string, id: string, fields: string[]): TTrainerEvent | null {
    const index = fields.indexOf(REDIS_KEYS.eventField);
    const raw = index >= 0 && index % 2 === 0 ? fields[index + 1] : undefined;
    let parsed: ReturnType<typeof ZTrainerEvent.safeParse> | undefined;
    try {
      parsed = raw === undefined ? undefined : ZTrainerEvent.safeParse(JSON.parse(raw));
    } catch {
      parsed = undefined;
    }
    if (parsed?.success && parsed.data.jobId === jobId) return parsed.data;
    this.deps.log.error("skipping a stream entry that is not a valid trainer event of this job", {
      jobId,
      entryId: id,
      issues: parsed?.error?.issues.map((issue) => `${issue.path.join(".")}: ${issue.code}`).slice(0, 5),
    });
    return null;
  }

  private async expireKeys(jobId: string): Promise<void> {
    const keys = jobRedisKeys(jobId);
    await this.deps.redis
      .multi()
      .expire(keys.events, JOB_KEY_TTL_S.afterFinish)
      .expire(keys.seq, JOB_KEY_TTL_S.afterFinish)
      .expire(keys.cancel, JOB_KEY_TTL_S.afterFinish)
      .exec();
  }
}
