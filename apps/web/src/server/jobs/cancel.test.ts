import { jobRedisKeys } from "@dpsynth/contracts";
import { budgetOf } from "@dpsynth/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as cancelRoute from "../../../app/api/v1/jobs/[id]/cancel/route.ts";
import * as jobsRoute from "../../../app/api/v1/jobs/route.ts";
import { call, createTestServer, type TTestServer } from "../testing.ts";

let server: TTestServer;
let owner: Awaited<ReturnType<TTestServer["user"]>>;

beforeAll(async () => {
  server = await createTestServer();
  owner = await server.user("OWNER", 3);
});
afterAll(() => server.close());

async function job(epsilon: number) {
  const dataset = await server.dataset(owner.id, { epsilonTotal: 10 });
  const { body } = await call(jobsRoute.POST, {
    method: "POST",
    headers: owner.auth,
    json: { datasetId: dataset.id, model: "tiny-gpt2", epsilon, syntheticRows: 20 },
  });
  return { dataset, job: body };
}

const cancel = (id: string) => call(cancelRoute.POST, { method: "POST", headers: owner.auth, params: { id } });

describe("POST /api/v1/jobs/:id/cancel", () => {
  it("takes a queued job off the real BullMQ queue and releases its reservation", async () => {
    const { dataset, job: queued } = await job(2);
    expect(await server.ctx.queues.for(1).getJobState(queued.id)).toBe("waiting");
    expect((await budgetOf(server.ctx.prisma, dataset.id)).reserved).toBe(2);
    const { status, body } = await cancel(queued.id);
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: "CANCELLED", cancelRequested: true, epsilonSpent: 0 });
    expect(await server.ctx.queues.for(1).getJobState(queued.id)).toBe("unknown");
    expect(await budgetOf(server.ctx.prisma, dataset.id)).toMatchObject({ reserved: 0, spent: 0, remaining: 10 });
    const trail = await server.ctx.prisma.auditEvent.findMany({
      where: { subjectId: queued.id, action: "job.cancel" },
    });
    expect(trail).toHaveLength(1);
    expect((await cancel(queued.id)).status).toBe(409);
  });

  it("ends a job waiting for approval and releases its reservation", async () => {
    const { dataset, job: pending } = await job(5);
    const { body } = await cancel(pending.id);
    expect(body.status).toBe("CANCELLED");
    expect((await budgetOf(server.ctx.prisma, dataset.id)).reserved).toBe(0);
  });

  it("raises the Redis cancel flag for a running job and leaves settlement to control", async () => {
    const { dataset, job: running } = await job(2);
    // The trainer has picked it up: BullMQ holds it and control marked it RUNNING.
    await server.ctx.prisma.job.update({ where: { id: running.id }, data: { status: "RUNNING", stage: "training" } });
    const { body } = await cancel(running.id);
    expect(body).toMatchObject({ status: "RUNNING", cancelRequested: true });
    expect(await server.ctx.redis.get(jobRedisKeys(running.id).cancel)).toBe("1");
    expect((await budgetOf(server.ctx.prisma, dataset.id)).reserved).toBe(2);
    await server.ctx.redis.del(jobRedisKeys(running.id).cancel);
  });
});
