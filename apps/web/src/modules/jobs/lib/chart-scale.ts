/**
 * Axis scales a reader can read: ticks at round steps (1, 2 or 5 times a power of ten) that cover the data, so a
 * loss that moves from 4.35 to 4.46 gets ticks 4.35, 4.4, 4.45, 4.5 rather than three uneven labels.
 */

export type TScale = { domain: [number, number]; ticks: number[]; digits: number };

/** The round step closest to splitting `span` into `count` intervals. */
function roundStep(span: number, count: number): number {
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((factor) => factor * power).find((candidate) => candidate >= raw);
  return step ?? 10 * power;
}

/** Ticks at a round step from at or below `min` to at or above `max` (about `count` intervals). */
export function roundScale(min: number, max: number, count = 4): TScale {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return { domain: [0, 1], ticks: [0, 0.5, 1], digits: 1 };
  const span = max - min || Math.abs(max) || 1;
  const step = roundStep(span, count);
  const digits = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const first = Math.floor(min / step + 1e-9);
  const last = Math.max(first + 1, Math.ceil(max / step - 1e-9));
  const ticks = Array.from({ length: last - first + 1 }, (_, k) => Number(((first + k) * step).toFixed(digits)));
  return { domain: [ticks[0] ?? min, ticks.at(-1) ?? max], ticks, digits };
}
