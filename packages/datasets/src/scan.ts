import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { type CsvError, type Info, parse } from "csv-parse";
import { ColumnStats, type TColumnSummary } from "./columns.ts";
import { decodeStream, detectEncoding, type TEncoding } from "./encoding.ts";
import { DatasetError } from "./errors.ts";
import { paced } from "./paced.ts";
import { sniffDelimiter, type TDelimiter } from "./sniff.ts";

/** Opens the file anew: ingestion reads it twice (scan, then split), so it takes a factory, not a stream. */
export type TOpenSource = () => Readable;

const HEAD_BYTES = 64 * 1024;
const MAX_HEADER_CELL = 200;
/** More columns than any labelled table we train on has; bounds the per-row work and memory. */
export const MAX_COLUMNS = 500;
/** A longer cell is not one record's text (a review, a note) but a file that went wrong. */
export const MAX_CELL_CHARS = 100_000;
/** Bounds what the parser buffers for one row, e.g. after an unclosed quote swallows the rest of the file. */
export const MAX_ROW_CHARS = 1_000_000;

async function readHead(open: TOpenSource): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  const stream = open();
  for await (const chunk of stream) {
    chunks.push(chunk as Buffer);
    length += (chunk as Buffer).length;
    if (length >= HEAD_BYTES) break;
  }
  stream.destroy();
  return Buffer.concat(chunks).subarray(0, HEAD_BYTES);
}

/**
 * Refuses a first line that is not a header; cells are described by position, never quoted (they may be data).
 * Linear in the number of columns, which is bounded first.
 */
function checkHeader(header: string[]): void {
  const fix = "The first line must be a header naming each column, e.g. text,label.";
  if (header.length > MAX_COLUMNS) {
    throw new DatasetError(
      "too_many_columns",
      `The header has ${header.length} columns; dpsynth takes at most ${MAX_COLUMNS}. Keep the text, the label and the columns you need.`,
    );
  }
  const firstOf = new Map<string, number>();
  header.forEach((cell, i) => {
    const name = cell.trim();
    if (name === "") throw new DatasetError("no_header", `Column ${i + 1} of the first line has no name. ${fix}`);
    if (name.length > MAX_HEADER_CELL || /^[-+]?\d*\.?\d+$/.test(name)) {
      throw new DatasetError(
        "no_header",
        `The first line does not look like a header (column ${i + 1} holds ${name.length > MAX_HEADER_CELL ? "long text" : "a number"}). ${fix}`,
      );
    }
    const first = firstOf.get(name) ?? i;
    firstOf.set(name, first);
    if (first !== i) {
      throw new DatasetError(
        "no_header",
        `Columns ${first + 1} and ${i + 1} of the header have the same name. Give every column a unique name.`,
      );
    }
  });
}

const shownDelimiter = (delimiter: string) => (delimiter === "\t" ? "tab" : `"${delimiter}"`);

/** A row whose field count differs from the header's; counted here, so both numbers are right. */
function raggedRow(line: number, fields: number, width: number, delimiter: string): DatasetError {
  return new DatasetError(
    "ragged_rows",
    `Line ${line} has ${fields} field${fields === 1 ? "" : "s"} but the header has ${width}. Quote fields that contain the delimiter (${shownDelimiter(delimiter)}) or line breaks, or fix that line.`,
  );
}

/** Turns csv-parse's errors into ours; theirs may quote the offending characters, which are private data. */
function csvError(error: CsvError & { lines?: number }): DatasetError {
  const line = error.lines ?? "?";
  switch (error.code) {
    case "CSV_MAX_RECORD_SIZE":
      return new DatasetError(
        "cell_too_large",
        `The row that starts near line ${line} is longer than ${MAX_ROW_CHARS.toLocaleString("en")} characters. Look for a double quote that is never closed.`,
      );
    case "CSV_QUOTE_NOT_CLOSED":
      return new DatasetError(
        "malformed_csv",
        `A quoted field that starts near line ${line} is never closed. Look for a stray double quote.`,
      );
    case "CSV_INVALID_CLOSING_QUOTE":
    case "INVALID_OPENING_QUOTE":
      return new DatasetError(
        "malformed_csv",
        `Line ${line} has a double quote inside a field. Quote the whole field and double the inner quotes ("").`,
      );
    default:
      return new DatasetError(
        "malformed_csv",
        `The file could not be read as CSV at line ${line}. Check its quoting and delimiters.`,
      );
  }
}

export interface TCsvRow {
  /** 0-based data row (the header is not a row). */
  index: number;
  /** Physical line where the row ends, for messages. */
  line: number;
  cells: string[];
}

export interface TCsvFormat {
  encoding: TEncoding;
  delimiter: TDelimiter;
}

/** Detects the format from the head of the file. */
export async function detectFormat(open: TOpenSource): Promise<TCsvFormat> {
  const head = await readHead(open);
  const encoding = detectEncoding(head);
  const text = new TextDecoder(encoding === "latin-1" ? "latin1" : "utf-8").decode(head);
  return { encoding, delimiter: sniffDelimiter(text) };
}

/** Streams the header, then every row, of a file in a known format. */
export async function* readCsv(open: TOpenSource, format: TCsvFormat): AsyncGenerator<string[] | TCsvRow> {
  // Field counts are checked below rather than by the parser, whose error can come before the header is read.
  const parser = parse({
    delimiter: format.delimiter,
    bom: true,
    skip_empty_lines: true,
    info: true,
    relax_column_count: true,
    max_record_size: MAX_ROW_CHARS,
    // Named rather than discovered: discovery holds and rescans everything up to the first line break, which
    // for a 100,000-column header is hundreds of milliseconds of blocked event loop.
    record_delimiter: ["\r\n", "\n", "\r"],
  });
  // pipeline, not pipe: a decoding error must reach the loop below instead of escaping as an uncaught error.
  pipeline(open(), decodeStream(format.encoding), paced(), parser).catch((error) => parser.destroy(error));
  let width = 0;
  let index = -1;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: Info }>) {
      if (index === -1) {
        checkHeader(record);
        width = record.length;
        index = 0;
        yield record.map((name) => name.trim());
      } else {
        if (record.length !== width) throw raggedRow(info.lines, record.length, width, format.delimiter);
        for (let i = 0; i < record.length; i++) {
          if ((record[i] as string).length > MAX_CELL_CHARS) {
            throw new DatasetError(
              "cell_too_large",
              `Line ${info.lines}, column ${i + 1} holds more than ${MAX_CELL_CHARS.toLocaleString("en")} characters. dpsynth trains on records of text, not whole documents in a cell; shorten it or remove that row.`,
            );
          }
        }
        yield { index: index++, line: info.lines, cells: record };
      }
    }
  } catch (error) {
    if (error instanceof DatasetError) throw error;
    if ((error as CsvError).code?.startsWith("CSV_") || (error as CsvError).code === "INVALID_OPENING_QUOTE") {
      throw csvError(error as CsvError);
    }
    // Errors of the decoder arrive here as they are (DatasetError); anything else is a reading failure.
    throw error;
  } finally {
    parser.destroy();
  }
  if (index === -1)
    throw new DatasetError("empty_file", "The file is empty. Upload a CSV with a header line and rows.");
}

export interface TCsvScan extends TCsvFormat {
  header: string[];
  columns: TColumnSummary[];
  rows: number;
  /** The first rows, for the owner's own preview. */
  preview: string[][];
}

/** Reads the whole file once: header, per-column types and counts, the first rows. */
export async function scanCsv(open: TOpenSource, { previewRows = 5 } = {}): Promise<TCsvScan> {
  const format = await detectFormat(open);
  let header: string[] = [];
  let stats: ColumnStats[] = [];
  const preview: string[][] = [];
  let rows = 0;
  for await (const item of readCsv(open, format)) {
    if (Array.isArray(item)) {
      header = item;
      stats = header.map((name) => new ColumnStats(name));
      continue;
    }
    rows++;
    item.cells.forEach((cell, i) => {
      stats[i]?.add(cell);
    });
    if (preview.length < previewRows) preview.push(item.cells);
  }
  if (header.length < 2) {
    throw new DatasetError(
      "no_header",
      "The file has a single column. dpsynth needs a text column and a label column, separated by a comma, semicolon, tab or |.",
    );
  }
  return { ...format, header, columns: stats.map((column) => column.summary()), rows, preview };
}
