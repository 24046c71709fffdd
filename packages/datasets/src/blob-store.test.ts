import { Readable } from "node:stream";
import { text } from "node:stream/consumers";
import { afterEach, describe, expect, it } from "vitest";
import { BlobNotFoundError, createBlobStore } from "./blob-store.ts";
import { tempBlobStore } from "./testing.ts";

const blobs = tempBlobStore();
afterEach(() => blobs.remove());

describe("FileBlobStore", () => {
  it("streams a blob in and out with its size and sha256, and maps keys to URIs and back", async () => {
    const stored = await blobs.store.put("jobs/j1/report.json", Readable.from(["{", '"a":1', "}"]));
    expect(stored).toMatchObject({ key: "jobs/j1/report.json", bytes: 7 });
    expect(stored.sha256).toBe("015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862");
    expect(await text(await blobs.store.get("jobs/j1/report.json"))).toBe('{"a":1}');
    expect(stored.uri).toBe(`file://${blobs.root}/jobs/j1/report.json`);
    expect(blobs.store.keyOf(stored.uri)).toBe("jobs/j1/report.json");
    expect(blobs.store.keyOf("file:///elsewhere/x")).toBeNull();
    expect(createBlobStore(`file://${blobs.root}`).keyOf(stored.uri)).toBe("jobs/j1/report.json");
  });

  it("leaves nothing behind when the incoming stream fails", async () => {
    async function* failing() {
      yield "partial data";
      throw new Error("client went away");
    }
    await expect(blobs.store.put("datasets/x/train.csv", failing())).rejects.toThrow("client went away");
    expect(blobs.files()).toEqual([]);
  });

  it("refuses keys that climb out of the root, and reports missing blobs", async () => {
    await expect(blobs.store.put("../outside", Readable.from(["x"]))).rejects.toThrow(/Invalid blob key/);
    await expect(blobs.store.get("nope/missing.csv")).rejects.toBeInstanceOf(BlobNotFoundError);
    await blobs.store.delete("nope/missing.csv");
  });

  it("names the variable and the rule for a store it cannot open", () => {
    expect(() => createBlobStore("s3://bucket/prefix")).toThrow(/BLOB_STORE_URL: the s3:\/\/ scheme/);
  });
});
