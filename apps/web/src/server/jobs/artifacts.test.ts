import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as artifactRoute from "../../../app/api/v1/jobs/[id]/artifacts/[name]/route.ts";
import { call, createTestServer, type TTestServer } from "../testing.ts";

let server: TTestServer;
let owner: Awaited<ReturnType<TTestServer["user"]>>;
let jobId: string;
const csv = "text,label\nsynthetic row one,pos\nsynthetic row two,neg\n";

beforeAll(async () => {
  server = await createTestServer();
  owner = await server.user("OWNER");
  const dataset = await server.dataset(owner.id);
  const job = await server.ctx.prisma.job.create({
    data: { datasetId: dataset.id, requesterId: owner.id, spec: {}, status: "SUCCEEDED", epsilon: 1, delta: 1e-6 },
  });
  jobId = job.id;
  // What the trainer writes and control records (the artifact event's URI, size and sha256).
  for (const [name, content] of [
    ["synthetic.csv", csv],
    ["report.json", '{"ok":true}'],
  ] as const) {
    const stored = await server.ctx.blobs.put(`jobs/${jobId}/${name}`, Readable.from([content]));
    await server.ctx.prisma.artifact.create({
      data: { jobId, name, blobKey: stored.uri, bytes: stored.bytes, sha256: stored.sha256 },
    });
  }
});
afterAll(() => server.close());

const download = (name: string, headers = owner.auth) =>
  call(artifactRoute.GET, { headers, params: { id: jobId, name } });

describe("GET /api/v1/jobs/:id/artifacts/:name", () => {
  it("streams the artifact with its checksum and audits the download", async () => {
    const { response, status } = await download("synthetic.csv");
    expect(status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/text\/csv/);
    expect(response.headers.get("content-disposition")).toMatch(/attachment; filename=".*-synthetic.csv"/);
    expect(response.headers.get("x-content-sha256")).toMatch(/^[0-9a-f]{64}$/);
    expect(await response.text()).toBe(csv);
    const trail = await server.ctx.prisma.auditEvent.findMany({
      where: { subjectId: jobId, action: "artifact.download" },
    });
    expect(trail).toHaveLength(1);
    expect(trail[0]?.actorId).toBe(owner.id);
  });

  it("refuses a blob whose content no longer matches its sha256", async () => {
    writeFileSync(join(server.config.home, "blobs", "jobs", jobId, "report.json"), '{"ok":fals}');
    const { status, body } = await download("report.json");
    expect(status).toBe(500);
    expect(body.error.code).toBe("integrity_error");
    expect(body.error.message).toMatch(/does not match the checksum/);
  });

  it("answers 404 for an artifact not produced, an unknown name, or another owner", async () => {
    expect((await download("report.html")).status).toBe(404);
    expect((await download("model")).status).toBe(404);
    const stranger = await server.user("OWNER");
    const foreign = await download("synthetic.csv", stranger.auth);
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.code).toBe("not_found");
  });
});
