import { budgetOf } from "@dpsynth/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as decideRoute from "../../../app/api/v1/approvals/[jobId]/route.ts";
import * as approvalsRoute from "../../../app/api/v1/approvals/route.ts";
import * as jobsRoute from "../../../app/api/v1/jobs/route.ts";
import { call, createTestServer, type TTestServer } from "../testing.ts";

let server: TTestServer;
let owner: Awaited<ReturnType<TTestServer["user"]>>;
let admin: Awaited<ReturnType<TTestServer["user"]>>;

beforeAll(async () => {
  server = await createTestServer();
  owner = await server.user("OWNER", 1);
  admin = await server.user("ADMIN");
});
afterAll(() => server.close());

async function pendingJob(epsilon = 4, devices = 1) {
  const dataset = await server.dataset(owner.id, { epsilonTotal: 10 });
  const { body } = await call(jobsRoute.POST, {
    method: "POST",
    headers: owner.auth,
    json: {
      datasetId: dataset.id,
      model: "tiny-gpt2",
      epsilon,
      syntheticRows: 20,
      hyperparameters: { training: { devices } },
    },
  });
  expect(body.status).toBe("PENDING_APPROVAL");
  return { dataset, job: body };
}

const decide = (jobId: string, json: unknown, headers = admin.auth) =>
  call(decideRoute.POST, { method: "POST", headers, params: { jobId }, json });

describe("approvals", () => {
  it("lists pending requests with the dataset's budget for admins only", async () => {
    const { job, dataset } = await pendingJob();
    const { status, body } = await call(approvalsRoute.GET, { headers: admin.cookie });
    expect(status).toBe(200);
    const entry = body.approvals.find((a: { job: { id: string } }) => a.job.id === job.id);
    expect(entry.dataset).toMatchObject({ id: dataset.id, budget: { reserved: 4, remaining: 6 } });
    expect(entry.job.spec.model.id).toBe("tiny-gpt2");
    expect((await call(approvalsRoute.GET, { headers: owner.auth })).status).toBe(403);
  });

  it("approve queues the job on the real queue and records who and why", async () => {
    const { job } = await pendingJob();
    const { status, body } = await decide(job.id, { decision: "approve", reason: "reasonable for a demo" });
    expect(status).toBe(200);
    expect(body).toMatchObject({
      status: "QUEUED",
      approval: { decision: "APPROVED", reason: "reasonable for a demo", adminId: admin.id },
    });
    expect(await server.ctx.queues.for(1).getJobState(job.id)).toBe("waiting");
    const trail = await server.ctx.prisma.auditEvent.findMany({
      where: { subjectId: job.id },
      orderBy: { createdAt: "asc" },
    });
    expect(trail.map((e) => e.action)).toEqual(["job.request", "job.approve"]);
    const again = await decide(job.id, { decision: "reject", reason: "changed my mind" });
    expect(again.status).toBe(409);
    expect(again.body.error.message).toMatch(/not waiting for approval \(it is QUEUED\)/);
  });

  it("approve queues a job of several devices on its device count's queue", async () => {
    const { job } = await pendingJob(4, 2);
    expect((await decide(job.id, { decision: "approve", reason: "two GPUs are free" })).body.status).toBe("QUEUED");
    expect(await server.ctx.queues.for(2).getJobState(job.id)).toBe("waiting");
    expect(await server.ctx.queues.for(1).getJobState(job.id)).toBe("unknown");
  });

  it("reject ends the job REJECTED and releases its reservation", async () => {
    const { job, dataset } = await pendingJob(5);
    const { body } = await decide(job.id, { decision: "reject", reason: "epsilon too high for this data" });
    expect(body).toMatchObject({
      status: "REJECTED",
      approval: { decision: "REJECTED" },
      errorMessage: "epsilon too high for this data",
    });
    expect(await server.ctx.queues.for(1).getJobState(job.id)).toBe("unknown");
    expect(await budgetOf(server.ctx.prisma, dataset.id)).toMatchObject({ reserved: 0, remaining: 10 });
    const kinds = await server.ctx.prisma.ledgerEntry.findMany({ where: { jobId: job.id }, select: { kind: true } });
    expect(kinds.map((k) => k.kind).sort()).toEqual(["RELEASE", "RESERVE"]);
  });

  it("requires a reason and an admin", async () => {
    const { job } = await pendingJob();
    expect((await decide(job.id, { decision: "approve", reason: " " })).status).toBe(400);
    expect((await decide(job.id, { decision: "approve", reason: "mine" }, owner.auth)).status).toBe(403);
  });
});
