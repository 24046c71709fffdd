"use client";

import Link from "next/link";
import { useState } from "react";
import type { TLedgerEntryWire } from "@/components/api/wire-types";
import { formatDateTime, formatEpsilon } from "@/components/ui/format";
import { groupLedgerByJob, type TLedgerGroup } from "../lib/ledger-groups";

function deltaText(delta: number): string {
  return delta ? delta.toExponential(1) : "0";
}

function jobName(group: TLedgerGroup): string {
  return group.jobId ? `job ${group.jobId.slice(-8)}` : "no job";
}

/** The charges of one job, one per checkpoint the trainer reported: what the group's row sums up. */
function Checkpoints({ group, id }: { group: TLedgerGroup; id: string }) {
  return (
    <div className="table-wrap ledger-checkpoints" id={id}>
      <table className="table" aria-label={`Charges of ${jobName(group)}`}>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col" className="hide-narrow">
              Mechanism
            </th>
            <th scope="col" className="right">
              ε
            </th>
            <th scope="col" className="right hide-narrow">
              δ
            </th>
            <th scope="col" className="hide-narrow">
              Run
            </th>
            <th scope="col" className="hide-narrow">
              Note
            </th>
          </tr>
        </thead>
        <tbody>
          {group.charges.map((charge: TLedgerEntryWire) => (
            <tr key={charge.id}>
              <td className="muted nowrap">{formatDateTime(charge.createdAt)}</td>
              <td className="mono hide-narrow">{charge.mechanism}</td>
              <td className="right">{formatEpsilon(charge.epsilon, 4)}</td>
              <td className="right hide-narrow">{deltaText(charge.delta)}</td>
              <td className="mono hide-narrow" title={charge.runId ?? undefined}>
                {charge.runId ? charge.runId.slice(-6) : ""}
              </td>
              <td className="muted hide-narrow">{charge.note ?? ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const COLUMNS = 7;

function JobRows({ group }: { group: TLedgerGroup }) {
  const [open, setOpen] = useState(false);
  const detailId = `ledger-${group.key}-charges`;
  const count = group.charges.length;
  const charges = `${count} ${count === 1 ? "charge" : "charges"}`;
  const release = group.entries.find((entry) => entry.kind === "RELEASE");
  return (
    <tbody data-ledger-job={group.jobId ?? undefined}>
      <tr>
        <th scope="row" className="nowrap">
          {/* The toggle leads the row, so a phone keeps it beside the ε columns. */}
          <button
            type="button"
            className="btn btn-sm btn-icon"
            disabled={count === 0}
            aria-expanded={count > 0 ? open : undefined}
            aria-controls={open ? detailId : undefined}
            aria-label={`${open ? "Hide" : "Show"} the ${charges} of ${jobName(group)}`}
            onClick={() => setOpen(!open)}
          >
            <span aria-hidden="true">{open ? "▾" : "▸"}</span>
          </button>{" "}
          {group.jobId ? (
            <Link href={`/jobs/${group.jobId}`} className="mono">
              {group.jobId.slice(-8)}
            </Link>
          ) : (
            "—"
          )}
        </th>
        <td className="muted nowrap hide-narrow">{formatDateTime(group.startedAt)}</td>
        <td className="right">{formatEpsilon(group.reserved.epsilon, 4)}</td>
        <td className="right">{formatEpsilon(group.charged.epsilon, 4)}</td>
        <td className="right hide-narrow">
          {group.settled ? formatEpsilon(group.released.epsilon, 4) : <span className="badge plain">open</span>}
        </td>
        <td className="right hide-narrow">{deltaText(group.charged.delta)}</td>
        <td className="hide-narrow">
          {charges}
          {release?.note ? <div className="muted">{release.note}</div> : null}
        </td>
      </tr>
      {open && (
        <tr className="ledger-detail">
          <td colSpan={COLUMNS}>
            <Checkpoints group={group} id={detailId} />
          </td>
        </tr>
      )}
    </tbody>
  );
}

/**
 * The privacy ledger, one row per job, newest first: what it reserved, what its charges add up to, what it gave
 * back when it ended. Each row opens to its charges, one per checkpoint (the runs of a job add up).
 */
export function LedgerTable({ entries }: { entries: TLedgerEntryWire[] }) {
  return (
    <div className="table-wrap">
      <table className="table" aria-label="Privacy ledger">
        <thead>
          <tr>
            <th scope="col">Job</th>
            <th scope="col" className="hide-narrow">
              Reserved at
            </th>
            <th scope="col" className="right">
              ε reserved
            </th>
            <th scope="col" className="right">
              ε spent
            </th>
            <th scope="col" className="right hide-narrow">
              ε released
            </th>
            <th scope="col" className="right hide-narrow">
              δ spent
            </th>
            <th scope="col" className="hide-narrow">
              Charges
            </th>
          </tr>
        </thead>
        {groupLedgerByJob(entries).map((group) => (
          <JobRows key={group.key} group={group} />
        ))}
      </table>
    </div>
  );
}
