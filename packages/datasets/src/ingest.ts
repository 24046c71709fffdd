import { createHash } from "node:crypto";
import { once } from "node:events";
import { stringify } from "csv-stringify";
import type { BlobStore, TStoredBlob } from "./blob-store.ts";
import { MAX_LABEL_CLASSES, type TColumnSummary } from "./columns.ts";
import { DatasetError } from "./errors.ts";
import { readCsv, scanCsv, type TCsvScan, type TOpenSource } from "./scan.ts";
import { drawHoldout, newSplitSeed } from "./split.ts";

/** Fewer rows than this cannot give a holdout worth evaluating on. */
export const MIN_ROWS = 10;

/** One declared class of the label column: public schema, in words a language model understands. */
export type TDeclaredLabel = { value: string; description: string };

/**
 * Where the label set comes from: declared by the owner, or released per job by the trainer with a thresholded
 * noisy histogram (the owner could not declare it). The contract's `ZLabelSource` is the list.
 */
export type TLabelSource = "declared" | "dp-histogram";

export interface TIngestOptions {
  textColumn: string;
  labelColumn: string;
  /**
   * The label set the owner declares as public schema (shape-checked by the caller: at least two, unique values).
   * Each must occur in the label column; rows with other labels stay in the files but are not trained on.
   * Null when the owner lets each job release the label set with DP instead ("dp-histogram"): every row is kept.
   */
  labels: readonly TDeclaredLabel[] | null;
  /** Other columns the synthetic rows carry, in order; none by default. */
  syntheticColumns?: readonly string[];
  /** Share of rows held out for evaluation, drawn once here. */
  holdoutFraction: number;
  /** Recorded on the dataset; a fresh one by default. */
  splitSeed?: number;
  store: BlobStore;
  /** Blob key prefix, e.g. `datasets/<uploadId>`; train.csv and holdout.csv go under it. */
  keyPrefix: string;
}

export interface TIngestResult {
  /** sha256 of the file as uploaded: uploads of identical bytes share one privacy ledger. */
  contentSha256: string;
  encoding: TCsvScan["encoding"];
  delimiter: string;
  columns: TColumnSummary[];
  textColumn: string;
  labelColumn: string;
  labelSource: TLabelSource;
  /** Empty for a label set released with DP. */
  labels: TDeclaredLabel[];
  syntheticColumns: string[];
  trainRows: number;
  holdoutRows: number;
  /** Exact counts of the train split, for the owner's eyes only. */
  labelCounts: Record<string, number>;
  /** Rows whose label is not declared, per split: kept in the files, never trained on. */
  rowsOutsideLabelSet: { train: number; holdout: number };
  holdoutFraction: number;
  splitSeed: number;
  train: TStoredBlob;
  holdout: TStoredBlob;
}

/** Column names for a message: the first few, and how many more. */
function listed(names: string[], shown = 20): string {
  const more = names.length - shown;
  return names.slice(0, shown).join(", ") + (more > 0 ? ` and ${more} more` : "");
}

function column(scan: TCsvScan, name: string, role: string): TColumnSummary {
  const found = scan.columns.find((candidate) => candidate.name === name);
  if (!found) {
    throw new DatasetError(
      "unknown_column",
      `There is no column named ${JSON.stringify(name.slice(0, 200))} to use as the ${role}. The header has: ${listed(scan.header)}.`,
    );
  }
  return found;
}

/**
 * The declared set against the file: each value must be one the label column holds, so a typo ("Fresh" for "fresh")
 * is refused instead of training on nothing. The message quotes the owner's declared value, never the file's.
 */
function checkDeclaredLabels(label: TColumnSummary, labels: readonly TDeclaredLabel[]): void {
  const missing = labels.filter((declared) => !Object.hasOwn(label.values ?? {}, declared.value));
  if (missing.length) {
    throw new DatasetError(
      "unknown_label",
      `labels: ${missing.map((declared) => JSON.stringify(declared.value)).join(", ")} ${missing.length === 1 ? "is not a value" : "are not values"} of the label column "${label.name}". Labels are matched exactly, case included; the preview lists the column's values.`,
    );
  }
}

function checkSyntheticColumns(scan: TCsvScan, options: TIngestOptions): void {
  for (const name of options.syntheticColumns ?? []) {
    if (name === options.textColumn || name === options.labelColumn) {
      throw new DatasetError(
        "bad_options",
        `columns: "${name}" is the ${name === options.textColumn ? "text" : "label"} column, which is always synthesised; list only other columns.`,
      );
    }
    column(scan, name, "column to synthesise (columns)");
  }
}

/** The checks that depend on the chosen columns; messages give counts and names, never values. */
function checkColumns(scan: TCsvScan, options: TIngestOptions): void {
  if (options.textColumn === options.labelColumn) {
    throw new DatasetError("bad_options", "The text column and the label column must be two different columns.");
  }
  if (!(options.holdoutFraction > 0 && options.holdoutFraction <= 0.5)) {
    throw new DatasetError("bad_options", "The holdout fraction must be more than 0 and at most 0.5.");
  }
  const text = column(scan, options.textColumn, "text column");
  const label = column(scan, options.labelColumn, "label column");
  if (scan.rows < MIN_ROWS) {
    throw new DatasetError("too_few_rows", `The file has ${scan.rows} rows; at least ${MIN_ROWS} are needed.`);
  }
  if (label.empty === scan.rows) {
    throw new DatasetError(
      "empty_labels",
      `The label column "${label.name}" is empty. Choose the column that holds the labels.`,
    );
  }
  if (label.empty > 0) {
    throw new DatasetError(
      "empty_labels",
      `The label column "${label.name}" is empty in ${label.empty} of ${scan.rows} rows. Give every row a label or remove those rows.`,
    );
  }
  if (text.empty > 0) {
    throw new DatasetError(
      "empty_text",
      `The text column "${text.name}" is empty in ${text.empty} of ${scan.rows} rows. Remove those rows or choose another text column.`,
    );
  }
  if (label.values === null) {
    throw new DatasetError(
      "too_many_labels",
      `The label column "${label.name}" has more than ${MAX_LABEL_CLASSES} distinct values. Choose a column with a few classes.`,
    );
  }
  if (label.distinct < 2) {
    throw new DatasetError(
      "one_label_class",
      `The label column "${label.name}" has a single class. At least two are needed: rows are generated per label and a classifier is evaluated on them.`,
    );
  }
  if (options.labels !== null) checkDeclaredLabels(label, options.labels);
  checkSyntheticColumns(scan, options);
}

/**
 * A holdout too small to hold a row evaluates nothing: refuse it, with the smallest fraction that gives one (each
 * label holds out round(count × fraction) rows, so the largest label needs count × fraction ≥ 0.5).
 */
function checkHoldout(mask: Uint8Array, fraction: number, labels: readonly string[]): void {
  if (mask.some((bit) => bit === 1)) return;
  const counts = new Map<string, number>();
  for (const label of labels) counts.set(label, (counts.get(label) ?? 0) + 1);
  const smallest = Math.ceil((0.5 / Math.max(...counts.values())) * 1e4) / 1e4;
  throw new DatasetError(
    "bad_options",
    `A holdout fraction of ${fraction.toPrecision(3)} holds out none of these ${labels.length} rows, so nothing could be evaluated. Use at least ${smallest} (0.2 is usual).`,
  );
}

/**
 * Validates a CSV, draws its holdout once, and stores train and holdout as two normalised blobs (UTF-8,
 * comma-separated, header first). Either both blobs exist afterwards or neither does.
 */
export async function ingestCsv(open: TOpenSource, options: TIngestOptions): Promise<TIngestResult> {
  const scan = await scanCsv(open, { previewRows: 0 });
  checkColumns(scan, options);
  const labelIndex = scan.header.indexOf(options.labelColumn);
  const labels: string[] = [];
  for await (const item of readCsv(open, scan)) {
    if (!Array.isArray(item)) labels.push((item.cells[labelIndex] as string).trim());
  }
  const splitSeed = options.splitSeed ?? newSplitSeed();
  const mask = drawHoldout({ labels, fraction: options.holdoutFraction, seed: splitSeed });
  checkHoldout(mask, options.holdoutFraction, labels);
  const keys = { train: `${options.keyPrefix}/train.csv`, holdout: `${options.keyPrefix}/holdout.csv` };
  const [train, holdout] = await writeSplits(open, scan, { mask, labelIndex, keys, store: options.store });
  const labelCounts: Record<string, number> = {};
  const declared = options.labels && new Set(options.labels.map((label) => label.value));
  const rowsOutsideLabelSet = { train: 0, holdout: 0 };
  labels.forEach((label, row) => {
    if (!mask[row]) labelCounts[label] = (labelCounts[label] ?? 0) + 1;
    if (declared && !declared.has(label)) rowsOutsideLabelSet[mask[row] ? "holdout" : "train"]++;
  });
  const holdoutRows = mask.reduce((sum, bit) => sum + bit, 0);
  return {
    contentSha256: await sha256Of(open),
    encoding: scan.encoding,
    delimiter: scan.delimiter,
    columns: scan.columns,
    textColumn: options.textColumn,
    labelColumn: options.labelColumn,
    labelSource: options.labels === null ? "dp-histogram" : "declared",
    labels: (options.labels ?? []).map(({ value, description }) => ({ value, description })),
    syntheticColumns: [...(options.syntheticColumns ?? [])],
    trainRows: labels.length - holdoutRows,
    holdoutRows,
    labelCounts,
    rowsOutsideLabelSet,
    holdoutFraction: options.holdoutFraction,
    splitSeed,
    train,
    holdout,
  };
}

async function sha256Of(open: TOpenSource): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of open()) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

async function writeSplits(
  open: TOpenSource,
  scan: TCsvScan,
  {
    mask,
    labelIndex,
    keys,
    store,
  }: { mask: Uint8Array; labelIndex: number; keys: { train: string; holdout: string }; store: BlobStore },
): Promise<[TStoredBlob, TStoredBlob]> {
  const sinks = { train: stringify(), holdout: stringify() };
  const puts = Promise.all([store.put(keys.train, sinks.train), store.put(keys.holdout, sinks.holdout)]);
  try {
    for await (const item of readCsv(open, scan)) {
      if (Array.isArray(item)) {
        sinks.train.write(item);
        sinks.holdout.write(item);
        continue;
      }
      const cells = item.cells.map((cell, i) => (i === labelIndex ? cell.trim() : cell));
      const sink = mask[item.index] ? sinks.holdout : sinks.train;
      if (!sink.write(cells)) await once(sink, "drain");
    }
    sinks.train.end();
    sinks.holdout.end();
    return await puts;
  } catch (error) {
    sinks.train.destroy();
    sinks.holdout.destroy();
    await puts.catch(() => undefined);
    await Promise.all([store.delete(keys.train), store.delete(keys.holdout)]);
    throw error;
  }
}

/**
 * The Dataset row for an ingested file: the one place web and seed agree on what is stored. `ledgerId` is the
 * file's privacy ledger (packages/db `ledgerForContent`).
 */
export function datasetRow(
  result: TIngestResult,
  { ownerId, name, subject, ledgerId }: { ownerId: string; name: string; subject: string; ledgerId: string },
) {
  return {
    ownerId,
    name,
    columns: result.columns.map(({ name, type, distinct, empty, meanLength, idLike }) => ({
      name,
      type,
      distinct,
      empty,
      meanLength,
      idLike,
    })),
    textColumn: result.textColumn,
    labelColumn: result.labelColumn,
    labels: result.labels,
    labelSource: result.labelSource,
    subject,
    syntheticColumns: result.syntheticColumns,
    trainRowsOutsideLabels: result.rowsOutsideLabelSet.train,
    holdoutRowsOutsideLabels: result.rowsOutsideLabelSet.holdout,
    delimiter: result.delimiter,
    trainRows: result.trainRows,
    holdoutRows: result.holdoutRows,
    labelCounts: result.labelCounts,
    holdoutFraction: result.holdoutFraction,
    splitSeed: result.splitSeed,
    trainBlobKey: result.train.key,
    holdoutBlobKey: result.holdout.key,
    ledgerId,
  };
}
