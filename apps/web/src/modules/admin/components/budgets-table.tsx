"use client";

import Link from "next/link";
import { type FormEvent, useState } from "react";
import type { TDatasetWire } from "@/components/api/wire-types";
import { BudgetBar } from "@/components/ui/budget-bar";
import { Dialog, DialogActions, ReasonField } from "@/components/ui/dialog";
import { Field } from "@/components/ui/field";
import { deltaInputText, formatEpsilon } from "@/components/ui/format";
import { Card, PageHeader } from "@/components/ui/page-header";
import { EmptyState, ErrorAlert, QueryStatus } from "@/components/ui/states";
import { useDatasets, useSetBudget } from "@/modules/datasets/hooks/use-datasets";
import { datasetFacts } from "@/modules/datasets/lib/dataset-facts";

/** A budget change is confirmed with a reason, which the audit trail keeps beside the old and new totals. */
function ConfirmBudgetDialog({
  dataset,
  next,
  onClose,
}: {
  dataset: TDatasetWire;
  next: { epsilonTotal: number; delta: number } | null;
  onClose: () => void;
}) {
  const setBudget = useSetBudget(dataset.id);
  const [reason, setReason] = useState("");
  const reasonId = `budget-reason-${dataset.id}`;

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!next || !reason.trim()) return;
    setBudget.mutate(
      { ...next, reason: reason.trim() },
      {
        onSuccess: () => {
          setReason("");
          onClose();
        },
      },
    );
  }

  return (
    <Dialog open={next !== null} title={`Change the budget of ${dataset.name}`} onClose={onClose}>
      <form className="form" onSubmit={onSubmit} aria-label="Confirm the budget change">
        <p data-testid="budget-change">
          ε {formatEpsilon(dataset.budget.epsilonTotal)} → {formatEpsilon(next?.epsilonTotal ?? null)} · δ{" "}
          {deltaInputText(dataset.budget.delta)} → {next ? deltaInputText(next.delta) : "—"}
        </p>
        <p className="muted">Every job on this dataset draws on this total; what is already charged stays charged.</p>
        <ReasonField
          id={reasonId}
          value={reason}
          onChange={setReason}
          placeholder="e.g. A second study was approved for this dataset."
        />
        <ErrorAlert error={setBudget.error} title="The budget was not changed" />
        <DialogActions
          onCancel={onClose}
          actionLabel="Change budget"
          disabled={!reason.trim()}
          pending={setBudget.isPending}
        />
      </form>
    </Dialog>
  );
}

function BudgetRow({ dataset }: { dataset: TDatasetWire }) {
  const [epsilon, setEpsilon] = useState(String(dataset.budget.epsilonTotal));
  const [delta, setDelta] = useState(deltaInputText(dataset.budget.delta));
  const [confirming, setConfirming] = useState<{ epsilonTotal: number; delta: number } | null>(null);
  const epsilonId = `budget-epsilon-${dataset.id}`;
  const deltaId = `budget-delta-${dataset.id}`;
  const changed = Number(epsilon) !== dataset.budget.epsilonTotal || Number(delta) !== dataset.budget.delta;
  const epsilonError = Number(epsilon) > 0 ? undefined : "Enter an ε above 0.";
  const deltaError = Number(delta) > 0 && Number(delta) < 1 ? undefined : "δ is a probability below 1, e.g. 1e-5.";
  const valid = !epsilonError && !deltaError;

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (valid) setConfirming({ epsilonTotal: Number(epsilon), delta: Number(delta) });
  }

  return (
    <li className="card-body stack" style={{ borderBottom: "1px solid var(--border)" }}>
      <div className="spread">
        <div>
          <Link href={`/datasets/${dataset.id}`} style={{ fontWeight: 650 }}>
            {dataset.name}
          </Link>
          <div className="muted" style={{ fontSize: 12.5 }}>
            {datasetFacts(dataset)}
          </div>
        </div>
        <span className="muted num" style={{ fontSize: 12.5 }}>
          spent {formatEpsilon(dataset.budget.spent, 3)} · reserved {formatEpsilon(dataset.budget.reserved, 3)} ·
          remaining {formatEpsilon(dataset.budget.remaining, 3)}
        </span>
      </div>
      <BudgetBar budget={dataset.budget} compact />
      <form
        className="row"
        style={{ alignItems: "flex-end" }}
        onSubmit={onSubmit}
        aria-label={`Budget of ${dataset.name}`}
      >
        <Field id={epsilonId} label="Total ε" error={epsilonError} style={{ width: 140 }}>
          {(control) => (
            <input
              {...control}
              className="input num"
              type="number"
              min={0.01}
              step="any"
              value={epsilon}
              onChange={(event) => setEpsilon(event.target.value)}
            />
          )}
        </Field>
        <Field id={deltaId} label="Total δ" error={deltaError} style={{ width: 140 }}>
          {(control) => (
            <input
              {...control}
              className="input num"
              inputMode="decimal"
              value={delta}
              onChange={(event) => setDelta(event.target.value)}
            />
          )}
        </Field>
        <button type="submit" className="btn" disabled={!changed || !valid}>
          Save budget…
        </button>
      </form>
      <ConfirmBudgetDialog dataset={dataset} next={confirming} onClose={() => setConfirming(null)} />
    </li>
  );
}

/** Every dataset's total (ε, δ) budget, editable by admins. Lowering a total never undoes a charge. */
export function BudgetsTable() {
  const datasets = useDatasets();
  return (
    <div className="page">
      <PageHeader
        title="Budgets"
        subtitle="The total privacy budget of each dataset. Jobs reserve from it; what they spend is charged for good."
      />
      <Card flush>
        {datasets.isPending || datasets.isError ? (
          <QueryStatus query={datasets} />
        ) : datasets.data.length === 0 ? (
          <EmptyState icon="gauge" title="No datasets yet" />
        ) : (
          <ul style={{ listStyle: "none", margin: 0, padding: 0 }}>
            {datasets.data.map((dataset) => (
              <BudgetRow key={dataset.id} dataset={dataset} />
            ))}
          </ul>
        )}
      </Card>
    </div>
  );
}
