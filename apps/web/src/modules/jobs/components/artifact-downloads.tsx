import type { TArtifactName } from "@dpsynth/contracts";
import { artifactUrl } from "../hooks/use-job-report";

const DESCRIPTIONS: Partial<Record<TArtifactName, string>> = {
  "synthetic.csv": "Synthetic rows, same text and label columns",
  "report.html": "Printable evaluation report",
  "report.json": "Machine-readable report",
};

/** Download links for the files a job produced; the model itself is not offered. */
export function ArtifactDownloads({ jobId, artifacts }: { jobId: string; artifacts: TArtifactName[] }) {
  const offered = (["synthetic.csv", "report.html", "report.json"] as const).filter((name) => artifacts.includes(name));
  if (offered.length === 0) return <p className="muted">No files yet.</p>;
  return (
    <ul className="stack" style={{ listStyle: "none", margin: 0, padding: 0, gap: 8 }}>
      {offered.map((name) => (
        <li key={name} className="spread">
          <div>
            <div className="mono" style={{ fontWeight: 600 }}>
              {name}
            </div>
            <div className="muted" style={{ fontSize: 12.5 }}>
              {DESCRIPTIONS[name]}
            </div>
          </div>
          <a className="btn btn-sm" href={artifactUrl(jobId, name)} download={name} aria-label={`Download ${name}`}>
            Download
          </a>
        </li>
      ))}
    </ul>
  );
}
