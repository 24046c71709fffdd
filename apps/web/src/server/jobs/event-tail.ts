import "server-only";
import { jobRedisKeys, REDIS_KEYS } from "@dpsynth/contracts";
import { isTerminalJobStatus, type JobStatus } from "@dpsynth/db";
import type { Redis } from "ioredis";
import { type TServerContext, webRedis } from "../context.ts";
import { DEPENDENCY_DEADLINE_MS, redisReady } from "../http/unavailable.ts";
import { publicEvent } from "./serialize.ts";

const PAGE = 500;

/** One trainer event, framed for SSE once for every subscriber (the id is the trainer's seq). */
export interface TFramedEvent {
  seq: number;
  bytes: Uint8Array;
}

/** What a tail tells each of its subscribers, in order. */
export type TTailMessage =
  | { kind: "events"; events: readonly TFramedEvent[] }
  /** The stream was idle for a heartbeat: a comment keeps proxies from closing the response. */
  | { kind: "idle" }
  /** The job is final and every stream entry has been handed over; the subscriber is dropped. */
  | { kind: "final"; status: JobStatus | null }
  /** Redis or PostgreSQL failed under the tail; the subscriber is dropped. */
  | { kind: "failed"; error: unknown };

export type TTailListener = (message: TTailMessage) => void;

type TStreamEntry = [id: string, fields: string[]];

const encoder = new TextEncoder();

/** The Redis connection name of a job's tail reader. */
export const eventTailConnectionName = (jobId: string) => `dpsynth-web-events-${jobId}`;

/** One SSE message: the same bytes a history row of the same event gets. */
export function sseFrame(seq: number, type: string, payload: unknown): Uint8Array {
  return encoder.encode(`id: ${seq}\nevent: ${type}\ndata: ${JSON.stringify(payload)}\n\n`);
}

function decode(fields: string[]): { seq: number; type: string; payload: unknown } | null {
  const index = fields.indexOf(REDIS_KEYS.eventField);
  if (index < 0 || index % 2 !== 0) return null;
  try {
    const payload = JSON.parse(fields[index + 1] as string) as { seq?: unknown; type?: unknown };
    return typeof payload.seq === "number" && typeof payload.type === "string"
      ? { seq: payload.seq, type: payload.type, payload }
      : null;
  } catch {
    return null;
  }
}

/**
 * The live tail of one job's Redis event stream, shared by every subscriber of that job in this web process:
 * one blocking reader and one job-status read per wake-up, however many browsers watch. (Each subscriber had its
 * own reader and read the job's status from PostgreSQL at every wake-up: with 200 watchers an event cost 200
 * status queries, and delivery lagged by most of a second.) Entries read so far are kept, so a late subscriber
 * gets the stream from its start; the tail stops when its last subscriber leaves or the job is final.
 */
class JobEventTail {
  private readonly listeners = new Set<TTailListener>();
  private readonly backlog: TFramedEvent[] = [];
  private reader: Redis | null = null;
  private stopped = false;

  constructor(
    private readonly ctx: TServerContext,
    private readonly jobId: string,
    private readonly heartbeatMs: number,
    private readonly onStop: () => void,
  ) {}

  /** Adds a listener and hands it what the stream held so far; returns how to leave. */
  join(listener: TTailListener): () => void {
    this.listeners.add(listener);
    if (this.backlog.length > 0) listener({ kind: "events", events: this.backlog.slice() });
    if (this.listeners.size === 1 && !this.reader) void this.run();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  private stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.reader?.disconnect();
    this.onStop();
  }

  private frame(entries: TStreamEntry[]): TFramedEvent[] {
    const last = this.backlog.at(-1)?.seq ?? -1;
    const framed: TFramedEvent[] = [];
    for (const [, fields] of entries) {
      const event = decode(fields);
      if (!event || event.seq <= (framed.at(-1)?.seq ?? last)) continue;
      framed.push({
        seq: event.seq,
        bytes: sseFrame(event.seq, event.type, publicEvent(event.type, event.payload, this.ctx.blobs)),
      });
    }
    return framed;
  }

  private tell(message: TTailMessage): void {
    for (const listener of [...this.listeners]) listener(message);
  }

  private async run(): Promise<void> {
    const streamKey = jobRedisKeys(this.jobId).events;
    try {
      // A connection of its own for blocking reads, whose timeout outlasts the longest block; named, so that
      // `CLIENT LIST` tells which job each reader follows.
      this.reader = webRedis(this.ctx.config.redisUrl, {
        commandTimeout: this.heartbeatMs + DEPENDENCY_DEADLINE_MS,
        connectionName: eventTailConnectionName(this.jobId),
      });
      await redisReady(this.reader);
      let cursor = "0-0";
      while (!this.stopped) {
        const job = await this.ctx.prisma.job.findUnique({ where: { id: this.jobId }, select: { status: true } });
        const final = !job || isTerminalJobStatus(job.status);
        const reply = (
          final
            ? await this.reader.xread("COUNT", PAGE, "STREAMS", streamKey, cursor)
            : await this.reader.xread("COUNT", PAGE, "BLOCK", this.heartbeatMs, "STREAMS", streamKey, cursor)
        ) as [string, TStreamEntry[]][] | null;
        if (this.stopped) return;
        const entries = reply?.[0]?.[1] ?? [];
        cursor = entries.at(-1)?.[0] ?? cursor;
        const framed = this.frame(entries);
        if (framed.length > 0) {
          this.backlog.push(...framed);
          this.tell({ kind: "events", events: framed });
        }
        if (final && entries.length === 0) {
          this.tell({ kind: "final", status: job?.status ?? null });
          break;
        }
        if (entries.length === 0) this.tell({ kind: "idle" });
      }
    } catch (error) {
      if (!this.stopped) this.tell({ kind: "failed", error });
    }
    this.listeners.clear();
    this.stop();
  }
}

const tails = new WeakMap<TServerContext, Map<string, JobEventTail>>();

/**
 * Joins the shared tail of a job's event stream in this process (starting it for the first subscriber). The
 * tail blocks for `heartbeatMs` between wake-ups, as its first subscriber asked.
 */
export function joinJobEventTail(
  ctx: TServerContext,
  jobId: string,
  listener: TTailListener,
  { heartbeatMs }: { heartbeatMs: number },
): () => void {
  let ofContext = tails.get(ctx);
  if (!ofContext) {
    ofContext = new Map();
    tails.set(ctx, ofContext);
  }
  let tail = ofContext.get(jobId);
  if (!tail) {
    const created = new JobEventTail(ctx, jobId, heartbeatMs, () => {
      if (ofContext.get(jobId) === created) ofContext.delete(jobId);
    });
    ofContext.set(jobId, created);
    tail = created;
  }
  return tail.join(listener);
}
