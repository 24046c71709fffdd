import { randomInt } from "node:crypto";

/** A fresh split seed; recorded on the dataset so the draw can be reproduced and audited. */
export function newSplitSeed(): number {
  return randomInt(0, 2 ** 31 - 1);
}

/** mulberry32: a tiny seeded PRNG; the same seed gives the same holdout on every machine. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Draws the holdout once: stratified by label, so every class keeps its share in both splits, and every
 * class keeps at least one training row. Returns a mask over rows: 1 = holdout, 0 = train.
 *
 * Rows are grouped by label with a counting sort into one typed array (no array per label), so a million rows
 * take milliseconds: this runs on the web's event loop during an upload.
 */
export function drawHoldout({ labels, fraction, seed }: { labels: readonly string[]; fraction: number; seed: number }) {
  const random = prng(seed);
  const codeOf = new Map<string, number>();
  const codes = new Uint32Array(labels.length);
  const sizes: number[] = [];
  for (let row = 0; row < labels.length; row++) {
    const label = labels[row] as string;
    let code = codeOf.get(label);
    if (code === undefined) {
      code = sizes.length;
      codeOf.set(label, code);
      sizes.push(0);
    }
    codes[row] = code;
    sizes[code] = (sizes[code] as number) + 1;
  }
  // Each label's rows, in row order, in one block of `grouped`.
  const starts = new Uint32Array(sizes.length + 1);
  for (let code = 0; code < sizes.length; code++) starts[code + 1] = (starts[code] as number) + (sizes[code] as number);
  const grouped = new Uint32Array(labels.length);
  const next = starts.slice(0, sizes.length);
  for (let row = 0; row < labels.length; row++) grouped[(next[codes[row] as number] as number)++] = row;
  const mask = new Uint8Array(labels.length);
  // A fixed label order makes the PRNG sequence, and so the split, a function of (file, seed) alone.
  for (const label of [...codeOf.keys()].sort()) {
    const code = codeOf.get(label) as number;
    const rows = grouped.subarray(starts[code], starts[code + 1]);
    const take = Math.min(Math.round(rows.length * fraction), rows.length - 1);
    // Partial Fisher-Yates: the first `take` slots become a uniform sample without replacement.
    for (let i = 0; i < take; i++) {
      const j = i + Math.floor(random() * (rows.length - i));
      const picked = rows[j] as number;
      rows[j] = rows[i] as number;
      rows[i] = picked;
      mask[picked] = 1;
    }
  }
  return mask;
}
