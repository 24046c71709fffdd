import { z } from "zod";

/** Wire shapes of the dataset routes; the OpenAPI document and the dashboard's types come from these. */

export const ZId = z.string().min(1).max(64);
export const ZIdParams = z.object({ id: ZId });
const ZDate = z.iso.datetime();

export const ZColumnType = z.enum(["text", "category", "integer", "number", "boolean", "empty"]);

export const ZColumn = z.object({ name: z.string(), type: ZColumnType, distinct: z.int(), empty: z.int() });

/**
 * The privacy budget of a dataset, in epsilon (and delta), all mechanisms composed by addition. Every upload of
 * the same file shares one budget.
 */
export const ZBudget = z.object({
  epsilonTotal: z.number(),
  delta: z.number(),
  spent: z.number(),
  reserved: z.number(),
  remaining: z.number(),
  deltaSpent: z.number(),
  deltaReserved: z.number(),
  deltaRemaining: z.number(),
  /** Datasets (uploads of the same file) sharing this budget; 1 when it is this dataset's alone. */
  sharedBy: z.int().min(1),
});

export const ZLedgerEntry = z.object({
  id: z.string(),
  jobId: z.string().nullable(),
  /** The dataset of the entry's job: another upload of the same file when the budget is shared. */
  datasetId: z.string().nullable(),
  kind: z.enum(["RESERVE", "CHARGE", "RELEASE"]),
  mechanism: z.string(),
  /** The run a charge belongs to (a training run, or the release of label counts). */
  runId: z.string().nullable(),
  epsilon: z.number(),
  delta: z.number(),
  note: z.string().nullable(),
  createdAt: ZDate,
});

export const ZUserRef = z.object({ id: z.string(), email: z.string(), name: z.string() });

export const ZDataset = z.object({
  id: z.string(),
  name: z.string(),
  ownerId: z.string(),
  owner: ZUserRef,
  columns: z.array(ZColumn),
  textColumn: z.string(),
  labelColumn: z.string(),
  delimiter: z.string(),
  trainRows: z.int(),
  holdoutRows: z.int(),
  /** Exact counts of the train split: the owner's own data, never put in a job spec. */
  labelCounts: z.record(z.string(), z.int()),
  holdoutFraction: z.number(),
  splitSeed: z.int(),
  createdAt: ZDate,
  budget: ZBudget,
});

export const ZDatasetDetail = ZDataset.extend({ ledger: z.array(ZLedgerEntry) });
export const ZDatasetList = z.object({ datasets: z.array(ZDataset) });

/** Multipart form fields of `POST /datasets` (the file itself is the `file` part). */
export const ZUploadFields = z.object({
  name: z.string().trim().min(1, "give the dataset a name").max(200),
  textColumn: z.string().min(1, "name the text column"),
  labelColumn: z.string().min(1, "name the label column"),
  holdoutFraction: z.coerce.number().gt(0).max(0.5).default(0.2),
});

export const ZPreview = z.object({
  encoding: z.enum(["utf-8", "utf-8-bom", "latin-1"]),
  delimiter: z.string(),
  header: z.array(z.string()),
  columns: z.array(
    ZColumn.extend({
      meanLength: z.number(),
      /** Counts per value for columns with few values (candidate labels); null otherwise. */
      values: z.record(z.string(), z.int()).nullable(),
    }),
  ),
  rows: z.int(),
  /** The first rows of the owner's own file, shown back to them only. */
  preview: z.array(z.array(z.string())),
  proposed: z.object({ textColumn: z.string().nullable(), labelColumn: z.string().nullable() }),
});

export const ZBudgetUpdate = z.object({
  epsilonTotal: z.number().positive().max(1000),
  delta: z.number().positive().lt(1).optional(),
});

export type TBudget = z.infer<typeof ZBudget>;
export type TDataset = z.infer<typeof ZDataset>;
export type TDatasetDetail = z.infer<typeof ZDatasetDetail>;
export type TLedgerEntry = z.infer<typeof ZLedgerEntry>;
export type TPreview = z.infer<typeof ZPreview>;
