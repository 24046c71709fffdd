import { Readable } from "node:stream";
import { smallCsv } from "@dpsynth/datasets/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ENDPOINTS } from "../http/endpoints.ts";
import { endpointEntries, handlerOf, routeFiles } from "../http/route-files.ts";
import { call, createTestServer, csvForm, type TTestServer } from "../testing.ts";

const handlers = routeFiles(import.meta.glob("../../../app/api/v1/**/route.ts", { eager: true }));

let server: TTestServer;
let alice: Awaited<ReturnType<TTestServer["user"]>>;
let mallory: Awaited<ReturnType<TTestServer["user"]>>;
const ids = { dataset: "", job: "", token: "" };

beforeAll(async () => {
  server = await createTestServer();
  alice = await server.user("OWNER");
  mallory = await server.user("OWNER");
  const dataset = await server.dataset(alice.id);
  const job = await server.ctx.prisma.job.create({
    data: { datasetId: dataset.id, requesterId: alice.id, spec: {}, status: "QUEUED", epsilon: 1, delta: 1e-6 },
  });
  const stored = await server.ctx.blobs.put(`jobs/${job.id}/synthetic.csv`, Readable.from(["text,label\nx,y\n"]));
  await server.ctx.prisma.artifact.create({
    data: { jobId: job.id, name: "synthetic.csv", blobKey: stored.key, bytes: stored.bytes, sha256: stored.sha256 },
  });
  const token = await server.ctx.prisma.apiToken.findFirstOrThrow({ where: { userId: alice.id } });
  Object.assign(ids, { dataset: dataset.id, job: job.id, token: token.id });
});
afterAll(() => server.close());

type TProbe = { params?: Record<string, string>; json?: unknown; form?: FormData; expect: number | "own" };

const jobRequest = () => ({ datasetId: ids.dataset, model: "tiny-gpt2", epsilon: 1, syntheticRows: 10 });

/**
 * How another owner (mallory) probes each endpoint with alice's ids. Every endpoint must be listed: a new
 * route without an entry here fails the test. "own" marks routes that only ever touch the caller's own data.
 */
const probes: Record<keyof typeof ENDPOINTS, () => TProbe> = {
  listDatasets: () => ({ expect: "own" }),
  uploadDataset: () => ({
    form: csvForm(smallCsv(12), {
      name: "m",
      textColumn: "text",
      labelColumn: "label",
      labels: JSON.stringify([{ value: "pos" }, { value: "neg" }]),
    }),
    expect: "own",
  }),
  previewDataset: () => ({ form: csvForm(smallCsv(12), {}), expect: "own" }),
  getDataset: () => ({ params: { id: ids.dataset }, expect: 404 }),
  setBudget: () => ({ params: { id: ids.dataset }, json: { epsilonTotal: 100 }, expect: 403 }),
  listJobs: () => ({ expect: "own" }),
  createJob: () => ({ json: jobRequest(), expect: 404 }),
  quoteJob: () => ({ json: jobRequest(), expect: 404 }),
  getJob: () => ({ params: { id: ids.job }, expect: 404 }),
  jobMetrics: () => ({ params: { id: ids.job }, expect: 404 }),
  jobEvents: () => ({ params: { id: ids.job }, expect: 404 }),
  cancelJob: () => ({ params: { id: ids.job }, expect: 404 }),
  downloadArtifact: () => ({ params: { id: ids.job, name: "synthetic.csv" }, expect: 404 }),
  listApprovals: () => ({ expect: 403 }),
  decideApproval: () => ({ params: { jobId: ids.job }, json: { decision: "approve", reason: "x" }, expect: 403 }),
  me: () => ({ expect: "own" }),
  // Mallory's own account: test users sign in with tokens and have no password to change.
  changePassword: () => ({ json: { currentPassword: "x", newPassword: "a long new password" }, expect: 409 }),
  createToken: () => ({ json: { name: "x" }, expect: "own" }),
  revokeToken: () => ({ params: { id: ids.token }, expect: 404 }),
  listUsers: () => ({ expect: 403 }),
  updateUser: () => ({ params: { id: alice.id }, json: { role: "ADMIN" }, expect: 403 }),
  listInvitations: () => ({ expect: 403 }),
  createInvitation: () => ({ json: { email: "new@example.test" }, expect: 403 }),
  revokeInvitation: () => ({ params: { id: "any" }, expect: 403 }),
  // Public: a made-up token opens nothing.
  lookupInvitation: () => ({ json: { token: "dpi_made_up" }, expect: 404 }),
  acceptInvitation: () => ({ json: { token: "dpi_made_up", name: "m", password: "a long new password" }, expect: 404 }),
  // Lists trainers; the ids of the jobs they hold are filtered to the caller's own.
  listTrainers: () => ({ expect: "own" }),
  audit: () => ({ expect: 403 }),
  openapi: () => ({ expect: "own" }),
};

describe("authorization: another owner's ids answer 404 exactly like missing ones; admin routes 403", () => {
  it.each(endpointEntries())("%s", async (key, endpoint) => {
    const probe = probes[key]();
    const handler = handlerOf(handlers, endpoint);
    const answer = await call(handler, {
      method: endpoint.method,
      params: probe.params,
      headers: mallory.auth,
      json: probe.json,
      body: probe.form,
    });
    if (probe.expect === "own") {
      expect(answer.status).toBeLessThan(300);
      expect(JSON.stringify(answer.body ?? {})).not.toContain(ids.dataset);
      expect(JSON.stringify(answer.body ?? {})).not.toContain(ids.job);
      return;
    }
    expect(answer.status).toBe(probe.expect);
    if (probe.expect === 404 && probe.params) {
      // Same answer as an id that does not exist at all.
      const missing = Object.fromEntries(
        Object.entries(probe.params).map(([k, v]) => [k, k === "name" ? v : "missing-id"]),
      );
      const none = await call(handler, {
        method: endpoint.method,
        params: missing,
        headers: mallory.auth,
        json: probe.json,
      });
      expect(none.status).toBe(404);
      expect(none.body).toEqual(answer.body);
    }
  });

  it("leaves alice's data as it was", async () => {
    expect(await server.ctx.prisma.job.findUniqueOrThrow({ where: { id: ids.job } })).toMatchObject({
      status: "QUEUED",
      cancelRequestedAt: null,
    });
    expect(await server.ctx.prisma.apiToken.findUniqueOrThrow({ where: { id: ids.token } })).toMatchObject({
      revokedAt: null,
    });
    expect(await server.ctx.prisma.job.count({ where: { requesterId: mallory.id } })).toBe(0);
    expect((await server.ctx.prisma.user.findUniqueOrThrow({ where: { id: alice.id } })).role).toBe("OWNER");
  });

  it("lets an admin reach every dataset and job", async () => {
    const admin = await server.user("ADMIN");
    for (const [key, params] of [
      ["getDataset", { id: ids.dataset }],
      ["getJob", { id: ids.job }],
    ] as const) {
      const endpoint = endpointEntries().find(([k]) => k === key)?.[1];
      const answer = await call(handlerOf(handlers, endpoint as never), { params, headers: admin.auth });
      expect(answer.status).toBe(200);
    }
  });
});
