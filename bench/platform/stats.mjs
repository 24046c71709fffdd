/**
 * Nearest-rank percentile of `values` (unsorted), or null when there are none.
 * @param {number[]} values
 * @param {number} p 0..100
 */
export function percentile(values, p) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] ?? null;
}

/**
 * @param {number | null | undefined} value
 * @param {number | null | undefined} baseline
 */
export function ratio(value, baseline) {
  return value == null || baseline == null || baseline <= 0 ? null : value / baseline;
}

/** @param {number} ms */
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
