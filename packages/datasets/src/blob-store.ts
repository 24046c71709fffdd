import { createHash } from "node:crypto";
import { type Readable, Transform } from "node:stream";

export interface TStoredBlob {
  key: string;
  uri: string;
  bytes: number;
  sha256: string;
}

export class BlobNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`No blob at key ${key}`);
    this.name = "BlobNotFoundError";
  }
}

/**
 * Where datasets and artifacts live. Keys are relative paths (`datasets/<id>/train.csv`); URIs are what other
 * processes get (`file:///…`, `s3://bucket/prefix/…`). Writes are all-or-nothing: a failed put leaves
 * no blob behind.
 */
export interface BlobStore {
  uri(key: string): string;
  /**
   * The key of a URI inside this store; a plain key is returned as is; null for anything that is not a key
   * of this store (a URI elsewhere, one that climbs out of the root, another scheme, a key with `..`).
   */
  keyOf(uriOrKey: string): string | null;
  put(key: string, body: Readable | AsyncIterable<Uint8Array | string>): Promise<TStoredBlob>;
  /** A stream of the blob; throws BlobNotFoundError when there is none. */
  get(key: string): Promise<Readable>;
  size(key: string): Promise<number | null>;
  /** Removes a blob; removing a missing one is not an error. */
  delete(key: string): Promise<void>;
}

/** A key is a relative path of plain segments: nothing that could climb out of the store's root. */
export function isKey(key: string): boolean {
  return key !== "" && key.split("/").every((part) => part !== "" && part !== "." && part !== "..");
}

export function checkKey(key: string): string {
  if (!isKey(key)) throw new Error(`Invalid blob key ${JSON.stringify(key)}`);
  return key;
}

/** Counts bytes and hashes them as they pass, so a blob is read once to store it. */
export function digester() {
  const hash = createHash("sha256");
  let bytes = 0;
  const stream = new Transform({
    transform(chunk: Buffer | string, _enc, done) {
      const buffer = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
      hash.update(buffer);
      bytes += buffer.length;
      done(null, buffer);
    },
  });
  return { stream, result: () => ({ bytes, sha256: hash.digest("hex") }) };
}
