import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ZJobSpec } from "@dpsynth/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as artifactRoute from "../../../app/api/v1/jobs/[id]/artifacts/[name]/route.ts";
import * as jobsRoute from "../../../app/api/v1/jobs/route.ts";
import { call, createTestServer, type TTestServer } from "../testing.ts";

const TRAINER = fileURLToPath(new URL("../../../../../services/trainer/", import.meta.url));

let server: TTestServer;
let owner: Awaited<ReturnType<TTestServer["user"]>>;
let jobId: string;
const csv = "text,label\nsynthetic row one,pos\nsynthetic row two,neg\n";
// A blob root whose path needs percent-encoding in a URI, as a real deployment's may.
const place = mkdtempSync(join(tmpdir(), "dpsynth artifacts "));
const blobRoot = join(place, "blobs");

beforeAll(async () => {
  server = await createTestServer({ blobStoreUrl: pathToFileURL(blobRoot).href });
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
afterAll(async () => {
  await server.close();
  rmSync(place, { recursive: true, force: true });
});

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
    writeFileSync(join(blobRoot, "jobs", jobId, "report.json"), '{"ok":fals}');
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

  it("serves only synthetic.csv, report.html and report.json: never a checkpoint or a release record", async () => {
    // The trainer's work files beside the artifacts: the checkpoint holds the sampler and noise states.
    for (const name of ["checkpoints/latest.pt", "checkpoints/progress.json", "label-mix.json", "runs/run-1.json"]) {
      const stored = await server.ctx.blobs.put(`jobs/${jobId}/${name}`, Readable.from(["private state"]));
      await server.ctx.prisma.artifact.create({
        data: { jobId, name, blobKey: stored.uri, bytes: stored.bytes, sha256: stored.sha256 },
      });
    }
    for (const name of ["checkpoints/latest.pt", "latest.pt", "label-mix.json", "runs/run-1.json", "../latest.pt"]) {
      const { status, body } = await download(name);
      expect([400, 404]).toContain(status);
      expect(JSON.stringify(body)).not.toContain("private state");
      expect(body.error.code).toMatch(/^(not_found|validation_failed|bad_request)$/);
    }
  });
});

/** A queued job created through the API, and the spec the trainer receives for it. */
async function queuedJob() {
  const dataset = await server.dataset(owner.id);
  const created = await call(jobsRoute.POST, {
    method: "POST",
    headers: owner.auth,
    json: { datasetId: dataset.id, model: "tiny-gpt2", epsilon: 1, syntheticRows: 20 },
  });
  expect(created.status).toBe(201);
  const spec = ZJobSpec.parse((await server.ctx.queues.for(1).getJob(created.body.id))?.data);
  return { id: created.body.id as string, spec };
}

/** What control records from the trainer's `artifact` event: its URI exactly as emitted, size and sha256. */
function recordArtifact(id: string, name: string, blob: { uri: string; bytes: number; sha256: string }) {
  const data = { blobKey: blob.uri, bytes: blob.bytes, sha256: blob.sha256 };
  return server.ctx.prisma.artifact.upsert({
    where: { jobId_name: { jobId: id, name } },
    create: { jobId: id, name, ...data },
    update: data,
  });
}

describe("artifacts at the URIs the trainer emits", () => {
  it("serves an artifact the trainer's own blob writer put at join_uri(spec.outputUri, name)", async () => {
    const { id, spec } = await queuedJob();
    const local = join(place, "work-synthetic.csv");
    writeFileSync(local, csv);
    const written = execFileSync(
      join(TRAINER, ".venv/bin/python"),
      [
        "-c",
        "import json, sys; from pathlib import Path; from dpsynth_trainer.blobs import join_uri, upload; " +
          "print(json.dumps(upload(Path(sys.argv[1]), join_uri(sys.argv[2], 'synthetic.csv')).__dict__))",
        local,
        spec.outputUri,
      ],
      { cwd: TRAINER, encoding: "utf8" },
    );
    const blob = JSON.parse(written) as { uri: string; bytes: number; sha256: string };
    expect(blob.uri).toMatch(/^file:\/\/\/.*%20.*\/synthetic\.csv$/);
    await recordArtifact(id, "synthetic.csv", blob);

    const { response, status } = await call(artifactRoute.GET, {
      headers: owner.auth,
      params: { id, name: "synthetic.csv" },
    });
    expect(status).toBe(200);
    expect(response.headers.get("x-content-sha256")).toBe(blob.sha256);
    expect(await response.text()).toBe(csv);
  });

  it("refuses a recorded URI outside the blob store root, even when the file there is intact", async () => {
    const { id } = await queuedJob();
    const secret = "text,label\nnot a blob of this store,pos\n";
    const digest = { bytes: Buffer.byteLength(secret), sha256: createHash("sha256").update(secret).digest("hex") };
    const plant = (path: string) => {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, secret);
    };
    plant(join(place, "secret.csv"));
    plant(join(place, "blobsXjobs", id, "synthetic.csv"));
    plant(join(place, "blobs-evil", "jobs", id, "synthetic.csv"));
    const root = pathToFileURL(blobRoot).href;
    for (const uri of [
      `${root}/../secret.csv`,
      `${root}/%2e%2e/secret.csv`,
      `${root}/jobs/${id}/../../../secret.csv`,
      `${root}/../blobsXjobs/${id}/synthetic.csv`,
      pathToFileURL(join(place, "blobs-evil", "jobs", id, "synthetic.csv")).href,
      pathToFileURL(join(place, "secret.csv")).href,
      "../secret.csv",
      `s3://bucket/jobs/${id}/synthetic.csv`,
    ]) {
      await recordArtifact(id, "synthetic.csv", { uri, ...digest });
      const { status, body } = await call(artifactRoute.GET, {
        headers: owner.auth,
        params: { id, name: "synthetic.csv" },
      });
      expect(status, uri).toBe(500);
      expect(body.error.code).toBe("integrity_error");
      expect(body.error.message).toMatch(/outside this deployment's blob store/);
      expect(JSON.stringify(body)).not.toContain("not a blob of this store");
    }
    const downloads = await server.ctx.prisma.auditEvent.count({
      where: { subjectId: id, action: "artifact.download" },
    });
    expect(downloads).toBe(0);
  });
});
