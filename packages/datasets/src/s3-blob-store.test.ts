import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { text } from "node:stream/consumers";
import { afterEach, describe, expect, it } from "vitest";
import { BlobNotFoundError } from "./blob-store.ts";
import { createBlobStore } from "./create-blob-store.ts";
import { S3BlobStore, s3Client, s3SettingsFromEnv } from "./s3-blob-store.ts";
import { tempS3BlobStore, testS3Url } from "./testing.ts";

describe("s3SettingsFromEnv", () => {
  it("reads the bucket and prefix from the URL and the rest from the standard AWS variables", () => {
    expect(s3SettingsFromEnv("s3://data/dpsynth/blobs", { AWS_ENDPOINT_URL_S3: "http://127.0.0.1:8333" })).toEqual({
      bucket: "data",
      prefix: "dpsynth/blobs",
      endpoint: "http://127.0.0.1:8333",
      region: "us-east-1",
      forcePathStyle: true,
    });
    expect(s3SettingsFromEnv("s3://data", { AWS_REGION: "eu-west-1" })).toMatchObject({
      prefix: "",
      endpoint: undefined,
      forcePathStyle: false,
    });
    const overridden = { AWS_ENDPOINT_URL: "https://s3.internal", DPSYNTH_S3_PATH_STYLE: "false" };
    expect(s3SettingsFromEnv("s3://data/x", overridden)).toMatchObject({ forcePathStyle: false, region: "us-east-1" });
    expect(() => s3SettingsFromEnv("s3://data/x", { AWS_ENDPOINT_URL_S3: "s3.internal:9000" })).toThrow(
      /^AWS_ENDPOINT_URL_S3: must be an http/,
    );
  });

  it("maps keys to URIs and back, and nothing outside its bucket and prefix", () => {
    const store = new S3BlobStore(s3Client(s3SettingsFromEnv("s3://data/p", { AWS_REGION: "x" })), {
      bucket: "data",
      prefix: "p",
    });
    expect(store.uri("jobs/j1/report.json")).toBe("s3://data/p/jobs/j1/report.json");
    expect(store.keyOf("s3://data/p/jobs/j1/report.json")).toBe("jobs/j1/report.json");
    expect(store.keyOf("jobs/j1/report.json")).toBe("jobs/j1/report.json");
    for (const outside of [
      "s3://data/p",
      "s3://data/p/",
      "s3://data/pX/jobs/j1/report.json",
      "s3://other/p/jobs/j1/report.json",
      "s3://data/p/../secret.csv",
      "s3://data/p/jobs//report.json",
      "file:///data/p/jobs/j1/report.json",
      "../secret.csv",
      "",
    ]) {
      expect(store.keyOf(outside), outside).toBeNull();
    }
  });
});

// Against the test stack's own S3 server (SeaweedFS), which `npm test` starts and names in BLOB_STORE_URL.
describe.skipIf(!testS3Url)("S3BlobStore against a real S3 server", () => {
  const blobs = testS3Url ? tempS3BlobStore() : (undefined as never);
  afterEach(() => blobs.remove());

  it("streams a blob in and out with its size and sha256, and sizes and deletes it", async () => {
    const stored = await blobs.store.put("jobs/j1/report.json", Readable.from(["{", '"a":1', "}"]));
    expect(stored).toMatchObject({ key: "jobs/j1/report.json", bytes: 7 });
    expect(stored.sha256).toBe("015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862");
    expect(stored.uri).toBe(`s3://${blobs.store.bucket}/${blobs.store.prefix}/jobs/j1/report.json`);
    expect(await text(await blobs.store.get("jobs/j1/report.json"))).toBe('{"a":1}');
    expect(await blobs.store.size("jobs/j1/report.json")).toBe(7);
    expect(createBlobStore(`s3://${blobs.store.bucket}/${blobs.store.prefix}`).keyOf(stored.uri)).toBe(
      "jobs/j1/report.json",
    );
    await blobs.store.delete("jobs/j1/report.json");
    expect(await blobs.store.size("jobs/j1/report.json")).toBeNull();
    expect(await blobs.keys()).toEqual([]);
  });

  it("uploads a blob larger than a part as a multipart upload, streamed from a generator", async () => {
    const chunks = Array.from({ length: 20 }, () => randomBytes(1024 * 1024)); // 20 MiB: three 8 MiB parts
    const expected = createHash("sha256").update(Buffer.concat(chunks)).digest("hex");
    async function* generate() {
      yield* chunks;
    }
    const stored = await blobs.store.put("datasets/d1/train.csv", generate());
    expect(stored).toMatchObject({ bytes: 20 * 1024 * 1024, sha256: expected });
    const hash = createHash("sha256");
    for await (const chunk of await blobs.store.get("datasets/d1/train.csv")) hash.update(chunk as Buffer);
    expect(hash.digest("hex")).toBe(expected);
    expect(await blobs.keys()).toEqual(["datasets/d1/train.csv"]);
  });

  it("leaves no object and no open multipart upload behind when the incoming stream fails", async () => {
    async function* failing() {
      for (let i = 0; i < 10; i++) yield randomBytes(1024 * 1024); // past the first part: a multipart upload began
      throw new Error("client went away");
    }
    await expect(blobs.store.put("datasets/x/train.csv", failing())).rejects.toThrow("client went away");
    async function* small() {
      yield "partial data";
      throw new Error("client went away");
    }
    await expect(blobs.store.put("datasets/x/holdout.csv", small())).rejects.toThrow("client went away");
    expect(await blobs.keys()).toEqual([]);
    expect(await blobs.openUploads()).toEqual([]);
  });

  it("reports a missing blob as BlobNotFoundError, its size as null, and deleting it is no error", async () => {
    await expect(blobs.store.get("nope/missing.csv")).rejects.toBeInstanceOf(BlobNotFoundError);
    expect(await blobs.store.size("nope/missing.csv")).toBeNull();
    await blobs.store.delete("nope/missing.csv");
    await expect(blobs.store.put("../outside", Readable.from(["x"]))).rejects.toThrow(/Invalid blob key/);
  });
});
