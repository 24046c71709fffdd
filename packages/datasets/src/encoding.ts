import { Transform } from "node:stream";
import { DatasetError } from "./errors.ts";

/** The encodings we read; latin-1 files are converted to UTF-8 on the way in. */
export type TEncoding = "utf-8" | "utf-8-bom" | "latin-1";

const BOM = [0xef, 0xbb, 0xbf];

function hasBom(head: Uint8Array): boolean {
  return BOM.every((byte, i) => head[i] === byte);
}

/** Control characters other than tab, newline, form feed and carriage return: rare in text, common in binaries. */
function isOddControl(byte: number): boolean {
  return byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0c && byte !== 0x0d;
}

function binaryError(): DatasetError {
  return new DatasetError(
    "binary_file",
    "This file looks binary (it contains NUL or control bytes), not a CSV text file. Export the table as CSV (UTF-8) and upload that.",
  );
}

/**
 * Decides the encoding from the first bytes. UTF-8 is tried strictly; text that is not UTF-8 is taken as
 * latin-1 (Windows-1252), the usual export encoding of spreadsheet programs, rather than refused.
 */
export function detectEncoding(head: Uint8Array): TEncoding {
  if (head.length === 0)
    throw new DatasetError("empty_file", "The file is empty. Upload a CSV with a header line and rows.");
  const odd = head.reduce((count, byte) => count + (isOddControl(byte) ? 1 : 0), 0);
  if (head.includes(0) || odd > head.length / 100) throw binaryError();
  if (hasBom(head)) return "utf-8-bom";
  // The head may end inside a multi-byte character: drop up to 3 trailing bytes before judging.
  for (let cut = 0; cut <= Math.min(3, head.length - 1); cut++) {
    try {
      new TextDecoder("utf-8", { fatal: true }).decode(head.subarray(0, head.length - cut));
      return "utf-8";
    } catch {}
  }
  return "latin-1";
}

/** A Transform from raw bytes to UTF-8 strings; refuses NUL bytes and bytes that break the detected encoding. */
export function decodeStream(encoding: TEncoding): Transform {
  // WHATWG maps the "latin1" label to windows-1252, which is what "latin-1" files from Excel really are.
  const decoder = new TextDecoder(encoding === "latin-1" ? "latin1" : "utf-8", { fatal: true, ignoreBOM: false });
  let offset = 0;
  const fail = () =>
    new DatasetError(
      "bad_encoding",
      `The file is not valid UTF-8 (after byte ${offset}). Save it as "CSV UTF-8" (or latin-1 throughout) and upload again.`,
    );
  return new Transform({
    readableObjectMode: false,
    decodeStrings: true,
    transform(chunk: Buffer, _enc, done) {
      if (chunk.includes(0)) return done(binaryError());
      let text: string;
      try {
        text = decoder.decode(chunk, { stream: true });
      } catch {
        return done(fail());
      }
      offset += chunk.length;
      done(null, text);
    },
    flush(done) {
      try {
        done(null, decoder.decode());
      } catch {
        done(fail());
      }
    },
  });
}
