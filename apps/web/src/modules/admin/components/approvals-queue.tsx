"use client";

import Link from "next/link";
import { type FormEvent, useState } from "react";
import type { TApprovalRequestWire } from "@/components/api/wire-types";
import { BudgetBar } from "@/components/ui/budget-bar";
import { Dialog, DialogActions, ReasonField } from "@/components/ui/dialog";
import { Field } from "@/components/ui/field";
import { formatDelta, formatEpsilon, formatInteger, formatRelative } from "@/components/ui/format";
import { PageHeader } from "@/components/ui/page-header";
import { EmptyState, ErrorAlert, QueryStatus } from "@/components/ui/states";
import { datasetFacts } from "@/modules/datasets/lib/dataset-facts";
import { useApprovals, useDecide } from "../hooks/use-admin";

function RejectDialog({ request, onClose }: { request: TApprovalRequestWire | null; onClose: () => void }) {
  const decide = useDecide();
  const [reason, setReason] = useState("");

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!request || !reason.trim()) return;
    decide.mutate(
      { jobId: request.job.id, decision: "reject", reason: reason.trim() },
      {
        onSuccess: () => {
          setReason("");
          onClose();
        },
      },
    );
  }

  return (
    <Dialog open={request !== null} title="Reject this request" onClose={onClose}>
      <form className="form" onSubmit={onSubmit}>
        <p className="muted">
          The owner sees your reason on the job page. The reservation of ε {formatEpsilon(request?.job.epsilon ?? null)}{" "}
          is released.
        </p>
        <ReasonField
          id="reject-reason"
          value={reason}
          onChange={setReason}
          placeholder="e.g. Try ε 3 first; this dataset's budget is meant to last the quarter."
        />
        <ErrorAlert error={decide.error} />
        <DialogActions
          onCancel={onClose}
          actionLabel="Reject request"
          danger
          disabled={!reason.trim()}
          pending={decide.isPending}
        />
      </form>
    </Dialog>
  );
}

const DEFAULT_APPROVAL_REASON = "Approved: the request fits this dataset's budget.";

function RequestCard({ request, onReject }: { request: TApprovalRequestWire; onReject: () => void }) {
  const decide = useDecide();
  const [note, setNote] = useState("");
  const noteId = `approve-note-${request.job.id}`;
  const { job, dataset } = request;
  const spec = job.spec;
  const headingId = `request-${job.id}`;
  return (
    <article className="card" aria-labelledby={headingId} data-job-id={job.id}>
      <div className="card-header">
        <div className="stack" style={{ gap: 2 }}>
          <h2 id={headingId}>
            <span className="mono">{spec.model.id}</span> at ε {formatEpsilon(job.epsilon ?? "inf")}
          </h2>
          <span className="muted">
            {job.requester?.email ?? "an owner"} · <Link href={`/datasets/${dataset.id}`}>{dataset.name}</Link> ·{" "}
            requested {formatRelative(job.createdAt)}
          </span>
          <span className="faint" style={{ fontSize: 12 }}>
            Dataset: {datasetFacts(dataset)}
          </span>
        </div>
        <div className="row">
          <button type="button" className="btn btn-danger" onClick={onReject} disabled={decide.isPending}>
            Reject
          </button>
          <button
            type="button"
            className="btn btn-primary"
            disabled={decide.isPending}
            onClick={() =>
              decide.mutate({ jobId: job.id, decision: "approve", reason: note.trim() || DEFAULT_APPROVAL_REASON })
            }
          >
            {decide.isPending && <span className="spinner" aria-hidden="true" />}
            Approve
          </button>
        </div>
      </div>
      <div className="card-body grid grid-2" style={{ alignItems: "start" }}>
        <div className="stack">
          {job.decisionNote ? (
            <p className="alert alert-warning" data-testid="approval-reason" style={{ margin: 0 }}>
              {job.decisionNote}
            </p>
          ) : null}
          <h3>Dataset budget</h3>
          <BudgetBar budget={dataset.budget} />
          <p className="muted" style={{ fontSize: 12.5 }}>
            Approving keeps the reservation of ε {formatEpsilon(job.epsilon ?? null)}; ε{" "}
            {formatEpsilon(dataset.budget.remaining)} stays free for other jobs.
          </p>
        </div>
        <dl className="kv">
          <dt>ε · δ</dt>
          <dd>
            {formatEpsilon(job.epsilon ?? "inf")} · {formatDelta(job.delta)}
          </dd>
          <dt>Fine-tuning</dt>
          <dd>
            {spec.model.finetune.toUpperCase()}, {spec.training.epochs}{" "}
            {spec.training.epochs === 1 ? "epoch" : "epochs"}, lr {spec.training.learningRate}
          </dd>
          <dt>Batch (logical / physical)</dt>
          <dd>
            {spec.training.logicalBatchSize} / {spec.training.physicalBatchSize}
          </dd>
          <dt>Clipping · accountant</dt>
          <dd>
            {spec.privacy.maxGradNorm} · {spec.privacy.accountant.toUpperCase()}
          </dd>
          <dt>Sequence length</dt>
          <dd>{spec.training.maxSeqLen} tokens</dd>
          <dt>Synthetic rows</dt>
          <dd>{formatInteger(spec.sampling.rows)}</dd>
          <dt>Training rows</dt>
          <dd>{formatInteger(dataset.trainRows)}</dd>
        </dl>
        <Field id={noteId} label="Note to the owner (optional)" style={{ gridColumn: "1 / -1" }}>
          {(control) => (
            <input
              {...control}
              className="input"
              maxLength={2000}
              value={note}
              placeholder={DEFAULT_APPROVAL_REASON}
              onChange={(event) => setNote(event.target.value)}
            />
          )}
        </Field>
      </div>
      {decide.error ? (
        <div style={{ padding: "0 18px 18px" }}>
          <ErrorAlert error={decide.error} title="The decision was not recorded" />
        </div>
      ) : null}
    </article>
  );
}

/** Requests above their owner's allowance (all their jobs on a dataset together), waiting for an admin. */
export function ApprovalsQueue() {
  const approvals = useApprovals();
  const [rejecting, setRejecting] = useState<TApprovalRequestWire | null>(null);
  return (
    <div className="page">
      <PageHeader
        title="Approvals"
        subtitle="Jobs that would take their owner past their ε allowance on a dataset, counting what their other jobs there spent or hold. Their budget is already reserved."
      />
      {approvals.isPending || approvals.isError ? (
        <div className="card">
          <QueryStatus query={approvals} label="Loading requests" />
        </div>
      ) : approvals.data.length === 0 ? (
        <div className="card">
          <EmptyState icon="check" title="Nothing waiting">
            Requests above an owner's allowance appear here.
          </EmptyState>
        </div>
      ) : (
        <div className="stack" style={{ gap: 16 }}>
          {approvals.data.map((request) => (
            <RequestCard key={request.job.id} request={request} onReject={() => setRejecting(request)} />
          ))}
        </div>
      )}
      <RejectDialog request={rejecting} onClose={() => setRejecting(null)} />
    </div>
  );
}
