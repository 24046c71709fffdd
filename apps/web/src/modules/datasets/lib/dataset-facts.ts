import { formatInteger, formatTimestamp } from "@/components/ui/format";

type TDatasetFacts = {
  name: string;
  owner: { email: string };
  createdAt: string;
  trainRows: number;
  holdoutRows: number;
};

/**
 * What tells two datasets of the same name apart, wherever one is listed or picked: whose it is, when it was
 * uploaded, and how many rows it has ("owner@example.com · 2 Dec 2026, 14:05 · 600 rows").
 */
export function datasetFacts(dataset: TDatasetFacts): string {
  const rows = dataset.trainRows + dataset.holdoutRows;
  return `${dataset.owner.email} · ${formatTimestamp(dataset.createdAt)} · ${formatInteger(rows)} rows`;
}

/** A dataset as one line in a picker: its name, then the facts that tell it from another of that name. */
export function datasetOption(dataset: TDatasetFacts): string {
  return `${dataset.name} — ${datasetFacts(dataset)}`;
}
