import { randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import { BlobNotFoundError, type BlobStore, checkKey, digester, isKey, type TStoredBlob } from "./blob-store.ts";

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
