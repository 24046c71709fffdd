import { jobRedisKeys, REDIS_KEYS, SCHEMA_VERSION, type TTrainerEvent } from "@dpsynth/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as jobsRoute from "../../../app/api/v1/jobs/route.ts";
import { ENDPOINTS } from "../http/endpoints.ts";
import { route } from "../http/route.ts";
import { call, createTestServer, type TTestServer } from "../testing.ts";
import { eventTailConnectionName } from "./event-tail.ts";
import { jobEvents } from "./events.ts";

let server: TTestServer;
let owner: Awaited<ReturnType<TTestServer["user"]>>;
// The real handler through the real wrapper, with a short heartbeat so the test need not wait 15 s.
const GET = route(ENDPOINTS.jobEvents, ({ ctx, caller, params, request }) =>
  jobEvents(ctx, caller, params.id, request, { heartbeatMs: 150 }),
);

beforeAll(async () => {
  server = await createTestServer();
  owner = await server.user("OWNER", 3);
});
afterAll(() => server.close());

function metric(jobId: string, seq: number): TTrainerEvent {
  return {
    schemaVersion: SCHEMA_VERSION,
    jobId,
    seq,
    ts: new Date().toISOString(),
    attempt: 1,
    type: "metric",
    step: seq,
    epoch: 0,
    values: { "train/loss": 3 - seq / 10, "privacy/epsilon": seq / 10 },
  };
}

/** A job queued through the API, its Redis event stream, and a way to write a trainer event to it. */
async function queuedJob() {
  const dataset = await server.dataset(owner.id);
  const { body: job } = await call(jobsRoute.POST, {
    method: "POST",
    headers: owner.auth,
    json: { datasetId: dataset.id, model: "tiny-gpt2", epsilon: 1, syntheticRows: 20 },
  });
  const stream = jobRedisKeys(job.id).events;
  const add = (seq: number) =>
    server.ctx.redis.xadd(stream, "*", REDIS_KEYS.eventField, JSON.stringify(metric(job.id, seq)));
  return { job: job as { id: string }, stream, add };
}

/** Reads SSE frames from a response body until `until` says stop. */
async function readFrames(response: Response, until: (frames: string[]) => boolean): Promise<string[]> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  const frames: string[] = [];
  while (!until(frames)) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end = buffer.indexOf("\n\n");
    while (end >= 0) {
      frames.push(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
      end = buffer.indexOf("\n\n");
    }
  }
  await reader.cancel();
  return frames;
}

const ids = (frames: string[]) => frames.flatMap((frame) => frame.match(/^id: (\d+)$/m)?.[1] ?? []).map(Number);

describe("GET /api/v1/jobs/:id/events", () => {
  it("replays history from PostgreSQL, tails the Redis stream live, heartbeats, resumes from Last-Event-ID, ends when final", async () => {
    const { job, stream, add } = await queuedJob();
    // Control has persisted 0..2; the stream still holds them, plus 3 not yet persisted.
    await server.ctx.prisma.jobEvent.createMany({
      data: [0, 1, 2].map((seq) => ({ jobId: job.id, seq, type: "metric", payload: metric(job.id, seq) })),
    });
    for (const seq of [0, 1, 2, 3]) await add(seq);

    const live = await call(GET, { headers: owner.cookie, params: { id: job.id } });
    expect(live.response.headers.get("content-type")).toMatch(/text\/event-stream/);
    const reading = readFrames(
      live.response,
      (frames) => ids(frames).includes(4) && frames.some((f) => f.startsWith(": heartbeat")),
    );
    await new Promise((resolve) => setTimeout(resolve, 400));
    await add(4);
    const frames = await reading;
    expect(ids(frames)).toEqual([0, 1, 2, 3, 4]);
    expect(frames.find((f) => f.startsWith("id: 4"))).toContain("event: metric");
    expect(
      JSON.parse((frames.find((f) => f.startsWith("id: 4")) as string).split("data: ")[1] as string),
    ).toMatchObject({
      seq: 4,
      values: { "train/loss": 2.6 },
    });

    await add(5);
    await server.ctx.prisma.job.update({ where: { id: job.id }, data: { status: "SUCCEEDED" } });
    const resumed = await call(GET, { headers: { ...owner.auth, "last-event-id": "3" }, params: { id: job.id } });
    const rest = await readFrames(resumed.response, () => false);
    expect(ids(rest)).toEqual([4, 5]);
    expect(rest.at(-1)).toBe('event: end\ndata: {"status":"SUCCEEDED"}');
    await server.ctx.redis.del(stream);
  });

  it("serves every watcher of a job from one Redis reader, late joiners included, and lets it go when they leave", async () => {
    const { job, stream, add } = await queuedJob();
    // Readers of this job's stream, as Redis sees them.
    const readers = async () =>
      ((await server.ctx.redis.call("CLIENT", "LIST")) as string)
        .split("\n")
        .filter((line) => line.includes(` name=${eventTailConnectionName(job.id)} `)).length;
    await add(0);
    const open = () => call(GET, { headers: owner.auth, params: { id: job.id } });
    const early = await Promise.all([open(), open(), open()]);
    const readingEarly = early.map(({ response }) => readFrames(response, (frames) => ids(frames).includes(2)));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await add(1);
    // Joins after 0 and 1 were read off the stream (neither is in PostgreSQL): it still gets them.
    const late = await open();
    const readingLate = readFrames(late.response, (frames) => ids(frames).includes(2));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await readers()).toBe(1);
    await add(2);
    for (const frames of await Promise.all([...readingEarly, readingLate])) expect(ids(frames)).toEqual([0, 1, 2]);
    // Every watcher has left (readFrames cancels its body): the shared reader is closed.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await readers()).toBe(0);
    await server.ctx.redis.del(stream);
  });

  it("answers 404 for another owner's job", async () => {
    const dataset = await server.dataset(owner.id);
    const job = await server.ctx.prisma.job.create({
      data: { datasetId: dataset.id, requesterId: owner.id, spec: {}, status: "QUEUED", epsilon: 1, delta: 1e-6 },
    });
    const stranger = await server.user("OWNER");
    expect((await call(GET, { headers: stranger.auth, params: { id: job.id } })).status).toBe(404);
  });

  it("takes a Last-Event-ID no seq can have (huge, negative, not a number) as none: the whole history, no 500", async () => {
    const dataset = await server.dataset(owner.id);
    const job = await server.ctx.prisma.job.create({
      data: { datasetId: dataset.id, requesterId: owner.id, spec: {}, status: "SUCCEEDED", epsilon: 1, delta: 1e-6 },
    });
    await server.ctx.prisma.jobEvent.createMany({
      data: [0, 1].map((seq) => ({ jobId: job.id, seq, type: "metric", payload: metric(job.id, seq) })),
    });
    for (const lastEventId of ["99999999999999999999999", "2147483648", "-5", "1e3", "abc", " 0x10"]) {
      const answer = await call(GET, {
        headers: { ...owner.auth, "last-event-id": lastEventId },
        params: { id: job.id },
      });
      expect([lastEventId, answer.status]).toEqual([lastEventId, 200]);
      expect(ids(await readFrames(answer.response, () => false))).toEqual([0, 1]);
    }
  });

  it("shows an artifact event's location as its blob key, never a server path", async () => {
    const dataset = await server.dataset(owner.id);
    const job = await server.ctx.prisma.job.create({
      data: { datasetId: dataset.id, requesterId: owner.id, spec: {}, status: "SUCCEEDED", epsilon: 1, delta: 1e-6 },
    });
    const artifact = {
      schemaVersion: SCHEMA_VERSION,
      jobId: job.id,
      seq: 0,
      ts: new Date().toISOString(),
      attempt: 1,
      type: "artifact",
      name: "synthetic.csv",
      uri: server.ctx.blobs.uri(`jobs/${job.id}/synthetic.csv`),
      bytes: 10,
      sha256: "0".repeat(64),
    };
    await server.ctx.prisma.jobEvent.create({ data: { jobId: job.id, seq: 0, type: "artifact", payload: artifact } });
    const frames = await readFrames(
      (await call(GET, { headers: owner.auth, params: { id: job.id } })).response,
      () => false,
    );
    const sent = JSON.parse((frames.find((f) => f.startsWith("id: 0")) as string).split("data: ")[1] as string);
    expect(sent).toMatchObject({ type: "artifact", name: "synthetic.csv", uri: `jobs/${job.id}/synthetic.csv` });
    expect(frames.join("\n")).not.toContain(server.config.home);
  });
});
