"use client";

import Link from "next/link";
import { useState } from "react";
import type { TAuditEventWire } from "@/components/api/wire-types";
import { formatDateTime } from "@/components/ui/format";
import { Card, PageHeader } from "@/components/ui/page-header";
import { EmptyState, QueryStatus } from "@/components/ui/states";
import { type TAuditSubject, useAudit } from "../hooks/use-admin";

const SUBJECT_PATHS: Record<string, string> = { job: "/jobs/", dataset: "/datasets/" };
/** Actions that need an admin's attention: the ledger refused a charge (a trainer reported more than reserved). */
const ALERTS = new Set(["ledger.charge_refused"]);

function Subject({ event }: { event: TAuditEventWire }) {
  const base = SUBJECT_PATHS[event.subjectType];
  const label = `${event.subjectType} ${event.subjectId.slice(-8)}`;
  return base ? (
    <Link href={`${base}${event.subjectId}`} className="mono">
      {label}
    </Link>
  ) : (
    <span className="mono">{label}</span>
  );
}

/** A detail's key in words ("trainRows" reads "train rows"): the server's field names are not the reader's. */
export function detailKeyWords(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, "$1 $2").toLowerCase();
}

function detailValue(value: unknown): string {
  if (Array.isArray(value)) return value.length ? value.map(String).join(", ") : "none";
  if (value && typeof value === "object") {
    return Object.entries(value)
      .map(([key, inner]) => `${detailKeyWords(key)} ${detailValue(inner)}`)
      .join(", ");
  }
  return String(value);
}

/** Detail values are numbers, names and reasons written by the server; shown as `key: value` pairs. */
function Detail({ detail }: { detail: TAuditEventWire["detail"] }) {
  if (!detail) return null;
  const text = Object.entries(detail)
    .filter(([, value]) => value !== null && value !== undefined)
    .map(([key, value]) => `${detailKeyWords(key)}: ${detailValue(value)}`)
    .join(" · ");
  return (
    <span className="muted truncate" style={{ display: "block" }} title={text}>
      {text}
    </span>
  );
}

/** Who uploaded, requested, approved, rejected, cancelled and downloaded what, and when. */
export function AuditTable() {
  const [subjectType, setSubjectType] = useState<TAuditSubject | "">("");
  const audit = useAudit({ subjectType: subjectType || undefined });
  return (
    <div className="page">
      <PageHeader
        title="Audit trail"
        subtitle="Every action on datasets, jobs, budgets and accounts, and every charge the privacy ledger refused."
      />
      <Card
        flush
        title="Events"
        labelledBy="audit-heading"
        actions={
          <div className="row">
            <label htmlFor="audit-subject" className="muted">
              Show
            </label>
            <select
              id="audit-subject"
              className="select"
              style={{ width: 160 }}
              value={subjectType}
              onChange={(event) => setSubjectType(event.target.value as TAuditSubject | "")}
            >
              <option value="">Everything</option>
              <option value="dataset">Datasets</option>
              <option value="job">Jobs</option>
              <option value="user">Users</option>
              <option value="token">API tokens</option>
              <option value="invitation">Invitations</option>
            </select>
          </div>
        }
      >
        {audit.isPending || audit.isError ? (
          <QueryStatus query={audit} />
        ) : audit.data.length === 0 ? (
          <EmptyState icon="list" title={subjectType ? "No events of this kind" : "No events yet"} />
        ) : (
          <div className="table-wrap">
            <table className="table" aria-label="Audit events">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Who</th>
                  <th scope="col">Action</th>
                  <th scope="col">Subject</th>
                  <th scope="col" className="hide-narrow">
                    Detail
                  </th>
                </tr>
              </thead>
              <tbody>
                {audit.data.map((event) => (
                  <tr key={event.id} data-action={event.action}>
                    <td className="muted" style={{ whiteSpace: "nowrap" }}>
                      {formatDateTime(event.createdAt)}
                    </td>
                    <td>{event.actor?.email ?? <span className="faint">system</span>}</td>
                    <td>
                      <span className={`badge plain${ALERTS.has(event.action) ? " badge-danger" : ""}`}>
                        {event.action}
                      </span>
                    </td>
                    <td>
                      <Subject event={event} />
                    </td>
                    <td className="hide-narrow" style={{ maxWidth: 360 }}>
                      <Detail detail={event.detail} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
    </div>
  );
}
