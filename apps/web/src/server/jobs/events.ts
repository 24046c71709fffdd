import "server-only";
import { jobRedisKeys, REDIS_KEYS } from "@dpsynth/contracts";
import { isTerminalJobStatus } from "@dpsynth/db";
import type { Redis } from "ioredis";
import type { TCaller } from "../auth/authenticate.ts";
import { type TServerContext, webRedis } from "../context.ts";
import { errorResponse } from "../http/respond.ts";
import { DEPENDENCY_DEADLINE_MS, redisReady } from "../http/unavailable.ts";
import { findJob } from "./queries.ts";
import { publicEvent } from "./serialize.ts";

const HISTORY_PAGE = 500;

export interface TEventStreamOptions {
  heartbeatMs?: number;
}

type TStreamEntry = [id: string, fields: string[]];

/** One SSE message; the id is the trainer's seq, so a reconnecting browser resumes with Last-Event-ID. */
function frame(seq: number, type: string, payload: unknown): string {
  return `id: ${seq}\nevent: ${type}\ndata: ${JSON.stringify(payload)}\n\n`;
}

/** The largest seq there can be: JobEvent.seq is a PostgreSQL integer. */
const MAX_SEQ = 2 ** 31 - 1;

/** The seq to resume after; anything but a seq there can be (huge, negative, not a number) replays everything. */
function resumeAfter(request: Request): number {
  const raw = (request.headers.get("last-event-id") ?? new URL(request.url).searchParams.get("lastEventId"))?.trim();
  if (!raw || !/^\d{1,10}$/.test(raw)) return -1;
  const seq = Number(raw);
  return seq <= MAX_SEQ ? seq : -1;
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
 * `GET /jobs/:id/events`: Server-Sent Events. First the history persisted in PostgreSQL (JobEvent), then the
 * live tail of the job's Redis stream, read from its start and deduplicated by seq so nothing written between
 * the two reads is lost; a comment every `heartbeatMs` keeps proxies from closing an idle stream. The stream
 * ends (with an `end` event carrying the status) once the job is final and every event has been sent.
 */
export async function jobEvents(
  ctx: TServerContext,
  caller: TCaller,
  id: string,
  request: Request,
  { heartbeatMs = 15_000 }: TEventStreamOptions = {},
): Promise<Response> {
  await findJob(ctx, caller, id);
  let lastSeq = resumeAfter(request);
  const streamKey = jobRedisKeys(id).events;
  let reader: Redis | null = null;
  let closed = false;
  const encoder = new TextEncoder();

  const close = () => {
    closed = true;
    reader?.disconnect();
  };
  request.signal.addEventListener("abort", close, { once: true });

  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      const send = (text: string) => {
        if (!closed) controller.enqueue(encoder.encode(text));
      };
      const sendEvent = (seq: number, type: string, payload: unknown) =>
        send(frame(seq, type, publicEvent(type, payload, ctx.blobs)));
      const sendHistory = async () => {
        for (;;) {
          const rows = await ctx.prisma.jobEvent.findMany({
            where: { jobId: id, seq: { gt: lastSeq } },
            orderBy: { seq: "asc" },
            take: HISTORY_PAGE,
          });
          for (const row of rows) {
            sendEvent(row.seq, row.type, row.payload);
            lastSeq = row.seq;
          }
          if (rows.length < HISTORY_PAGE) return;
        }
      };
      const sendEntries = (entries: TStreamEntry[]) => {
        for (const [, fields] of entries) {
          const event = decode(fields);
          if (!event || event.seq <= lastSeq) continue;
          sendEvent(event.seq, event.type, event.payload);
          lastSeq = event.seq;
        }
      };
      try {
        send(`retry: 3000\n\n`);
        await sendHistory();
        // A connection of its own for blocking reads, whose timeout outlasts the longest block.
        reader = webRedis(ctx.config.redisUrl, { commandTimeout: heartbeatMs + DEPENDENCY_DEADLINE_MS });
        await redisReady(reader);
        let cursor = "0-0";
        while (!closed) {
          const job = await ctx.prisma.job.findUnique({ where: { id }, select: { status: true } });
          const final = !job || isTerminalJobStatus(job.status);
          const reply = (
            final
              ? await reader.xread("COUNT", HISTORY_PAGE, "STREAMS", streamKey, cursor)
              : await reader.xread("COUNT", HISTORY_PAGE, "BLOCK", heartbeatMs, "STREAMS", streamKey, cursor)
          ) as [string, TStreamEntry[]][] | null;
          const entries = reply?.[0]?.[1] ?? [];
          sendEntries(entries);
          cursor = entries.at(-1)?.[0] ?? cursor;
          if (final && entries.length === 0) {
            // Events control persisted after the stream expired are only in PostgreSQL.
            await sendHistory();
            send(`event: end\ndata: ${JSON.stringify({ status: job?.status ?? null })}\n\n`);
            break;
          }
          if (entries.length === 0) send(": heartbeat\n\n");
        }
      } catch (error) {
        if (!closed) {
          // The same code and message a JSON route would answer (503 unavailable, or internal with a reference).
          const answer = (await errorResponse(error).json()) as { error: unknown };
          send(`event: interrupted\ndata: ${JSON.stringify(answer.error)}\n\n`);
        }
      } finally {
        reader?.disconnect();
      }
      if (!closed) controller.close();
      closed = true;
    },
    cancel: close,
  });

  return new Response(body, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    },
  });
}
