import "server-only";
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import type { TArtifactName } from "@dpsynth/contracts";
import { BlobNotFoundError } from "@dpsynth/datasets";
import { audit } from "../audit/audit.ts";
import type { TCaller } from "../auth/authenticate.ts";
import type { TServerContext } from "../context.ts";
import { AppError, notFound } from "../http/errors.ts";
import { findJob } from "./queries.ts";

const CONTENT_TYPES: Record<string, string> = {
  "synthetic.csv": "text/csv; charset=utf-8",
  "report.html": "text/html; charset=utf-8",
  "report.json": "application/json",
};

const outsideStore = () =>
  new AppError(
    "integrity_error",
    "The artifact is recorded at a location outside this deployment's blob store, so it is not served. Ask an admin to check BLOB_STORE_URL and the trainer's output location.",
  );

const tampered = () =>
  new AppError(
    "integrity_error",
    "The stored artifact does not match the checksum recorded when it was produced, so it is not served. Ask an admin to check the blob store.",
  );

/**
 * Streams an artifact of a job the caller may see. Its recorded URI is the trainer's own (`file:///…`,
 * `s3://…`); only one that resolves inside the configured blob store is read, so a row pointing anywhere else
 * on the server is refused. The blob is hashed in full before a byte is sent: a tampered or truncated file is
 * refused rather than half-delivered with a 200.
 */
export async function downloadArtifact(
  ctx: TServerContext,
  caller: TCaller,
  { id, name, download }: { id: string; name: Exclude<TArtifactName, "model">; download: boolean },
): Promise<Response> {
  await findJob(ctx, caller, id);
  const artifact = await ctx.prisma.artifact.findUnique({ where: { jobId_name: { jobId: id, name } } });
  if (!artifact) throw notFound(`The job's ${name}`);
  const key = ctx.blobs.keyOf(artifact.blobKey);
  if (!key) throw outsideStore();
  try {
    const hash = createHash("sha256");
    let bytes = 0;
    for await (const chunk of await ctx.blobs.get(key)) {
      hash.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    }
    if (bytes !== artifact.bytes || hash.digest("hex") !== artifact.sha256) throw tampered();
  } catch (error) {
    if (error instanceof BlobNotFoundError) throw tampered();
    throw error;
  }
  await audit(ctx.prisma, {
    actorId: caller.id,
    action: "artifact.download",
    subjectType: "job",
    subjectId: id,
    detail: { name, bytes: artifact.bytes, sha256: artifact.sha256 },
  });
  const inline = !download && name !== "synthetic.csv";
  return new Response(Readable.toWeb(await ctx.blobs.get(key)) as ReadableStream, {
    headers: {
      "content-type": CONTENT_TYPES[name] as string,
      "content-length": String(artifact.bytes),
      "content-disposition": `${inline ? "inline" : "attachment"}; filename="${id}-${name}"`,
      etag: `"${artifact.sha256}"`,
      "x-content-sha256": artifact.sha256,
      "x-content-type-options": "nosniff",
      // The report is our trainer's HTML, but it quotes synthetic text: no scripts, no same-origin powers.
      ...(name === "report.html"
        ? { "content-security-policy": "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:" }
        : {}),
    },
  });
}
