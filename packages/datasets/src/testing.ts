import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { FileBlobStore } from "./blob-store.ts";
import type { TOpenSource } from "./scan.ts";

/** The Rotten Tomatoes fixture (600 rows, `review,label`) that the trainer's tests use too. */
export const ROTTEN_TOMATOES_CSV = new URL(
  "../../../services/trainer/tests/fixtures/rotten_tomatoes_600.csv",
  import.meta.url,
).pathname;

/** A file blob store in a fresh temporary directory, with a listing to prove nothing was left behind. */
export function tempBlobStore() {
  const root = mkdtempSync(join(tmpdir(), "dpsynth-blobs-"));
  const store = new FileBlobStore(root);
  const files = (): string[] =>
    existsSync(root)
      ? readdirSync(root, { recursive: true, withFileTypes: true })
          .filter((entry) => entry.isFile())
          .map((entry) => entry.name)
      : [];
  return { root, store, files, remove: () => rmSync(root, { recursive: true, force: true }) };
}

export function sourceOf(content: string | Uint8Array): TOpenSource {
  return () => Readable.from([typeof content === "string" ? Buffer.from(content) : Buffer.from(content)]);
}

/** A valid small CSV: `rows` rows alternating two labels. */
export function smallCsv(rows = 40, { delimiter = ",", header = "text,label" } = {}): string {
  const lines = [header.replaceAll(",", delimiter)];
  for (let i = 0; i < rows; i++) lines.push(`review number ${i} says something${delimiter}${i % 2 ? "pos" : "neg"}`);
  return `${lines.join("\n")}\n`;
}
