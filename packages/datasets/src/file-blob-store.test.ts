import { Readable } from "node:stream";
import { text } from "node:stream/consumers";
import { afterEach, describe, expect, it } from "vitest";
import { BlobNotFoundError } from "./blob-store.ts";
import { createBlobStore } from "./create-blob-store.ts";
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

  it("maps the trainer's spellings of a URI inside the root to a key, and nothing outside it", () => {
    const root = `file://${blobs.root}`;
    const name = blobs.root.split("/").at(-1);
    expect(blobs.store.keyOf(`file://localhost${blobs.root}/jobs/j1/synthetic.csv`)).toBe("jobs/j1/synthetic.csv");
    expect(blobs.store.keyOf(`${root}//jobs/./j1/synthetic.csv`)).toBe("jobs/j1/synthetic.csv");
    expect(blobs.store.keyOf(`${root}/jobs/j1/synth%65tic.csv`)).toBe("jobs/j1/synthetic.csv");
    for (const outside of [
      `${root}/../secret.csv`,
      `${root}/%2e%2e/secret.csv`,
      `${root}/jobs/../../secret.csv`,
      // Once resolved, a sibling whose name starts with the root's name: not inside the root.
      `${root}/../${name}Xjobs/j1/synthetic.csv`,
      `${root}-evil/jobs/j1/synthetic.csv`,
      `${root}/jobs%2F..%2F..%2Fsecret.csv`,
      root,
      "file:///etc/passwd",
      "file://other-host/jobs/j1/synthetic.csv",
      "s3://bucket/jobs/j1/synthetic.csv",
      "https://example.test/jobs/j1/synthetic.csv",
      "../secret.csv",
      "jobs/../../secret.csv",
      "/etc/passwd",
      "",
    ]) {
      expect(blobs.store.keyOf(outside), outside).toBeNull();
    }
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
    expect(() => createBlobStore("https://example.test/blobs")).toThrow(/BLOB_STORE_URL: the https:\/\/ scheme/);
    expect(() => createBlobStore("s3://bucket/prefix", {})).toThrow(/AWS_REGION: must be set/);
    expect(() => createBlobStore("s3://bucket/a//b", { AWS_REGION: "eu-west-1" })).toThrow(/BLOB_STORE_URL/);
  });
});
