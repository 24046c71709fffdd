"use client";

import type { TLabelSource } from "@dpsynth/contracts";
import { useRouter } from "next/navigation";
import { type FormEvent, useState } from "react";
import type { TPreviewWire } from "@/components/api/wire-types";
import { Field } from "@/components/ui/field";
import { formatInteger } from "@/components/ui/format";
import { Card, PageHeader } from "@/components/ui/page-header";
import { ErrorAlert } from "@/components/ui/states";
import { useCreateDataset, usePreviewDataset } from "../hooks/use-datasets";
import {
  columnChoices,
  declaredLabels,
  hasProblems,
  labelChoices,
  schemaProblems,
  type TLabelChoice,
} from "../lib/declared-schema";
import { ColumnTable, RowPreview } from "./column-preview";
import { Dropzone } from "./dropzone";
import { LabelCounts } from "./label-counts";
import { LabelsStep } from "./labels-step";
import { SyntheticColumnsStep } from "./synthetic-columns-step";
import { UploadProgress } from "./upload-progress";

const DEFAULT_HOLDOUT_PERCENT = 20;

function nameFromFile(file: File): string {
  return file.name.replace(/\.(csv|tsv|txt)$/i, "");
}

function ColumnSelect({
  id,
  label,
  hint,
  value,
  onChange,
  columns,
}: {
  id: string;
  label: string;
  hint: string;
  value: string;
  onChange: (value: string) => void;
  columns: TPreviewWire["columns"];
}) {
  return (
    <Field id={id} label={label} hint={hint}>
      {(control) => (
        <select
          {...control}
          className="select"
          value={value}
          onChange={(event) => onChange(event.target.value)}
          required
        >
          <option value="" disabled>
            Choose a column
          </option>
          {columns.map((column) => (
            <option key={column.name} value={column.name}>
              {column.name} ({column.type})
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

/** Warnings the owner can act on before the API would refuse the file. */
function columnProblems(preview: TPreviewWire, textColumn: string, labelColumn: string): string[] {
  const problems: string[] = [];
  if (textColumn && textColumn === labelColumn) problems.push("The text and label columns must be different.");
  const label = preview.columns.find((column) => column.name === labelColumn);
  if (label && label.values === null) {
    problems.push(`"${label.name}" has too many distinct values to be a label column.`);
  } else if (label && label.distinct < 2) {
    problems.push(`"${label.name}" has a single class; a label column needs at least two.`);
  }
  if (label && label.empty > 0) problems.push(`"${label.name}" is empty in ${label.empty} rows.`);
  const text = preview.columns.find((column) => column.name === textColumn);
  if (text && text.empty > 0) problems.push(`"${text.name}" is empty in ${text.empty} rows.`);
  return problems;
}

/** The holdout percentages the API accepts: evaluation needs held-out rows, and training most of them. */
const HOLDOUT_PERCENT = { min: 5, max: 50 } as const;

/**
 * Below this many training rows DP-SGD's noise outweighs what the rows can teach: the upload goes ahead, but the
 * owner hears it first.
 */
const FEW_TRAINING_ROWS = 1_000;

/** Why the holdout share is out of bounds: the holdout field's own error. */
function holdoutProblem(holdoutPercent: number): string | undefined {
  if (holdoutPercent >= HOLDOUT_PERCENT.min && holdoutPercent <= HOLDOUT_PERCENT.max) return undefined;
  return `Hold out between ${HOLDOUT_PERCENT.min}% and ${HOLDOUT_PERCENT.max}% of the rows: the synthetic rows are evaluated against them.`;
}

/** Why the file cannot be split into training and holdout rows as chosen. */
function splitProblems(rows: number, holdoutRows: number): string[] {
  if (holdoutRows < 1 || rows - holdoutRows < 2) {
    return [`${formatInteger(rows)} rows are too few to split into training and holdout rows.`];
  }
  return [];
}

/** The API's refusal of one part of the declared schema, to show beside that part (its message names the field). */
function refusalOf(error: unknown, field: "labels" | "columns"): string | undefined {
  const message = error instanceof Error ? error.message : "";
  return message.startsWith(`${field}:`) || message.startsWith(`${field}.`) ? message : undefined;
}

/**
 * Drop a CSV → see what was detected → choose columns and holdout → declare the labels and subject → choose the
 * columns to synthesise → upload with progress.
 */
export function UploadWizard({ uploadLimitMb }: { uploadLimitMb?: number }) {
  const router = useRouter();
  const [file, setFile] = useState<File | null>(null);
  const [previewProgress, setPreviewProgress] = useState(0);
  const [uploadProgress, setUploadProgress] = useState(0);
  const [preview, setPreview] = useState<TPreviewWire | null>(null);
  const [name, setName] = useState("");
  const [textColumn, setTextColumn] = useState("");
  const [labelColumn, setLabelColumn] = useState("");
  const [holdoutPercent, setHoldoutPercent] = useState(DEFAULT_HOLDOUT_PERCENT);
  const [labels, setLabels] = useState<TLabelChoice[]>([]);
  const [labelSource, setLabelSource] = useState<TLabelSource>("declared");
  const [subject, setSubject] = useState("");
  /** Columns whose box the owner changed; the rest follow the proposal for the chosen text and label columns. */
  const [columnOverrides, setColumnOverrides] = useState<Record<string, boolean>>({});
  const previewMutation = usePreviewDataset(setPreviewProgress);
  const createMutation = useCreateDataset(setUploadProgress);

  function chooseFile(chosen: File) {
    setFile(chosen);
    setPreview(null);
    setName(nameFromFile(chosen));
    setPreviewProgress(0);
    createMutation.reset();
    if (uploadLimitMb && chosen.size > uploadLimitMb * 1024 * 1024) {
      previewMutation.reset();
      return;
    }
    previewMutation.mutate(chosen, {
      onSuccess: (result) => {
        setPreview(result);
        setTextColumn(result.proposed.textColumn ?? "");
        chooseLabelColumn(result.proposed.labelColumn ?? "", result);
        setSubject("");
      },
    });
  }

  function chooseLabelColumn(column: string, from: TPreviewWire | null = preview) {
    setLabelColumn(column);
    setLabels(from ? labelChoices(from, column) : []);
    setColumnOverrides({});
  }

  function chooseTextColumn(column: string) {
    setTextColumn(column);
    setColumnOverrides({});
  }

  const synthetic = preview
    ? columnChoices(preview, textColumn, labelColumn).map((choice) => ({
        ...choice,
        chosen: columnOverrides[choice.name] ?? choice.chosen,
      }))
    : [];
  const schema = schemaProblems(labels, subject, labelSource);

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!file || !preview || hasProblems(schema)) return;
    setUploadProgress(0);
    createMutation.mutate(
      {
        file,
        name: name.trim() || nameFromFile(file),
        textColumn,
        labelColumn,
        holdoutFraction: holdoutPercent / 100,
        labelSource,
        ...(labelSource === "declared" ? { labels: declaredLabels(labels) } : {}),
        subject: subject.trim(),
        columns: synthetic.filter((choice) => choice.chosen).map((choice) => choice.name),
      },
      { onSuccess: (dataset) => router.push(`/datasets/${dataset.id}`) },
    );
  }

  const tooLarge = Boolean(file && uploadLimitMb && file.size > uploadLimitMb * 1024 * 1024);
  const label = preview?.columns.find((column) => column.name === labelColumn);
  const holdoutRows = preview ? Math.round((preview.rows * holdoutPercent) / 100) : 0;
  const holdoutError = holdoutProblem(holdoutPercent);
  const problems = preview
    ? [
        ...columnProblems(preview, textColumn, labelColumn),
        ...(holdoutError ? [] : splitProblems(preview.rows, holdoutRows)),
      ]
    : [];
  const trainingRows = preview ? preview.rows - holdoutRows : 0;
  const fewRows = preview && problems.length === 0 && !holdoutError && trainingRows < FEW_TRAINING_ROWS;
  const roles: Record<string, string> = {};
  if (textColumn) roles[textColumn] = "text";
  if (labelColumn) roles[labelColumn] = "label";
  for (const choice of synthetic) if (choice.chosen) roles[choice.name] = "synthesised";
  const busy = previewMutation.isPending || createMutation.isPending;

  return (
    <div className="page">
      <PageHeader
        title="Upload a dataset"
        subtitle="Your file stays on this server. A holdout split is drawn once, now, and never used for training."
        crumbs={[{ href: "/", label: "Overview" }]}
      />

      <Card title="1. Choose a file" labelledBy="upload-step-file">
        <div className="stack">
          <Dropzone onFile={chooseFile} file={file} disabled={createMutation.isPending} uploadLimitMb={uploadLimitMb} />
          {tooLarge && (
            <div className="alert alert-danger" role="alert">
              This file is larger than the {uploadLimitMb} MB upload limit. Split it or ask an administrator to raise
              the limit.
            </div>
          )}
          {previewMutation.isPending && <UploadProgress label="Reading the file" fraction={previewProgress} />}
          <ErrorAlert error={previewMutation.error} title="The file was refused" />
        </div>
      </Card>

      {preview && file && (
        <form className="stack" style={{ gap: 20 }} onSubmit={onSubmit} aria-label="Dataset details">
          <Card
            title="2. What we found"
            labelledBy="upload-step-preview"
            actions={
              <span className="muted num">
                {formatInteger(preview.rows)} rows · {preview.columns.length} columns · {preview.encoding} ·{" "}
                {preview.delimiter === "\t" ? "tab" : `“${preview.delimiter}”`} separated
              </span>
            }
            flush
          >
            <ColumnTable columns={preview.columns} roles={roles} />
            <hr className="divider" />
            <div style={{ padding: "12px 18px 4px" }}>
              <h3>First rows</h3>
              <p className="muted">Only you see these.</p>
            </div>
            <RowPreview header={preview.header} rows={preview.preview} />
          </Card>

          <Card title="3. Columns and holdout" labelledBy="upload-step-columns">
            <div className="grid grid-2" style={{ alignItems: "start" }}>
              <div className="form">
                <Field id="dataset-name" label="Dataset name">
                  {(control) => (
                    <input
                      {...control}
                      className="input"
                      value={name}
                      maxLength={200}
                      onChange={(event) => setName(event.target.value)}
                    />
                  )}
                </Field>
                <ColumnSelect
                  id="text-column"
                  label="Text column"
                  hint="The free text the model learns to write."
                  value={textColumn}
                  onChange={chooseTextColumn}
                  columns={preview.columns}
                />
                <ColumnSelect
                  id="label-column"
                  label="Label column"
                  hint="The class each row belongs to; synthetic rows are generated per label."
                  value={labelColumn}
                  onChange={(column) => chooseLabelColumn(column)}
                  columns={preview.columns}
                />
                <Field
                  id="holdout-percent"
                  label="Holdout (%)"
                  error={holdoutError}
                  hint={
                    <>
                      About <strong className="num">{formatInteger(holdoutRows)}</strong> rows are held out to evaluate
                      synthetic data against; <span className="num">{formatInteger(preview.rows - holdoutRows)}</span>{" "}
                      are used for training.
                    </>
                  }
                >
                  {(control) => (
                    <input
                      {...control}
                      className="input"
                      type="number"
                      min={HOLDOUT_PERCENT.min}
                      max={HOLDOUT_PERCENT.max}
                      step={1}
                      value={holdoutPercent}
                      onChange={(event) => setHoldoutPercent(Number(event.target.value))}
                    />
                  )}
                </Field>
              </div>
              <div className="stack">
                <h3>Label counts</h3>
                {label?.values ? (
                  <LabelCounts counts={label.values} caption={`Column "${label.name}", all rows.`} />
                ) : (
                  <p className="muted">Choose a label column with a few classes to see its counts.</p>
                )}
              </div>
            </div>
          </Card>

          <LabelsStep
            labelSource={labelSource}
            onLabelSourceChange={setLabelSource}
            labelColumn={labelColumn}
            choices={labels}
            onChoicesChange={setLabels}
            subject={subject}
            onSubjectChange={setSubject}
            problems={schema}
            serverProblem={refusalOf(createMutation.error, "labels")}
          />

          <SyntheticColumnsStep
            textColumn={textColumn}
            labelColumn={labelColumn}
            choices={synthetic}
            onChange={(column, chosen) => setColumnOverrides({ ...columnOverrides, [column]: chosen })}
            serverProblem={refusalOf(createMutation.error, "columns")}
          />

          {problems.length > 0 && (
            <div className="alert alert-warning" role="status">
              <ul style={{ margin: 0, paddingLeft: 18 }}>
                {problems.map((problem) => (
                  <li key={problem}>{problem}</li>
                ))}
              </ul>
            </div>
          )}
          {fewRows && (
            <div className="alert alert-info" role="status" data-testid="few-rows">
              Only {formatInteger(trainingRows)} rows would train the model. Differential privacy adds noise that weighs
              more the fewer rows there are: below about {formatInteger(FEW_TRAINING_ROWS)}, expect synthetic rows of
              little use. The upload can still go ahead.
            </div>
          )}
          <ErrorAlert error={createMutation.error} title="The upload was refused" />
          {createMutation.isPending && <UploadProgress label="Uploading" fraction={uploadProgress} />}
          <div className="row" style={{ justifyContent: "flex-end" }}>
            <button
              type="submit"
              className="btn btn-primary"
              disabled={
                busy ||
                !textColumn ||
                !labelColumn ||
                problems.length > 0 ||
                Boolean(holdoutError) ||
                hasProblems(schema)
              }
            >
              {createMutation.isPending && <span className="spinner" aria-hidden="true" />}
              Upload dataset
            </button>
          </div>
        </form>
      )}
    </div>
  );
}
