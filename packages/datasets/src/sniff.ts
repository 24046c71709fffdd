import { parse } from "csv-parse/sync";

/** Delimiters we recognise, in order of preference when two fit equally well. */
export const DELIMITERS = [",", "\t", ";", "|"] as const;
export type TDelimiter = (typeof DELIMITERS)[number];

const SAMPLE_LINES = 50;

function sampleRecords(text: string, delimiter: string): string[][] {
  // Parse only whole lines: the head usually ends mid-line, possibly mid-quote.
  const lastNewline = text.lastIndexOf("\n");
  const whole = lastNewline > 0 ? text.slice(0, lastNewline) : text;
  try {
    return parse(whole, {
      delimiter,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      to: SAMPLE_LINES,
      bom: true,
    }) as string[][];
  } catch {
    return [];
  }
}

/**
 * Picks the delimiter under which the sample's records most consistently have the header's field count
 * (and more than one field); ties go to the more common delimiter.
 */
export function sniffDelimiter(head: string): TDelimiter {
  let best: { delimiter: TDelimiter; score: number } = { delimiter: ",", score: -1 };
  for (const delimiter of DELIMITERS) {
    const records = sampleRecords(head, delimiter);
    const width = records[0]?.length ?? 0;
    if (width < 2) continue;
    const consistent = records.filter((record) => record.length === width).length / records.length;
    const score = consistent * 1000 + Math.min(width, 999);
    if (score > best.score) best = { delimiter, score };
  }
  return best.delimiter;
}
