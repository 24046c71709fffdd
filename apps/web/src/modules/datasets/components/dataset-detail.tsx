"use client";

import Link from "next/link";
import type { TDatasetWire } from "@/components/api/wire-types";
import { BudgetBar } from "@/components/ui/budget-bar";
import { formatDateTime, formatEpsilon, formatInteger, formatPercent } from "@/components/ui/format";
import { Card, PageHeader, Stat } from "@/components/ui/page-header";
import { EmptyState, PageQueryState, QueryStatus } from "@/components/ui/states";
import { JobTable } from "@/modules/jobs/components/job-table";
import { useJobs } from "@/modules/jobs/hooks/use-jobs";
import { useDataset } from "../hooks/use-datasets";
import { LabelCounts } from "./label-counts";
import { LedgerTable } from "./ledger-table";

/** The labels, subject and columns the owner declared as the public schema of the synthetic data. */
function DeclaredSchema({ dataset }: { dataset: TDatasetWire }) {
  const outside = dataset.rowsOutsideLabelSet;
  if (dataset.labelSource === "dp-histogram") {
    return (
      <Card title="Public schema" labelledBy="dataset-schema-heading">
        <div className="stack">
          <p data-testid="dp-label-set">
            No labels were declared: each job finds them in the training rows with differential privacy (a thresholded
            noisy histogram paid from the job's ε). A label held by too few rows never appears in synthetic rows,
            reports or events. The exact counts below are your own data, shown to you only.
          </p>
          <dl className="kv">
            <dt>Subject</dt>
            <dd>{dataset.subject}</dd>
            <dt>Columns synthesised</dt>
            <dd className="mono">
              {[dataset.textColumn, dataset.labelColumn, ...dataset.syntheticColumns].join(", ")}
            </dd>
          </dl>
        </div>
      </Card>
    );
  }
  if (dataset.labels.length === 0) {
    return (
      <div className="alert alert-warning" role="status">
        <div>
          <div className="alert-title">No declared label set</div>
          This dataset was uploaded before owners declared their labels, so no job can run on it. Upload the file again
          and declare its labels.
        </div>
      </div>
    );
  }
  return (
    <Card title="Public schema" labelledBy="dataset-schema-heading">
      <div className="stack">
        <p className="muted">
          Declared at upload: the synthetic rows carry exactly these labels, and the prompts use these words.
        </p>
        <dl className="kv">
          <dt>Subject</dt>
          <dd>{dataset.subject}</dd>
          <dt>Columns synthesised</dt>
          <dd className="mono">{[dataset.textColumn, dataset.labelColumn, ...dataset.syntheticColumns].join(", ")}</dd>
        </dl>
        <div className="table-wrap">
          <table className="table" aria-label="Declared labels">
            <thead>
              <tr>
                <th scope="col">Label</th>
                <th scope="col">Description</th>
              </tr>
            </thead>
            <tbody>
              {dataset.labels.map((label) => (
                <tr key={label.value}>
                  <th scope="row" className="mono">
                    {label.value}
                  </th>
                  <td>{label.description}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {outside.train + outside.holdout > 0 && (
          <p className="muted" data-testid="rows-outside">
            {formatInteger(outside.train + outside.holdout)} rows ({formatInteger(outside.train)} in training,{" "}
            {formatInteger(outside.holdout)} in the holdout) carry a label outside this set: they stay in the file but
            are never trained on.
          </p>
        )}
      </div>
    </Card>
  );
}

/** One dataset: its declared schema, its privacy budget, its jobs, and the ledger that explains the budget. */
export function DatasetDetail({ datasetId }: { datasetId: string }) {
  const query = useDataset(datasetId);
  const jobs = useJobs(datasetId);

  if (query.isPending || query.isError) return <PageQueryState query={query} label="Loading the dataset" />;
  const dataset = query.data;
  const finishedJobs = jobs.data?.filter((job) => job.status === "SUCCEEDED") ?? [];
  return (
    <div className="page">
      <PageHeader
        title={dataset.name}
        subtitle={
          <>
            Uploaded {formatDateTime(dataset.createdAt)} by {dataset.owner.email} · text column{" "}
            <span className="mono">{dataset.textColumn}</span>, label column{" "}
            <span className="mono">{dataset.labelColumn}</span>
          </>
        }
        crumbs={[{ href: "/", label: "Overview" }]}
        actions={
          <>
            {finishedJobs.length > 0 && (
              <Link className="btn" href={`/compare?datasetId=${dataset.id}`}>
                Compare jobs
              </Link>
            )}
            <Link className="btn btn-primary" href={`/jobs/new?datasetId=${dataset.id}`}>
              New job
            </Link>
          </>
        }
      />

      <Card title="Privacy budget" labelledBy="budget-heading">
        <div className="stack" style={{ gap: 16 }}>
          <BudgetBar budget={dataset.budget} />
          {dataset.budget.sharedBy > 1 ? (
            <p className="alert alert-info" data-testid="shared-budget" style={{ margin: 0 }}>
              This file was uploaded {dataset.budget.sharedBy} times. The uploads share one privacy budget: the same
              rows cannot get a fresh budget by being uploaded again, and the ledger below holds every upload's jobs.
            </p>
          ) : null}
          <div className="grid grid-4">
            <Stat
              label="Total ε"
              value={formatEpsilon(dataset.budget.epsilonTotal)}
              hint={`δ ${dataset.budget.delta.toExponential(0)}`}
            />
            <Stat
              label="Spent"
              value={formatEpsilon(dataset.budget.spent, 3)}
              hint="charged so far, running jobs' steps included"
            />
            <Stat
              label="Reserved"
              value={formatEpsilon(dataset.budget.reserved, 3)}
              hint="held for waiting or running jobs, not charged yet"
            />
            <Stat label="Remaining" value={formatEpsilon(dataset.budget.remaining, 3)} hint="available for new jobs" />
          </div>
        </div>
      </Card>

      <DeclaredSchema dataset={dataset} />

      <div className="grid grid-main">
        <Card title="Jobs" labelledBy="dataset-jobs-heading" flush>
          {jobs.isPending || jobs.isError ? (
            <QueryStatus query={jobs} label="Loading jobs" />
          ) : jobs.data.length === 0 ? (
            <EmptyState
              icon="plus"
              title="No jobs on this dataset"
              action={
                <Link className="btn btn-primary" href={`/jobs/new?datasetId=${dataset.id}`}>
                  Start a job
                </Link>
              }
            >
              A job fine-tunes a model with differential privacy and generates synthetic rows.
            </EmptyState>
          ) : (
            <JobTable jobs={jobs.data} showDataset={false} />
          )}
        </Card>
        <Card title="Data" labelledBy="dataset-data-heading">
          <div className="stack">
            <dl className="kv">
              <dt>Training rows</dt>
              <dd>{formatInteger(dataset.trainRows)}</dd>
              <dt>Holdout rows</dt>
              <dd>
                {formatInteger(dataset.holdoutRows)} ({formatPercent(dataset.holdoutFraction, 0)}, seed{" "}
                <span className="mono">{dataset.splitSeed}</span>)
              </dd>
              <dt>Columns</dt>
              <dd>{dataset.columns.length}</dd>
            </dl>
            <LabelCounts
              counts={dataset.labelCounts}
              caption="Label counts in the training split (exact, only you see them)."
            />
          </div>
        </Card>
      </div>

      <Card title="Ledger" labelledBy="ledger-heading" flush>
        {dataset.ledger.length === 0 ? (
          <EmptyState icon="gauge" title="Nothing spent yet">
            Every reservation, charge and release of this dataset's privacy budget will be listed here.
          </EmptyState>
        ) : (
          <LedgerTable entries={dataset.ledger} />
        )}
      </Card>
    </div>
  );
}
