import Link from "next/link";
import type { TJobWire } from "@/components/api/wire-types";
import { formatEpsilon, formatInteger, formatRelative } from "@/components/ui/format";
import { StatusBadge } from "@/components/ui/status-badge";

/** Jobs with their status, stage and epsilon spent; each row links to the job page. */
export function JobTable({ jobs, showDataset = true }: { jobs: TJobWire[]; showDataset?: boolean }) {
  return (
    <div className="table-wrap">
      <table className="table" aria-label="Jobs">
        <thead>
          <tr>
            <th scope="col">Model</th>
            {showDataset && <th scope="col">Dataset</th>}
            <th scope="col">Status</th>
            <th scope="col" className="right">
              ε spent / approved
            </th>
            <th scope="col" className="right hide-narrow">
              Rows
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
              </td>
              {showDataset && (
                <td>
                  <Link href={`/datasets/${job.datasetId}`}>{job.dataset?.name ?? job.datasetId}</Link>
                </td>
              )}
              <td>
                <StatusBadge status={job.status} stage={job.stage} />
              </td>
              <td className="right num">
                {formatEpsilon(job.epsilonSpent, 3)} / {formatEpsilon(job.epsilon ?? "inf")}
              </td>
              <td className="right hide-narrow">{formatInteger(job.spec.sampling.rows)}</td>
              <td className="hide-narrow muted">{formatRelative(job.createdAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
