import "server-only";
import { Inbox } from "@/lib/inbox";
import type { TCaller } from "../auth/authenticate.ts";
import type { TServerContext } from "../context.ts";
import { errorResponse } from "../http/respond.ts";
import { joinJobEventTail, sseFrame, type TTailMessage } from "./event-tail.ts";
import { findJob } from "./queries.ts";
import { publicEvent } from "./serialize.ts";

const encoder = new TextEncoder();

const HISTORY_PAGE = 500;

export interface TEventStreamOptions {
  heartbeatMs?: number;
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

/**
 * `GET /jobs/:id/events`: Server-Sent Events. First the history persisted in PostgreSQL (JobEvent), then the
 * live tail of the job's Redis stream (shared by every subscriber of the job in this process, see event-tail.ts),
 * from the stream's start and deduplicated by seq so nothing written between the two reads is lost; a comment every `heartbeatMs` keeps proxies from closing an idle stream. The stream
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
  // The tail's messages wait here while the history is read, so nothing written between the two reads is lost.
  const inbox = new Inbox<TTailMessage>();
  let leave = () => {};
  let closed = false;
  const close = () => {
    closed = true;
    leave();
    inbox.close();
  };
  request.signal.addEventListener("abort", close, { once: true });

  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      const send = (bytes: Uint8Array) => {
        if (!closed) controller.enqueue(bytes);
      };
      const sendText = (text: string) => send(encoder.encode(text));
      const sendHistory = async () => {
        for (;;) {
          const rows = await ctx.prisma.jobEvent.findMany({
            where: { jobId: id, seq: { gt: lastSeq } },
            orderBy: { seq: "asc" },
            take: HISTORY_PAGE,
          });
          for (const row of rows) {
            send(sseFrame(row.seq, row.type, publicEvent(row.type, row.payload, ctx.blobs)));
            lastSeq = row.seq;
          }
          if (rows.length < HISTORY_PAGE) return;
        }
      };
      try {
        sendText("retry: 3000\n\n");
        leave = joinJobEventTail(ctx, id, (message) => inbox.push(message), { heartbeatMs });
        await sendHistory();
        for (let message = await inbox.next(); message; message = await inbox.next()) {
          if (message.kind === "events") {
            for (const event of message.events) {
              if (event.seq <= lastSeq) continue;
              send(event.bytes);
              lastSeq = event.seq;
            }
          } else if (message.kind === "idle") {
            sendText(": heartbeat\n\n");
          } else if (message.kind === "final") {
            // Events control persisted after the stream expired are only in PostgreSQL.
            await sendHistory();
            sendText(`event: end\ndata: ${JSON.stringify({ status: message.status })}\n\n`);
            break;
          } else {
            throw message.error;
          }
        }
      } catch (error) {
        if (!closed) {
          // The same code and message a JSON route would answer (503 unavailable, or internal with a reference).
          const answer = (await errorResponse(error).json()) as { error: unknown };
          sendText(`event: interrupted\ndata: ${JSON.stringify(answer.error)}\n\n`);
        }
      }
      if (!closed) controller.close();
      close();
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
