import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { ListMultipartUploadsCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { FileBlobStore } from "./file-blob-store.ts";
import { S3BlobStore, s3Client, s3SettingsFromEnv } from "./s3-blob-store.ts";
import type { TOpenSource } from "./scan.ts";

/** The Rotten Tomatoes fixture (600 rows, `review,label`) that the trainer's tests use too. */
export const ROTTEN_TOMATOES_CSV = new URL(
  "../../../services/trainer/tests/fixtures/rotten_tomatoes_600.csv",
  import.meta.url,
).pathname;

/** A file blob store in a fresh temporary directory, with a listing to prove nothing was left behind. */
export function tempBlobStore() {
  const root = mkdtempSync(join(tmpdir(), "dpsynth-blobs-"));
  const store = new FileBlobStore(root);
  const files = (): string[] =>
    existsSync(root)
      ? readdirSync(root, { recursive: true, withFileTypes: true })
          .filter((entry) => entry.isFile())
          .map((entry) => entry.name)
      : [];
  return { root, store, files, remove: () => rmSync(root, { recursive: true, force: true }) };
}

/** The test stack's S3 store (BLOB_STORE_URL=s3://…, as `npm test` sets it), or null where tests run without one. */
export const testS3Url = process.env.BLOB_STORE_URL?.startsWith("s3://") ? process.env.BLOB_STORE_URL : null;

/**
 * An S3 blob store under a fresh prefix of the test stack's bucket, with a listing of its keys and of unfinished
 * multipart uploads (to prove nothing was left behind) and a clean-up.
 */
export function tempS3BlobStore() {
  if (!testS3Url) throw new Error("tempS3BlobStore needs an s3:// BLOB_STORE_URL (the test stack's SeaweedFS)");
  const settings = s3SettingsFromEnv(testS3Url);
  const client = s3Client(settings);
  const prefix = [settings.prefix, `vitest-${randomBytes(6).toString("hex")}`].filter(Boolean).join("/");
  const store = new S3BlobStore(client, { bucket: settings.bucket, prefix });
  const keys = async (): Promise<string[]> => {
    const listed = await client.send(new ListObjectsV2Command({ Bucket: settings.bucket, Prefix: `${prefix}/` }));
    return (listed.Contents ?? []).map((item) => (item.Key as string).slice(prefix.length + 1)).sort();
  };
  const openUploads = async (): Promise<string[]> => {
    const listed = await client.send(
      new ListMultipartUploadsCommand({ Bucket: settings.bucket, Prefix: `${prefix}/` }),
    );
    return (listed.Uploads ?? []).map((upload) => upload.Key as string);
  };
  const remove = async () => {
    for (const key of await keys()) await store.delete(key);
  };
  return { store, keys, openUploads, remove };
}

export function sourceOf(content: string | Uint8Array): TOpenSource {
  return () => Readable.from([typeof content === "string" ? Buffer.from(content) : Buffer.from(content)]);
}

/** A valid small CSV: `rows` rows alternating two labels. */
export function smallCsv(rows = 40, { delimiter = ",", header = "text,label" } = {}): string {
  const lines = [header.replaceAll(",", delimiter)];
  for (let i = 0; i < rows; i++) lines.push(`review number ${i} says something${delimiter}${i % 2 ? "pos" : "neg"}`);
  return `${lines.join("\n")}\n`;
}
