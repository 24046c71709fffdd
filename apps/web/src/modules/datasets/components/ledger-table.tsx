import Link from "next/link";
import type { TLedgerEntryWire } from "@/components/api/wire-types";
import { formatDateTime, formatEpsilon } from "@/components/ui/format";

const KIND_TONE: Record<TLedgerEntryWire["kind"], string> = {
  RESERVE: "badge-info",
  CHARGE: "badge-accent",
  RELEASE: "",
};

/** The append-only privacy ledger, newest first; a charge names the run it belongs to (runs of a job add up). */
export function LedgerTable({ entries }: { entries: TLedgerEntryWire[] }) {
  const sorted = [...entries].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  return (
    <div className="table-wrap">
      <table className="table" aria-label="Privacy ledger">
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Entry</th>
            <th scope="col">Mechanism</th>
            <th scope="col" className="hide-narrow">
              Run
            </th>
            <th scope="col" className="right">
              ε
            </th>
            <th scope="col" className="right hide-narrow">
              δ
            </th>
            <th scope="col">Job</th>
            <th scope="col" className="hide-narrow">
              Note
            </th>
          </tr>
        </thead>
        <tbody>
          {sorted.map((entry) => (
            <tr key={entry.id}>
              <td className="muted" style={{ whiteSpace: "nowrap" }}>
                {formatDateTime(entry.createdAt)}
              </td>
              <td>
                <span className={`badge plain ${KIND_TONE[entry.kind]}`}>{entry.kind.toLowerCase()}</span>
              </td>
              <td className="mono">{entry.mechanism}</td>
              <td className="mono hide-narrow" title={entry.runId ?? undefined}>
                {entry.runId ? entry.runId.slice(-6) : ""}
              </td>
              <td className="right">{formatEpsilon(entry.epsilon, 4)}</td>
              <td className="right hide-narrow">{entry.delta ? entry.delta.toExponential(1) : "0"}</td>
              <td>
                {entry.jobId ? (
                  <Link href={`/jobs/${entry.jobId}`} className="mono">
                    {entry.jobId.slice(-8)}
                  </Link>
                ) : (
                  "—"
                )}
              </td>
              <td className="muted hide-narrow truncate">{entry.note ?? ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
