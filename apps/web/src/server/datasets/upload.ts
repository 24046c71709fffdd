import "server-only";
import { randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { join } from "node:path";
import { datasetRow, ingestCsv, proposeColumns, proposeSyntheticColumns, scanCsv } from "@dpsynth/datasets";
import { ledgerForContent } from "@dpsynth/db";
import { audit } from "../audit/audit.ts";
import type { TCaller } from "../auth/authenticate.ts";
import type { TServerContext } from "../context.ts";
import { AppError } from "../http/errors.ts";
import { withUpload } from "../http/multipart.ts";
import { type TDataset, type TPreview, ZUploadFields } from "./schemas.ts";
import { DATASET_SELECT, datasetWire } from "./serialize.ts";

function uploadOptions(ctx: TServerContext) {
  return { limitBytes: ctx.config.uploadLimitBytes, tmpDir: join(ctx.config.home, "tmp") };
}

/** Reads an uploaded CSV for the upload page: format, typed columns, first rows, proposed columns. */
export function previewUpload(ctx: TServerContext, request: Request): Promise<TPreview> {
  return withUpload(request, uploadOptions(ctx), async ({ file }) => {
    const scan = await scanCsv(() => createReadStream(file.path));
    const proposed = proposeColumns(scan.columns);
    return {
      encoding: scan.encoding,
      delimiter: scan.delimiter,
      header: scan.header,
      columns: scan.columns,
      rows: scan.rows,
      preview: scan.preview,
      proposed: {
        ...proposed,
        syntheticColumns: proposeSyntheticColumns(scan.columns, proposed.textColumn ?? "", proposed.labelColumn ?? ""),
      },
    };
  });
}

/**
 * Creates a dataset from an uploaded CSV: validates it, draws the holdout once, stores both splits, then
 * the row. A refusal at any step leaves no blob and no row behind.
 */
export function uploadDataset(ctx: TServerContext, caller: TCaller, request: Request): Promise<TDataset> {
  return withUpload(request, uploadOptions(ctx), async ({ fields, file }) => {
    const parsed = ZUploadFields.safeParse(fields);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
      throw new AppError("validation_failed", `Invalid form: ${issues.join("; ")}.`);
    }
    const form = parsed.data;
    const keyPrefix = `datasets/${randomBytes(12).toString("hex")}`;
    const result = await ingestCsv(() => createReadStream(file.path), {
      textColumn: form.textColumn,
      labelColumn: form.labelColumn,
      labels: form.labelSource === "declared" ? (form.labels ?? []) : null,
      syntheticColumns: form.columns ?? [],
      holdoutFraction: form.holdoutFraction,
      keyPrefix,
      store: ctx.blobs,
    });
    try {
      const row = await ctx.prisma.$transaction(async (tx) => {
        // A file uploaded before (the same bytes) keeps its ledger: one budget for both uploads.
        const { ledgerId, shared } = await ledgerForContent(tx, {
          contentSha256: result.contentSha256,
          epsilonTotal: ctx.config.defaultBudget.epsilon,
          deltaTotal: ctx.config.defaultBudget.delta,
        });
        const created = await tx.dataset.create({
          data: datasetRow(result, { ownerId: caller.id, name: form.name, subject: form.subject, ledgerId }),
          select: DATASET_SELECT,
        });
        await audit(tx, {
          actorId: caller.id,
          action: "dataset.upload",
          subjectType: "dataset",
          subjectId: created.id,
          detail: {
            bytes: file.bytes,
            trainRows: result.trainRows,
            holdoutRows: result.holdoutRows,
            splitSeed: result.splitSeed,
            sharedLedger: shared,
            labels: result.labels.length,
            labelSource: result.labelSource,
            syntheticColumns: result.syntheticColumns,
            rowsOutsideLabelSet: result.rowsOutsideLabelSet,
          },
        });
        return created;
      });
      return await datasetWire(ctx.prisma, row);
    } catch (error) {
      await Promise.all([ctx.blobs.delete(result.train.key), ctx.blobs.delete(result.holdout.key)]);
      throw error;
    }
  });
}
