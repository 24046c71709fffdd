import { ZDataSpec, ZLabelSource, ZLabelSpec } from "@dpsynth/contracts";
import { z } from "zod";
import { ZName } from "../http/names.ts";

/** Wire shapes of the dataset routes; the OpenAPI document and the dashboard's types come from these. */

export const ZId = z.string().min(1).max(64);
export const ZIdParams = z.object({ id: ZId });
const ZDate = z.iso.datetime();

export const ZColumnType = z.enum(["text", "category", "integer", "number", "boolean", "empty"]);

export const ZColumn = z.object({
  name: z.string(),
  type: ZColumnType,
  distinct: z.int(),
  empty: z.int(),
  /**
   * Mean characters of the filled values: the owner's own statistic, which the quote sizes rows with; null for a
   * dataset stored before it was kept.
   */
  meanLength: z.number().nullable(),
  /** A different short value in every row, like an ID: never proposed as a column to synthesise. */
  idLike: z.boolean(),
});

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
  /**
   * "declared": `labels` is the owner's label set, the public schema of the synthetic data. "dp-histogram": no
   * labels are declared; each job releases them from the train split with differential privacy (a share of its ε).
   */
  labelSource: ZLabelSource,
  /** The declared label set, in the owner's order: the public schema of the synthetic data; empty for "dp-histogram". */
  labels: z.array(ZLabelSpec),
  /** What one row is, in a few words; public, written into prompts. */
  subject: z.string(),
  /** Columns synthesised besides the text and the label, in order. */
  syntheticColumns: z.array(z.string()),
  delimiter: z.string(),
  trainRows: z.int(),
  holdoutRows: z.int(),
  /** Exact counts of the train split: the owner's own data, never put in a job spec. */
  labelCounts: z.record(z.string(), z.int()),
  /** Rows whose label is not declared, per split: they stay in the files but are never trained on. */
  rowsOutsideLabelSet: z.object({ train: z.int(), holdout: z.int() }),
  holdoutFraction: z.number(),
  splitSeed: z.int(),
  createdAt: ZDate,
  budget: ZBudget,
});

export const ZDatasetDetail = ZDataset.extend({ ledger: z.array(ZLedgerEntry) });
export const ZDatasetList = z.object({ datasets: z.array(ZDataset) });

/** A multipart field holding JSON, parsed, then checked by `schema`. */
function jsonField<T extends z.ZodType>(schema: T, shape: string) {
  return z
    .string({ error: `give ${shape} as JSON` })
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: "custom", message: `must be JSON: ${shape}` });
        return z.NEVER;
      }
    })
    .pipe(schema);
}

const LABEL_SHAPE = 'a list of {"value", "description"}, at least two';

/** One declared label as an owner sends it: the description defaults to the value itself, never to a guess. */
const ZDeclaredLabel = z
  .object({
    value: z.string().trim().min(1, "a label needs a value"),
    description: z.string().trim().optional(),
  })
  .transform(({ value, description }) => ({ value, description: description || value }))
  .pipe(ZLabelSpec);

/**
 * The declared label set: the classes of the label column, declared by the owner as public schema. The contract's
 * own rules (count, unique values) have the last word; the first check gives an owner the plainer message.
 */
export const ZDeclaredLabels = z
  .array(ZDeclaredLabel)
  .min(2, "declare at least two labels: the classes rows are generated for")
  .pipe(ZDataSpec.shape.labels);

/** Multipart form fields of `POST /datasets` (the file itself is the `file` part). */
export const ZUploadFields = z
  .object({
    name: ZName(200, "give the dataset a name"),
    textColumn: z.string().min(1, "name the text column"),
    labelColumn: z.string().min(1, "name the label column"),
    /**
     * JSON `[{ "value": "fresh", "description": "a positive review" }, …]`: the label set, declared as public schema
     * (each value must occur in the label column; rows with other labels are kept but not trained on). A missing or
     * empty description is the value itself.
     */
    /**
     * "declared" (default): the owner declares the label set in `labels`. "dp-histogram": the owner cannot declare it;
     * each job releases it from the train split with a thresholded noisy histogram, charged to the budget.
     */
    labelSource: ZLabelSource.default("declared").meta({
      description:
        '"declared" (default): give the label set in labels. "dp-histogram": declare no labels; each job finds them ' +
        "in the training split with differential privacy (a thresholded noisy histogram, paid from the job's epsilon): " +
        "labels held by too few rows are never generated or shown in any output.",
    }),
    labels: jsonField(ZDeclaredLabels, LABEL_SHAPE)
      .optional()
      .meta({
        description:
          'JSON list of the declared labels, e.g. [{"value":"fresh","description":"a positive review"},{"value":"rotten"}]: ' +
          "at least two unique values, each one the label column holds. They become the public schema of the synthetic " +
          "data: only these are generated. A missing description is the value itself. Rows with any other label stay in " +
          'the file but are not trained on (the answer\'s rowsOutsideLabelSet counts them). Required unless labelSource is "dp-histogram", which takes none.',
      }),
    /** What one row is, in a few words ("movie review snippet"); public. Default "record". */
    subject: z
      .string()
      .trim()
      .optional()
      .transform((subject) => subject || undefined)
      .pipe(ZDataSpec.shape.subject)
      .meta({ description: 'What one row is, in a few words ("movie review snippet"); public. Default "record".' }),
    /** JSON list of other columns to synthesise, in order (text and label always are); none by default. */
    columns: jsonField(
      z
        .array(z.string().trim().min(1))
        .refine((names) => new Set(names).size === names.length, { error: "name each column once" })
        .pipe(ZDataSpec.shape.columns.unwrap()),
      "a list of column names",
    )
      .optional()
      .meta({
        description:
          'JSON list of other columns to synthesise, in order, e.g. ["stars"]; the text and label columns always are. ' +
          "Default none. ID-like columns (a different value in every row) teach the model nothing: leave them out.",
      }),
    holdoutFraction: z.coerce.number().gt(0).max(0.5).default(0.2),
  })
  .superRefine((form, ctx) => {
    if (form.labelSource === "declared" && form.labels === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["labels"],
        // The message a missing JSON field gets (the OpenAPI description names the "dp-histogram" alternative).
        message: `give ${LABEL_SHAPE} as JSON`,
      });
    }
    if (form.labelSource === "dp-histogram" && form.labels !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["labels"],
        message: 'a label set found with differential privacy (labelSource "dp-histogram") takes no declared labels',
      });
    }
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
  /** What the upload page proposes: text and label columns, and the other columns to synthesise (none ID-like). */
  proposed: z.object({
    textColumn: z.string().nullable(),
    labelColumn: z.string().nullable(),
    syntheticColumns: z.array(z.string()),
  }),
});

export const ZBudgetUpdate = z.object({
  epsilonTotal: z.number().positive().max(1000),
  delta: z.number().positive().lt(1).optional(),
  /** Why the budget changes: kept in the audit trail beside the old and the new totals. */
  reason: z.string().trim().min(1).max(1000).optional(),
});

export type TBudget = z.infer<typeof ZBudget>;
export type TDataset = z.infer<typeof ZDataset>;
export type TDatasetDetail = z.infer<typeof ZDatasetDetail>;
export type TLedgerEntry = z.infer<typeof ZLedgerEntry>;
export type TPreview = z.infer<typeof ZPreview>;
