"use client";

import { isTerminalJobStatus } from "@dpsynth/db/job-lifecycle";
import Link from "next/link";
import type { TDatasetWire } from "@/components/api/wire-types";
import { BudgetBar } from "@/components/ui/budget-bar";
import { formatEpsilon, formatInteger } from "@/components/ui/format";
import { Card, PageHeader, Stat } from "@/components/ui/page-header";
import { EmptyState, QueryStatus } from "@/components/ui/states";
import { useCurrentUser } from "@/modules/auth/hooks/use-current-user";
import { useDatasets } from "@/modules/datasets/hooks/use-datasets";
import { datasetFacts } from "@/modules/datasets/lib/dataset-facts";
import { JobTable } from "@/modules/jobs/components/job-table";
import { useJobs } from "@/modules/jobs/hooks/use-jobs";

function DatasetCards({ datasets }: { datasets: TDatasetWire[] }) {
  return (
    <ul className="grid grid-3" style={{ listStyle: "none", margin: 0, padding: 0 }} aria-label="Datasets">
      {datasets.map((dataset) => (
        <li key={dataset.id} className="card card-body stack" style={{ gap: 10 }}>
          <Link href={`/datasets/${dataset.id}`} style={{ fontWeight: 650, fontSize: 15 }}>
            {dataset.name}
          </Link>
          <span className="muted" style={{ fontSize: 12.5 }}>
            {datasetFacts(dataset)}
          </span>
          <span className="muted num" style={{ fontSize: 12.5 }}>
            {formatInteger(dataset.trainRows)} train · {formatInteger(dataset.holdoutRows)} holdout ·{" "}
            {Object.keys(dataset.labelCounts).length} labels
          </span>
          <BudgetBar budget={dataset.budget} compact />
          <span className="muted num" style={{ fontSize: 12.5 }}>
            ε {formatEpsilon(dataset.budget.remaining)} of {formatEpsilon(dataset.budget.epsilonTotal)} left
          </span>
        </li>
      ))}
    </ul>
  );
}

/** Home: the owner's datasets with their budgets, and every job with its status, stage and ε spent. */
export function Overview() {
  const { user } = useCurrentUser();
  const datasets = useDatasets();
  const jobs = useJobs();
  const active = jobs.data?.filter((job) => !isTerminalJobStatus(job.status)).length ?? 0;
  const waiting = jobs.data?.filter((job) => job.status === "PENDING_APPROVAL").length ?? 0;
  // Each dataset's ε is a budget of its own: a sum across datasets means nothing, the tightest one does.
  const tightest = datasets.data?.reduce<(typeof datasets.data)[number] | undefined>(
    (least, dataset) => (least && least.budget.remaining <= dataset.budget.remaining ? least : dataset),
    undefined,
  );

  return (
    <div className="page">
      <PageHeader
        title={user?.name ? `Welcome, ${user.name.split(" ")[0]}` : "Overview"}
        subtitle={user?.role === "ADMIN" ? "Every dataset and job on this instance." : "Your datasets and jobs."}
        actions={
          <>
            <Link className="btn" href="/datasets/new">
              Upload data
            </Link>
            <Link className="btn btn-primary" href="/jobs/new">
              New job
            </Link>
          </>
        }
      />

      <div className="grid grid-4">
        <Stat label="Datasets" value={datasets.data ? datasets.data.length : "—"} />
        <Stat label="Active jobs" value={jobs.data ? active : "—"} hint="queued or running" />
        <Stat label="Awaiting approval" value={jobs.data ? waiting : "—"} />
        <Stat
          label="Least ε left"
          value={tightest ? formatEpsilon(tightest.budget.remaining, 3) : "—"}
          hint={tightest ? `on ${tightest.name}` : undefined}
        />
      </div>

      <section className="stack" aria-labelledby="datasets-heading">
        <h2 id="datasets-heading">Datasets</h2>
        {datasets.isPending || datasets.isError ? (
          <div className="card">
            <QueryStatus query={datasets} label="Loading datasets" />
          </div>
        ) : datasets.data.length === 0 ? (
          <div className="card">
            <EmptyState
              icon="upload"
              title="No datasets yet"
              action={
                <Link className="btn btn-primary" href="/datasets/new">
                  Upload a CSV
                </Link>
              }
            >
              Upload a CSV with a text column and a label column to start.
            </EmptyState>
          </div>
        ) : (
          <DatasetCards datasets={datasets.data} />
        )}
      </section>

      <Card title="Jobs" labelledBy="jobs-heading" flush>
        {jobs.isPending || jobs.isError ? (
          <QueryStatus query={jobs} label="Loading jobs" />
        ) : jobs.data.length === 0 ? (
          <EmptyState icon="plus" title="No jobs yet">
            Start one from a dataset: pick a model and a privacy budget.
          </EmptyState>
        ) : (
          <JobTable jobs={jobs.data} />
        )}
      </Card>
    </div>
  );
}
