import { AppError } from "./errors.ts";

/** The largest JSON body any route takes: a job request with every override and a label mix is a few kB. */
export const JSON_BODY_LIMIT_BYTES = 256 * 1024;

const tooLarge = () =>
  new AppError("payload_too_large", `The JSON body is larger than ${JSON_BODY_LIMIT_BYTES / 1024} kB.`);

/** `application/json` or a `+json` type, by the media type alone (so `text/plain;application/json` is not JSON). */
function isJsonMediaType(contentType: string | null): boolean {
  const media = (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  return media === "application/json" || /^application\/[a-z0-9.+-]+\+json$/.test(media);
}

async function readCapped(request: Request, limit: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get("content-length") ?? "");
  if (Number.isFinite(declared) && declared > limit) throw tooLarge();
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.byteLength;
    if (length > limit) {
      // The rest is left to discardBody, so the client still gets this answer rather than a reset connection.
      reader.releaseLock();
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/** Whether a string anywhere in a parsed value (keys included) holds a NUL, which PostgreSQL cannot store. */
export function hasNul(value: unknown): boolean {
  if (typeof value === "string") return value.includes("\u0000");
  if (Array.isArray(value)) return value.some(hasNul);
  if (value && typeof value === "object") {
    return Object.entries(value).some(([key, inner]) => key.includes("\u0000") || hasNul(inner));
  }
  return false;
}

export const nulRefused = (where: string) =>
  new AppError("bad_request", `The ${where} contains a NUL character (\\u0000); text must not contain one.`);

/**
 * A request's JSON body: `content-type: application/json`, at most JSON_BODY_LIMIT_BYTES (checked while reading,
 * so a huge or endless body is cut off), valid UTF-8 and JSON, and no NUL characters in any string.
 */
export async function readJsonBody(request: Request): Promise<unknown> {
  if (!isJsonMediaType(request.headers.get("content-type"))) {
    throw new AppError("unsupported_media_type", "Send the body as JSON with `content-type: application/json`.");
  }
  const bytes = await readCapped(request, JSON_BODY_LIMIT_BYTES);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new AppError("bad_request", "The body is not valid JSON (UTF-8).");
  }
  if (hasNul(parsed)) throw nulRefused("body");
  return parsed;
}

/** How much of an unread body a refusal still reads, so the client can take its answer. */
export const DISCARD_LIMIT_BYTES = 1024 * 1024;

/**
 * Reads and drops what is left of a refused request's body, up to DISCARD_LIMIT_BYTES. A server that answers
 * and closes while the client is still sending makes most clients report a reset connection instead of the
 * answer (401 for a bad token, 413, ...). Returns false when more was left: the connection must then close.
 */
export async function discardBody(request: Request): Promise<boolean> {
  if (!request.body || request.body.locked) return true;
  const reader = request.body.getReader();
  let length = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return true;
      length += value.byteLength;
      if (length > DISCARD_LIMIT_BYTES) {
        await reader.cancel().catch(() => undefined);
        return false;
      }
    }
  } catch {
    return false;
  }
}
