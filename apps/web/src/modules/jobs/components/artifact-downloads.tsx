import type { TJobWire } from "@/components/api/wire-types";
import { formatBytes } from "@/components/ui/format";
import { artifactUrl } from "../hooks/use-job-report";

const OFFERED = ["synthetic.csv", "report.html", "report.json"] as const;

const DESCRIPTIONS: Record<(typeof OFFERED)[number], string> = {
  "synthetic.csv": "Synthetic rows: the text and label columns",
  "report.html": "Printable evaluation report",
  "report.json": "Machine-readable report",
};

/** Download links for the files a job produced; the model checkpoint stays on the server. */
export function ArtifactDownloads({ jobId, artifacts }: { jobId: string; artifacts: TJobWire["artifacts"] }) {
  const offered = OFFERED.flatMap((name) => artifacts.filter((artifact) => artifact.name === name));
  if (offered.length === 0) return <p className="muted">Files appear here when the job has produced them.</p>;
  return (
    <ul className="stack" style={{ listStyle: "none", margin: 0, padding: 0, gap: 10 }}>
      {offered.map((artifact) => (
        <li key={artifact.name} className="spread" style={{ flexWrap: "nowrap" }}>
          <div style={{ minWidth: 0 }}>
            <div className="mono" style={{ fontWeight: 600 }}>
              {artifact.name}
            </div>
            <div className="muted" style={{ fontSize: 12.5 }}>
              {DESCRIPTIONS[artifact.name as (typeof OFFERED)[number]]} · {formatBytes(artifact.bytes)}
            </div>
          </div>
          <a
            className="btn btn-sm"
            href={`${artifactUrl(jobId, artifact.name)}?download=1`}
            download={artifact.name}
            aria-label={`Download ${artifact.name}`}
          >
            Download
          </a>
        </li>
      ))}
    </ul>
  );
}
