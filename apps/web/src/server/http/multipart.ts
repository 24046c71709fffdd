import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { paced } from "@dpsynth/datasets";
import busboy from "busboy";
import { hasNul, nulRefused } from "./body.ts";
import { AppError } from "./errors.ts";

export interface TUpload {
  fields: Record<string, string>;
  /** The file, streamed to a private temporary path that is removed when the callback ends. */
  file: { path: string; bytes: number; filename: string };
}

function tooLarge(limitBytes: number): AppError {
  const mb = Math.round((limitBytes / 1024 / 1024) * 10) / 10;
  return new AppError(
    "too_large",
    `The file is larger than the ${mb} MB upload limit. Upload a smaller file or a sample of it.`,
  );
}

function receive(request: Request, path: string, limitBytes: number): Promise<TUpload> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: { "content-type": request.headers.get("content-type") ?? "" },
        // A declared label set of 200 labels with long descriptions is the largest field.
        limits: { files: 1, fileSize: limitBytes, fields: 20, fieldSize: 256 * 1024 },
      });
    } catch {
      reject(new AppError("unsupported_media_type", "Send the file as multipart/form-data with a `file` field."));
      return;
    }
    const fields: Record<string, string> = {};
    let file: Promise<TUpload["file"]> | null = null;
    parser.on("field", (name, value) => {
      fields[name] = value;
    });
    parser.on("file", (name, stream, info) => {
      if (name !== "file" || file) {
        stream.resume();
        return;
      }
      let bytes = 0;
      let truncated = false;
      stream.on("data", (chunk: Buffer) => {
        bytes += chunk.length;
      });
      stream.on("limit", () => {
        truncated = true;
      });
      file = pipeline(stream, createWriteStream(path, { mode: 0o600 })).then(() => {
        if (truncated) throw tooLarge(limitBytes);
        return { path, bytes, filename: info.filename ?? "upload.csv" };
      });
      file.catch(() => undefined);
    });
    parser.on("error", () =>
      reject(new AppError("bad_request", "The upload was cut off or is not valid multipart/form-data.")),
    );
    parser.on("close", () => {
      if (!file) {
        reject(new AppError("bad_request", "The form has no `file` field. Attach the CSV as `file`."));
        return;
      }
      file.then((received) => resolve({ fields, file: received }), reject);
    });
    if (!request.body) {
      reject(new AppError("bad_request", "The request has no body."));
      return;
    }
    // Paced: a body that arrives in large chunks (a local client, a buffering proxy) is searched for its
    // boundaries a piece per turn of the event loop, not all at once.
    pipeline(Readable.fromWeb(request.body as WebReadableStream), paced(64 * 1024), parser).catch(() =>
      reject(new AppError("bad_request", "The upload was interrupted. Try again.")),
    );
  });
}

/**
 * Streams a multipart upload's file to a temporary file (never whole into memory), runs `work` on it,
 * and removes the file afterwards whatever happens. Files over `limitBytes` are refused without being kept, and
 * so are form fields with a NUL character (PostgreSQL cannot store one).
 */
export async function withUpload<T>(
  request: Request,
  { limitBytes, tmpDir }: { limitBytes: number; tmpDir: string },
  work: (upload: TUpload) => Promise<T>,
): Promise<T> {
  const declared = Number(request.headers.get("content-length") ?? 0);
  // The form around the file adds a little; refuse clear cases before reading a byte.
  if (declared > limitBytes + 1024 * 1024) throw tooLarge(limitBytes);
  await mkdir(tmpDir, { recursive: true, mode: 0o700 });
  const path = join(tmpDir, `upload-${randomBytes(8).toString("hex")}`);
  try {
    const upload = await receive(request, path, limitBytes);
    if (hasNul(upload.fields)) throw nulRefused("form");
    return await work(upload);
  } finally {
    await rm(path, { force: true });
  }
}
