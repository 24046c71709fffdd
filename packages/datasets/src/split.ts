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
 */
export function drawHoldout({ labels, fraction, seed }: { labels: readonly string[]; fraction: number; seed: number }) {
  const random = prng(seed);
  const byLabel = new Map<string, number[]>();
  labels.forEach((label, row) => {
    const rows = byLabel.get(label);
    if (rows) rows.push(row);
    else byLabel.set(label, [row]);
  });
  const mask = new Uint8Array(labels.length);
  // A fixed label order makes the PRNG sequence, and so the split, a function of (file, seed) alone.
  for (const label of [...byLabel.keys()].sort()) {
    const rows = byLabel.get(label) as number[];
    const take = Math.min(Math.round(rows.length * fraction), rows.length - 1);
    // Partial Fisher-Yates: the first `take` slots become a uniform sample without replacement.
    for (let i = 0; i < take; i++) {
      const j = i + Math.floor(random() * (rows.length - i));
      [rows[i], rows[j]] = [rows[j] as number, rows[i] as number];
      mask[rows[i] as number] = 1;
    }
  }
  return mask;
}
