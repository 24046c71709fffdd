import { fileURLToPath } from "node:url";
import type { BlobStore } from "./blob-store.ts";
import { FileBlobStore } from "./file-blob-store.ts";
import { s3BlobStore } from "./s3-blob-store.ts";

/**
 * The store named by BLOB_STORE_URL: `file:///abs/dir`, or `s3://bucket/prefix` reached as the standard AWS
 * variables in `env` say (see `s3SettingsFromEnv`).
 */
export function createBlobStore(url: string, env: Record<string, string | undefined> = process.env): BlobStore {
  const parsed = new URL(url);
  if (parsed.protocol === "file:") return new FileBlobStore(fileURLToPath(parsed));
  if (parsed.protocol === "s3:") return s3BlobStore(url, env);
  throw new Error(
    `BLOB_STORE_URL: the ${parsed.protocol}// scheme is not supported; use file:///absolute/dir or s3://bucket/prefix`,
  );
}
