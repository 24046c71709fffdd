import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { BlobNotFoundError, type BlobStore, checkKey, digester, isKey, type TStoredBlob } from "./blob-store.ts";

/**
 * Parts of a multipart upload: S3's minimum. An upload holds at most PART_BYTES × QUEUE_SIZE in memory, whatever
 * the blob's size; a blob smaller than one part goes up as a single PUT.
 */
const PART_BYTES = 8 * 1024 * 1024;
const QUEUE_SIZE = 2;

/** Where an `s3://bucket/prefix` store is and how to reach it (see `s3SettingsFromEnv`). */
export interface TS3Settings {
  bucket: string;
  /** Keys live under `prefix/`; "" for the bucket's root. */
  prefix: string;
  /** A self-hosted server (SeaweedFS, MinIO, Ceph); undefined for AWS itself. */
  endpoint: string | undefined;
  region: string;
  /** `endpoint/bucket/key` rather than `bucket.endpoint/key`: what self-hosted servers answer. */
  forcePathStyle: boolean;
}

const truthy = (value: string) => ["1", "true", "yes", "on"].includes(value.toLowerCase());

/**
 * The settings of BLOB_STORE_URL=s3://bucket/prefix from the standard AWS variables: AWS_ENDPOINT_URL_S3 (or
 * AWS_ENDPOINT_URL) for a self-hosted server, AWS_REGION (or AWS_DEFAULT_REGION; us-east-1 where an endpoint is
 * given, since self-hosted servers ignore it), and DPSYNTH_S3_PATH_STYLE (default: on exactly when an endpoint is
 * given). Credentials are the SDK's own chain: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a role. Errors name
 * the variable and the rule, never a value.
 */
export function s3SettingsFromEnv(url: string, env: Record<string, string | undefined> = process.env): TS3Settings {
  const parsed = URL.canParse(url) ? new URL(url) : null;
  const prefix = parsed ? decodeURIComponent(parsed.pathname).replace(/^\/+|\/+$/g, "") : "";
  if (parsed?.protocol !== "s3:" || !parsed.hostname || (prefix !== "" && !isKey(prefix))) {
    throw new Error("BLOB_STORE_URL: must be s3://<bucket>/<prefix> with a prefix of plain path segments");
  }
  const endpoint = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
  if (endpoint && !/^https?:\/\/./.test(endpoint)) {
    throw new Error(
      `${env.AWS_ENDPOINT_URL_S3 ? "AWS_ENDPOINT_URL_S3" : "AWS_ENDPOINT_URL"}: must be an http:// or https:// URL`,
    );
  }
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || (endpoint ? "us-east-1" : undefined);
  if (!region) throw new Error("AWS_REGION: must be set for an s3:// BLOB_STORE_URL on AWS (e.g. eu-west-1)");
  const pathStyle = env.DPSYNTH_S3_PATH_STYLE;
  return {
    bucket: parsed.hostname,
    prefix,
    endpoint,
    region,
    forcePathStyle: pathStyle ? truthy(pathStyle) : endpoint !== undefined,
  };
}

/** An S3 client for the settings; credentials come from the SDK's default chain. */
export function s3Client(settings: TS3Settings): S3Client {
  return new S3Client({
    region: settings.region,
    endpoint: settings.endpoint,
    forcePathStyle: settings.forcePathStyle,
    // Checksums only where S3 requires them: the streaming (aws-chunked) trailers the SDK adds by default are
    // not understood by every self-hosted server, and each blob's sha256 is checked by us anyway.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
}

const isMissing = (error: unknown) => {
  const { name, $metadata } = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return name === "NoSuchKey" || name === "NotFound" || $metadata?.httpStatusCode === 404;
};

/**
 * Blobs as objects under `s3://bucket/prefix/`. Puts stream: a multipart upload for anything over one part, aborted
 * when the incoming stream fails, so a failed put leaves no object behind (S3 makes an object visible only once
 * its upload completes).
 */
export class S3BlobStore implements BlobStore {
  readonly bucket: string;
  readonly prefix: string;

  constructor(
    readonly client: S3Client,
    { bucket, prefix }: Pick<TS3Settings, "bucket" | "prefix">,
  ) {
    this.bucket = bucket;
    this.prefix = prefix;
  }

  /** The object key of a blob key. */
  objectKey(key: string): string {
    checkKey(key);
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  uri(key: string): string {
    return `s3://${this.bucket}/${this.objectKey(key)}`;
  }

  keyOf(uriOrKey: string): string | null {
    if (!uriOrKey.includes("://")) return isKey(uriOrKey) ? uriOrKey : null;
    // S3 keys are literal strings, not paths: no percent-decoding and no `..` resolution, so the only URIs of
    // this store are the ones `uri` writes.
    const root = `s3://${this.bucket}/${this.prefix ? `${this.prefix}/` : ""}`;
    if (!uriOrKey.startsWith(root)) return null;
    const key = uriOrKey.slice(root.length);
    return isKey(key) ? key : null;
  }

  async put(key: string, body: Readable | AsyncIterable<Uint8Array | string>): Promise<TStoredBlob> {
    const digest = digester();
    const feeding = pipeline(Readable.from(body), digest.stream);
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: this.objectKey(key), Body: digest.stream },
      partSize: PART_BYTES,
      queueSize: QUEUE_SIZE,
    });
    try {
      await Promise.all([feeding, upload.done()]);
    } catch (error) {
      digest.stream.destroy();
      await upload.abort().catch(() => undefined);
      throw error;
    }
    return { key, uri: this.uri(key), ...digest.result() };
  }

  async get(key: string): Promise<Readable> {
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
      return response.Body as Readable;
    } catch (error) {
      if (isMissing(error)) throw new BlobNotFoundError(key);
      throw error;
    }
  }

  async size(key: string): Promise<number | null> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
      return head.ContentLength ?? 0;
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    // S3 answers a delete of a missing key with success, as this interface wants.
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
  }
}

/** The store of an `s3://` BLOB_STORE_URL, reached as the environment says. */
export function s3BlobStore(url: string, env: Record<string, string | undefined> = process.env): S3BlobStore {
  const settings = s3SettingsFromEnv(url, env);
  return new S3BlobStore(s3Client(settings), settings);
}
