import { parse } from "csv-parse/sync";

/** Delimiters we recognise, in order of preference when two fit equally well. */
export const DELIMITERS = [",", "\t", ";", "|"] as const;
export type TDelimiter = (typeof DELIMITERS)[number];

const SAMPLE_LINES = 50;
/**
 * Sniffing parses the sample once per delimiter, synchronously, on the web's event loop: a bounded sample of
 * whole lines keeps that to milliseconds.
 */
const SAMPLE_CHARS = 16 * 1024;

function sampleRecords(lines: string, delimiter: string): string[][] {
  try {
    return parse(lines, {
      delimiter,
      record_delimiter: ["\r\n", "\n", "\r"],
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

/** The delimiter that occurs most often; ties go to the earlier one in DELIMITERS. */
function mostFrequent(text: string): TDelimiter {
  const counts = DELIMITERS.map((delimiter) => text.split(delimiter).length);
  return DELIMITERS[counts.indexOf(Math.max(...counts))] as TDelimiter;
}

/**
 * Picks the delimiter under which the sample's records most consistently have the header's field count
 * (and more than one field); ties go to the more common delimiter. A head without a whole line gets the most
 * frequent delimiter.
 */
export function sniffDelimiter(head: string): TDelimiter {
  const sample = head.slice(0, SAMPLE_CHARS);
  // Parse only whole lines: the head usually ends mid-line, possibly mid-quote. A first line longer than the
  // sample (thousands of columns) leaves no lines to compare, only counts.
  const lastNewline = sample.lastIndexOf("\n");
  if (lastNewline <= 0) return mostFrequent(sample);
  const lines = sample.slice(0, lastNewline);
  let best: { delimiter: TDelimiter; score: number } = { delimiter: ",", score: -1 };
  for (const delimiter of DELIMITERS) {
    const records = sampleRecords(lines, delimiter);
    const width = records[0]?.length ?? 0;
    if (width < 2) continue;
    const consistent = records.filter((record) => record.length === width).length / records.length;
    const score = consistent * 1000 + Math.min(width, 999);
    if (score > best.score) best = { delimiter, score };
  }
  return best.delimiter;
}
