/** What a column holds, judged from every value of the file. */
export type TColumnType = "text" | "category" | "integer" | "number" | "boolean" | "empty";

export interface TColumnSummary {
  name: string;
  type: TColumnType;
  /** Distinct non-empty values, counted up to DISTINCT_CAP (a larger count reads as "more than"). */
  distinct: number;
  empty: number;
  meanLength: number;
  /** Counts per value for columns with few distinct values (labels-to-be); null otherwise. */
  values: Record<string, number> | null;
  /**
   * A different short value in every filled row, like an ID: synthesising it teaches the model nothing and invites
   * copying, so it is never proposed as a column to synthesise.
   */
  idLike: boolean;
}

export const DISTINCT_CAP = 1000;
/** Columns with at most this many distinct values report their value counts. */
export const MAX_LABEL_CLASSES = 100;
/** Uniqueness is judged on this many filled values at most, so a huge file costs bounded memory. */
export const UNIQUE_CHECK_CAP = 100_000;
/** Longer values read as prose, not identifiers. */
const MAX_ID_LENGTH = 64;

const INTEGER = /^[-+]?\d+$/;
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const BOOLEAN = /^(true|false|yes|no|y|n|t|f)$/i;

/** Accumulates one column's statistics over a stream of values. */
export class ColumnStats {
  private counts = new Map<string, number>();
  private overflow = false;
  private rows = 0;
  private empties = 0;
  private totalLength = 0;
  private allInteger = true;
  private allNumber = true;
  private allBoolean = true;
  /** Values seen so far, until a repeat shows the column is not unique (then null) or the cap is reached. */
  private seen: Set<string> | null = new Set();
  private unique = true;
  private whitespace = false;

  constructor(readonly name: string) {}

  add(raw: string): void {
    this.rows++;
    const value = raw.trim();
    if (value === "") {
      this.empties++;
      return;
    }
    this.totalLength += value.length;
    this.allInteger &&= INTEGER.test(value);
    this.allNumber &&= NUMBER.test(value);
    this.allBoolean &&= BOOLEAN.test(value);
    this.whitespace ||= /\s/.test(value);
    this.trackUnique(value);
    if (this.counts.has(value)) this.counts.set(value, (this.counts.get(value) ?? 0) + 1);
    else if (this.counts.size < DISTINCT_CAP) this.counts.set(value, 1);
    else this.overflow = true;
  }

  summary(): TColumnSummary {
    const filled = this.rows - this.empties;
    const meanLength = filled ? this.totalLength / filled : 0;
    const distinct = this.counts.size + (this.overflow ? 1 : 0);
    return {
      name: this.name,
      type: this.type(filled, distinct, meanLength),
      distinct,
      empty: this.empties,
      meanLength: Math.round(meanLength * 10) / 10,
      values: distinct <= MAX_LABEL_CLASSES ? Object.fromEntries(this.counts) : null,
      idLike: filled >= 2 && this.unique && !this.whitespace && !this.allBoolean && meanLength <= MAX_ID_LENGTH,
    };
  }

  private trackUnique(value: string): void {
    if (!this.seen) return;
    if (this.seen.has(value)) {
      this.unique = false;
      this.seen = null;
    } else if (this.seen.size < UNIQUE_CHECK_CAP) {
      this.seen.add(value);
    } else {
      this.seen = null; // unique as far as it was checked
    }
  }

  private type(filled: number, distinct: number, meanLength: number): TColumnType {
    if (filled === 0) return "empty";
    if (this.allBoolean && distinct <= 2) return "boolean";
    if (this.allInteger) return "integer";
    if (this.allNumber) return "number";
    // Short values that repeat are categories; long or mostly unique ones are free text.
    const repeats = distinct <= Math.max(2, Math.min(MAX_LABEL_CLASSES, filled / 2));
    return repeats && meanLength <= 40 ? "category" : "text";
  }
}

const LABEL_NAME = /^(label|labels|class|target|y|sentiment|category|rating|outcome)$/i;

/** Proposes the text column (longest free text) and the label column (few classes, label-like name first). */
export function proposeColumns(columns: TColumnSummary[]): { textColumn: string | null; labelColumn: string | null } {
  const text = columns
    .filter((column) => column.type === "text" && !column.idLike)
    .sort((a, b) => b.meanLength - a.meanLength)[0];
  const candidates = columns.filter(
    (column) => column !== text && column.type !== "empty" && column.distinct >= 2 && column.values !== null,
  );
  const label =
    candidates.find((column) => LABEL_NAME.test(column.name)) ?? candidates.sort((a, b) => a.distinct - b.distinct)[0];
  return { textColumn: text?.name ?? null, labelColumn: label?.name ?? null };
}

/** What `proposeSyntheticColumns` needs of a column (the dataset page stores less than a full summary). */
export type TColumnTraits = Pick<TColumnSummary, "name" | "type" | "idLike">;

/**
 * The other columns proposed for synthesis beside the text and the label, in file order: every column with values,
 * except ID-like ones. The owner may add or remove any.
 */
export function proposeSyntheticColumns(columns: TColumnTraits[], textColumn: string, labelColumn: string): string[] {
  return columns
    .filter((column) => column.name !== textColumn && column.name !== labelColumn)
    .filter((column) => column.type !== "empty" && !column.idLike)
    .map((column) => column.name);
}
