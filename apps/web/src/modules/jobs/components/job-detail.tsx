"use client";

import { labelReleaseEpsilon } from "@dpsynth/contracts";
import { isTerminalJobStatus } from "@dpsynth/db/job-lifecycle";
import Link from "next/link";
import { useState } from "react";
import type { TJobWire } from "@/components/api/wire-types";
import { useNow } from "@/components/hooks/use-now";
import { Dialog } from "@/components/ui/dialog";
import {
  formatDateTime,
  formatDelta,
  formatDuration,
  formatEpsilon,
  formatInteger,
  formatNumber,
} from "@/components/ui/format";
import { Card, PageHeader, Stat } from "@/components/ui/page-header";
import { ErrorAlert, PageQueryState, QueryStatus } from "@/components/ui/states";
import { StatusBadge } from "@/components/ui/status-badge";
import { useJobEvents } from "../hooks/use-job-events";
import { useJobReport } from "../hooks/use-job-report";
import { useCancelJob, useJob } from "../hooks/use-jobs";
import { ArtifactDownloads } from "./artifact-downloads";
import { rowsText } from "./job-table";
import { LossEpsilonChart, SERIES_COLORS } from "./loss-epsilon-chart";
import { ReportView } from "./report-view";
import { StageProgress } from "./stage-progress";
import { StatusTimeline } from "./status-timeline";

export function jobTitle(job: TJobWire): string {
  return `${job.spec.model.id} · ε ${formatEpsilon(job.epsilon ?? "inf")}`;
}

function CancelButton({ job }: { job: TJobWire }) {
  const cancel = useCancelJob(job.id);
  const [confirming, setConfirming] = useState(false);
  if (isTerminalJobStatus(job.status)) return null;
  if (job.cancelRequested) {
    return (
      <button type="button" className="btn btn-danger" disabled>
        <span className="spinner" aria-hidden="true" />
        Cancelling…
      </button>
    );
  }
  return (
    <>
      <button type="button" className="btn btn-danger" onClick={() => setConfirming(true)}>
        Cancel job
      </button>
      <Dialog open={confirming} title="Cancel this job?" onClose={() => setConfirming(false)}>
        <div className="stack">
          <p className="muted">
            {job.status === "RUNNING"
              ? "The trainer stops after its current step. The ε of the steps it took stays charged; the rest of the reservation is released."
              : "It leaves the queue before it starts, and its reservation is released."}
          </p>
          <ErrorAlert error={cancel.error} title="The job was not cancelled" />
          <div className="row" style={{ justifyContent: "flex-end" }}>
            <button type="button" className="btn" onClick={() => setConfirming(false)}>
              Keep it
            </button>
            <button
              type="button"
              className="btn btn-danger"
              disabled={cancel.isPending}
              onClick={() => cancel.mutate(undefined, { onSuccess: () => setConfirming(false) })}
            >
              {cancel.isPending && <span className="spinner" aria-hidden="true" />}
              Yes, cancel it
            </button>
          </div>
        </div>
      </Dialog>
    </>
  );
}

function elapsed(job: TJobWire, now: number): string {
  if (!job.startedAt) return "—";
  const end = job.finishedAt ? new Date(job.finishedAt).getTime() : now;
  return formatDuration(Math.max(0, end - new Date(job.startedAt).getTime()));
}

function JobOutcome({ job }: { job: TJobWire }) {
  if (job.waitingForTrainer && !job.cancelRequested) {
    return (
      <div className="alert alert-warning" role="status">
        <div>
          <div className="alert-title">Waiting for a trainer</div>
          No trainer is working on this job: the one that ran it stopped, or none is running. It goes on from its last
          checkpoint as soon as a trainer is back, and no step is charged twice.
        </div>
      </div>
    );
  }
  if (job.status === "QUEUED" && job.queuedAhead !== null && !job.cancelRequested) {
    return (
      <div className="alert alert-info" role="status" data-testid="queue-position">
        <div>
          <div className="alert-title">Queued</div>
          {job.queuedAhead === 0
            ? "Next in line: it starts as soon as a trainer is free."
            : job.queuedAhead === 1
              ? "1 job is ahead of it in the queue; it starts after that one."
              : `${formatInteger(job.queuedAhead)} jobs are ahead of it in the queue; it starts after them.`}
        </div>
      </div>
    );
  }
  if (job.status === "PENDING_APPROVAL") {
    return (
      <div className="alert alert-warning" role="status">
        <div>
          <div className="alert-title">Waiting for an administrator</div>
          {job.decisionNote ?? "This job asks for more epsilon than your allowance on this dataset."} Its budget is
          reserved; it starts once approved.
        </div>
      </div>
    );
  }
  if (job.status === "REJECTED") {
    return (
      <div className="alert alert-danger" role="alert">
        <div>
          <div className="alert-title">Rejected</div>
          {job.approval?.reason ?? "An administrator rejected this request."} The reservation was released.
        </div>
      </div>
    );
  }
  if (job.status === "FAILED") {
    return (
      <div className="alert alert-danger" role="alert">
        <div>
          <div className="alert-title">The job failed{job.errorCode ? ` (${job.errorCode})` : ""}</div>
          {job.errorMessage ?? "No reason was recorded."} Epsilon spent on steps taken before the failure stays charged.
        </div>
      </div>
    );
  }
  if (job.status === "CANCELLED") {
    return (
      <div className="alert alert-info" role="status">
        <div>
          <div className="alert-title">Cancelled</div>
          Epsilon spent before the cancel (ε {formatEpsilon(job.epsilonSpent, 3)}) is charged; the rest was released.
        </div>
      </div>
    );
  }
  return null;
}

/** The finished job's report.json, when it has one (one query, shared by the notices and the report). */
function useFinishedReport(job: TJobWire) {
  return useJobReport(
    job.id,
    job.status === "SUCCEEDED" && job.artifacts.some((artifact) => artifact.name === "report.json"),
  );
}

/**
 * What the owner must know before reading any number: a shortfall (rows made against rows asked), the trainer's
 * warnings and the report's notes on what was skipped or degraded.
 */
function JobNotices({ job }: { job: TJobWire }) {
  const notes = useFinishedReport(job).data?.notes ?? [];
  if (job.status !== "SUCCEEDED") return null;
  const withWarnings = job.outcome === "succeeded-with-warnings";
  if (!withWarnings && notes.length === 0) return null;
  const shortfall = job.rows && job.rows.produced < job.rows.requested ? job.rows : null;
  return (
    <div className={`alert ${withWarnings ? "alert-warning" : "alert-info"}`} role="status" data-testid="job-notices">
      <div className="stack" style={{ gap: 6 }}>
        <div className="alert-title">{withWarnings ? "Succeeded with warnings" : "Notes"}</div>
        {shortfall && (
          <p style={{ margin: 0 }} data-testid="rows-made">
            Only <strong className="num">{formatInteger(shortfall.produced)}</strong> of the{" "}
            <strong className="num">{formatInteger(shortfall.requested)}</strong> rows asked for were produced.
            synthetic.csv holds those {formatInteger(shortfall.produced)}.
          </p>
        )}
        {job.warnings.length + notes.length > 0 && (
          <ul style={{ margin: 0, paddingLeft: 18 }} aria-label="Warnings and notes">
            {[...new Set([...job.warnings, ...notes])].map((text) => (
              <li key={text}>{text}</li>
            ))}
          </ul>
        )}
      </div>
    </div>
  );
}

function FinishedReport({ job }: { job: TJobWire }) {
  const report = useFinishedReport(job);
  if (job.status !== "SUCCEEDED") return null;
  return (
    <section className="stack" style={{ gap: 16 }} aria-labelledby="report-heading">
      <div className="spread">
        <h2 id="report-heading">Report</h2>
        <span className="badge plain badge-warning" title="The evaluation reads the real holdout">
          Not differentially private: for you and admins only
        </span>
      </div>
      {report.isPending || report.isError ? (
        <div className="card">
          <QueryStatus query={report} label="Loading the report" rows={4} errorTitle="Could not load the report" />
        </div>
      ) : (
        <ReportView report={report.data} />
      )}
    </section>
  );
}

/**
 * The declared schema and the prompt a job ran with, as rows of the request's list. Jobs requested before owners
 * declared labels carry neither in their stored spec, so they show none.
 */
function SchemaRows({ spec }: { spec: TJobWire["spec"] }) {
  const stored = spec as Omit<TJobWire["spec"], "prompt"> & { prompt?: TJobWire["spec"]["prompt"] };
  if (!Array.isArray(stored.data.labels) || !stored.prompt) return null;
  return (
    <>
      <dt>Labels</dt>
      <dd>
        {stored.data.labelSource === "dp-histogram"
          ? `Found with differential privacy when the job ran (ε ${formatEpsilon(stored.privacy.labelSet?.epsilon)} of the job's); the report lists the released labels.`
          : stored.data.labels.map((label) => (
              <span key={label.value} style={{ display: "block" }}>
                <span className="mono">{label.value}</span>: {label.description}
              </span>
            ))}
      </dd>
      <dt>Subject · other columns</dt>
      <dd>
        {stored.data.subject} · {stored.data.columns.length ? stored.data.columns.join(", ") : "none"}
      </dd>
      <dt>Prompt</dt>
      <dd>
        {stored.prompt.style} · <span className="mono">{stored.prompt.instruction}</span>
      </dd>
      <dt>Label guidance · re-scoring</dt>
      <dd>
        {stored.sampling.guidance} · {stored.sampling.rescoring ? "on" : "off"}
      </dd>
    </>
  );
}

/** One job: where it is, the live privacy/loss curve, and its results. */
export function JobDetail({ jobId }: { jobId: string }) {
  const query = useJob(jobId);
  const job = query.data;
  const finished = job ? isTerminalJobStatus(job.status) : false;
  const live = useJobEvents(jobId, { finished });
  // Elapsed time ticks between the trainer's events, which may be minutes apart.
  const now = useNow(Boolean(query.data?.startedAt) && !finished);

  if (query.isPending || query.isError) return <PageQueryState query={query} label="Loading the job" />;
  if (!job) return null;

  const approvedEpsilon = job.epsilon;
  const running = job.status === "RUNNING";
  // A request that never reached the queue has no curve, progress or files to show.
  const reachedQueue = job.status !== "PENDING_APPROVAL" && job.status !== "REJECTED";
  return (
    <div className="page">
      <PageHeader
        title={
          <span className="row" style={{ gap: 10 }}>
            {jobTitle(job)} <StatusBadge job={job} />
          </span>
        }
        subtitle={
          <>
            Job <span className="mono">{job.id}</span> on{" "}
            <Link href={`/datasets/${job.datasetId}`}>{job.dataset?.name ?? "its dataset"}</Link> · requested{" "}
            {formatDateTime(job.createdAt)}
          </>
        }
        crumbs={[
          { href: "/", label: "Overview" },
          { href: `/datasets/${job.datasetId}`, label: job.dataset?.name ?? "Dataset" },
        ]}
        actions={
          <>
            {job.status === "SUCCEEDED" && (
              <Link className="btn" href={`/compare?datasetId=${job.datasetId}&jobs=${job.id}`}>
                Compare
              </Link>
            )}
            <CancelButton job={job} />
          </>
        }
      />

      <div className="card card-body">
        <StatusTimeline job={job} />
      </div>

      <JobOutcome job={job} />
      <JobNotices job={job} />

      {reachedQueue && (
        <div className="grid grid-4">
          <Stat
            label="ε charged"
            value={formatEpsilon(job.epsilonSpent, 3)}
            hint={
              running && live.points.length > 0
                ? `training so far ε ${formatEpsilon(live.points.at(-1)?.epsilon, 3)} of ${formatEpsilon(approvedEpsilon)}`
                : approvedEpsilon
                  ? `of ${formatEpsilon(approvedEpsilon)} approved`
                  : "non-private baseline"
            }
          />
          <Stat label="δ" value={formatDelta(job.delta)} hint="probability the guarantee fails" />
          <Stat
            label="Samples / s"
            value={live.samplesPerSecond === null ? "—" : formatNumber(live.samplesPerSecond, 1)}
            hint={running ? "live" : "last reported"}
          />
          <Stat
            label="Elapsed"
            value={<span data-testid="elapsed">{elapsed(job, now)}</span>}
            hint={job.attempts > 1 ? `${job.attempts} attempts` : undefined}
          />
        </div>
      )}

      {reachedQueue && (
        <div className="grid grid-main">
          <Card
            title="Loss versus ε"
            labelledBy="chart-heading"
            actions={
              !finished ? (
                <span className={`badge ${live.connection === "open" ? "badge-success badge-running" : ""}`}>
                  {live.connection === "open" ? "Live" : "Connecting"}
                </span>
              ) : undefined
            }
          >
            <LossEpsilonChart
              series={[
                {
                  key: job.id,
                  name: job.spec.model.id,
                  color: SERIES_COLORS[0] ?? "#4f46e5",
                  points: live.points,
                  labelEpsilon: labelReleaseEpsilon(job.spec.privacy),
                },
              ]}
              approvedEpsilon={approvedEpsilon}
            />
          </Card>
          <div className="stack" style={{ gap: 16 }}>
            <Card title="Progress" labelledBy="progress-heading">
              <StageProgress job={job} live={live} />
            </Card>
            <Card title="Downloads" labelledBy="downloads-heading">
              <ArtifactDownloads jobId={job.id} artifacts={job.artifacts} />
            </Card>
          </div>
        </div>
      )}

      <Card title="Request" labelledBy="request-heading">
        <dl className="kv">
          <dt>ε · δ</dt>
          <dd>
            {formatEpsilon(job.epsilon ?? "inf")} · {formatDelta(job.delta)}
          </dd>
          <dt>Model</dt>
          <dd className="mono">
            {job.spec.model.id} ({job.spec.model.finetune})
          </dd>
          <dt>Epochs · learning rate</dt>
          <dd>
            {job.spec.training.epochs} · {job.spec.training.learningRate}
          </dd>
          <dt>Batch (logical / physical)</dt>
          <dd>
            {job.spec.training.logicalBatchSize} / {job.spec.training.physicalBatchSize}
          </dd>
          <dt>Max sequence length</dt>
          <dd>{job.spec.training.maxSeqLen} tokens</dd>
          <dt>Clipping norm · accountant</dt>
          <dd>
            {job.spec.privacy.maxGradNorm} · {job.spec.privacy.accountant.toUpperCase()}
          </dd>
          <dt>Synthetic rows</dt>
          <dd>{job.rows ? `${rowsText(job)} made` : formatInteger(job.spec.sampling.rows)}</dd>
          <SchemaRows spec={job.spec} />
        </dl>
      </Card>

      <FinishedReport job={job} />
    </div>
  );
}
