import Link from "next/link";
import type { TJobWire } from "@/components/api/wire-types";
import { formatEpsilon, formatInteger, formatRelative } from "@/components/ui/format";
import { StatusBadge } from "@/components/ui/status-badge";
import { datasetFacts } from "@/modules/datasets/lib/dataset-facts";

/** Rows delivered against rows asked once the job reported them; until then, rows asked. */
export function rowsText(job: Pick<TJobWire, "rows" | "spec">): string {
  if (!job.rows) return `${formatInteger(job.spec.sampling.rows)} asked`;
  return `${formatInteger(job.rows.produced)} of ${formatInteger(job.rows.requested)}`;
}

/** Jobs with their outcome, stage and epsilon spent; each row links to the job page. */
export function JobTable({ jobs, showDataset = true }: { jobs: TJobWire[]; showDataset?: boolean }) {
  return (
    <div className="table-wrap">
      <table className="table" aria-label="Jobs">
        <thead>
          <tr>
            <th scope="col">Model</th>
            {showDataset && (
              <th scope="col" className="hide-narrow">
                Dataset
              </th>
            )}
            <th scope="col">Status</th>
            <th scope="col" className="right">
              ε spent / approved
            </th>
            <th scope="col" className="right hide-narrow">
              Rows made
            </th>
            <th scope="col" className="hide-narrow">
              Requested
            </th>
          </tr>
        </thead>
        <tbody>
          {jobs.map((job) => (
            <tr key={job.id} data-job-id={job.id}>
              <td>
                <Link href={`/jobs/${job.id}`} className="mono" style={{ fontWeight: 600 }}>
                  {job.spec.model.id}
                </Link>
                {/* On a phone the dataset column gives way to the ε column; its name moves under the model. */}
                {showDataset && <div className="muted show-narrow">{job.dataset.name}</div>}
              </td>
              {showDataset && (
                <td className="hide-narrow">
                  <Link href={`/datasets/${job.datasetId}`}>{job.dataset.name}</Link>
                  <div className="faint" style={{ fontSize: 12 }}>
                    {datasetFacts(job.dataset)}
                  </div>
                </td>
              )}
              <td>
                <StatusBadge job={job} />
              </td>
              <td className="right num nowrap">
                {formatEpsilon(job.epsilonSpent, 3)} / {formatEpsilon(job.epsilon ?? "inf")}
              </td>
              <td
                className={`right hide-narrow${job.rows && job.rows.produced < job.rows.requested ? " text-warning" : ""}`}
              >
                {rowsText(job)}
              </td>
              <td className="hide-narrow muted">{formatRelative(job.createdAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
