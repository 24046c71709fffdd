import "server-only";
import { budgetOf, type ledgerEntriesOf, type Prisma, type PrismaClient } from "@dpsynth/db";
import type { TDataset, TLedgerEntry } from "./schemas.ts";

/** The Dataset columns the API shows, with its owner. */
export const DATASET_SELECT = {
  id: true,
  name: true,
  ownerId: true,
  owner: { select: { id: true, email: true, name: true } },
  columns: true,
  textColumn: true,
  labelColumn: true,
  labels: true,
  labelSource: true,
  subject: true,
  syntheticColumns: true,
  delimiter: true,
  trainRows: true,
  holdoutRows: true,
  labelCounts: true,
  trainRowsOutsideLabels: true,
  holdoutRowsOutsideLabels: true,
  holdoutFraction: true,
  splitSeed: true,
  createdAt: true,
} as const;

type TDatasetRow = Prisma.DatasetGetPayload<{ select: typeof DATASET_SELECT }>;

/** A dataset as the API answers it, with its current budget. */
export async function datasetWire(prisma: PrismaClient, row: TDatasetRow): Promise<TDataset> {
  const { trainRowsOutsideLabels, holdoutRowsOutsideLabels, ...rest } = row;
  return {
    ...rest,
    // Datasets stored before ID-like columns were marked, or their mean lengths kept, have no such fields.
    columns: (row.columns as Partial<TDataset["columns"][number]>[]).map((column) => ({
      idLike: false,
      meanLength: null,
      ...column,
    })) as TDataset["columns"],
    labels: row.labels as TDataset["labels"],
    labelSource: row.labelSource as TDataset["labelSource"],
    syntheticColumns: row.syntheticColumns as string[],
    labelCounts: row.labelCounts as TDataset["labelCounts"],
    rowsOutsideLabelSet: { train: trainRowsOutsideLabels, holdout: holdoutRowsOutsideLabels },
    createdAt: row.createdAt.toISOString(),
    budget: await budgetOf(prisma, row.id),
  };
}

type TLedgerRow = Awaited<ReturnType<typeof ledgerEntriesOf>>[number];

/** A ledger entry as the API answers it, with the dataset of its job (another upload's, on a shared ledger). */
export function ledgerWire({ job, createdAt, ...entry }: TLedgerRow): TLedgerEntry {
  return { ...entry, datasetId: job?.datasetId ?? null, createdAt: createdAt.toISOString() };
}
