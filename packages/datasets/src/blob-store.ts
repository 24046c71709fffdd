import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { fileURLToPath, pathToFileURL } from "node:url";

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
 * processes get (`file:///…`, later `s3://bucket/prefix/…`). Writes are all-or-nothing: a failed put leaves
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
function isKey(key: string): boolean {
  return key !== "" && key.split("/").every((part) => part !== "" && part !== "." && part !== "..");
}

function checkKey(key: string): string {
  if (!isKey(key)) throw new Error(`Invalid blob key ${JSON.stringify(key)}`);
  return key;
}

/** Counts bytes and hashes them as they pass, so a blob is read once to store it. */
function digester() {
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

/** Blobs as files under one directory (the default, `file:///abs/dir`). */
export class FileBlobStore implements BlobStore {
  private readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  private path(key: string): string {
    return join(this.root, ...checkKey(key).split("/"));
  }

  uri(key: string): string {
    return pathToFileURL(this.path(key)).href;
  }

  keyOf(uriOrKey: string): string | null {
    if (!uriOrKey.includes("://")) return isKey(uriOrKey) ? uriOrKey : null;
    // Compared as decoded, normalised paths: the trainer spells URIs its own way (`file://localhost/…`, other
    // percent-encodings), and `…/blobs/../elsewhere` must land where the file system would take it.
    let path: string;
    try {
      path = fileURLToPath(new URL(uriOrKey));
    } catch {
      return null; // not a file: URL, a remote host, or an encoded `/`
    }
    const inside = relative(this.root, path);
    if (inside === "" || inside === ".." || inside.startsWith(`..${sep}`) || isAbsolute(inside)) return null;
    const key = inside.split(sep).join("/");
    return isKey(key) ? key : null;
  }

  async put(key: string, body: Readable | AsyncIterable<Uint8Array | string>): Promise<TStoredBlob> {
    const target = this.path(key);
    await mkdir(dirname(target), { recursive: true });
    const partial = `${target}.partial-${randomBytes(4).toString("hex")}`;
    const digest = digester();
    try {
      await pipeline(Readable.from(body), digest.stream, createWriteStream(partial, { mode: 0o600 }));
      await rename(partial, target);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
    return { key, uri: this.uri(key), ...digest.result() };
  }

  async get(key: string): Promise<Readable> {
    const path = this.path(key);
    if ((await this.size(key)) === null) throw new BlobNotFoundError(key);
    return createReadStream(path);
  }

  async size(key: string): Promise<number | null> {
    const info = await stat(this.path(key)).catch(() => null);
    return info?.isFile() ? info.size : null;
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }
}

/** The store named by BLOB_STORE_URL. S3 is the next implementation of the same interface. */
export function createBlobStore(url: string): BlobStore {
  const parsed = new URL(url);
  if (parsed.protocol === "file:") return new FileBlobStore(fileURLToPath(parsed));
  throw new Error(
    `BLOB_STORE_URL: the ${parsed.protocol}// scheme is not supported by this build; use file:///absolute/dir`,
  );
}
