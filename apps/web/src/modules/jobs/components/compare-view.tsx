"use client";

import { labelReleaseEpsilon, type TReport } from "@dpsynth/contracts";
import { useQueries } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import type { TJobWire } from "@/components/api/wire-types";
import { Field } from "@/components/ui/field";
import { formatEpsilon, formatInteger, formatNumber, formatPercent } from "@/components/ui/format";
import { Card, PageHeader } from "@/components/ui/page-header";
import { EmptyState, LoadingState, QueryStatus } from "@/components/ui/states";
import { StatusBadge } from "@/components/ui/status-badge";
import { useDatasets } from "@/modules/datasets/hooks/use-datasets";
import { datasetOption } from "@/modules/datasets/lib/dataset-facts";
import { jobReportQuery } from "../hooks/use-job-report";
import { jobMetricsQuery, useJobs } from "../hooks/use-jobs";
import { rowsText } from "./job-table";
import { LossEpsilonChart, SERIES_COLORS, type TCurveSeries } from "./loss-epsilon-chart";

const MAX_COMPARED = SERIES_COLORS.length;

function seriesName(job: TJobWire): string {
  return `${job.spec.model.id} · ε ${formatEpsilon(job.epsilon ?? "inf")}`;
}

function utility(report: TReport | undefined, classifier: string) {
  return report?.utility.find((row) => row.classifier === classifier);
}

function MetricsTable({ jobs, reports }: { jobs: TJobWire[]; reports: (TReport | undefined)[] }) {
  const classifiers = [...new Set(reports.flatMap((report) => report?.utility.map((row) => row.classifier) ?? []))];
  return (
    <div className="table-wrap">
      <table className="table wrap-head" aria-label="Report metrics by job">
        <thead>
          <tr>
            <th scope="col">Job</th>
            <th scope="col" className="right">
              ε spent
            </th>
            {classifiers.map((classifier) => (
              <th scope="col" className="right" key={classifier}>
                Accuracy, {classifier}: real → synthetic
              </th>
            ))}
            <th scope="col" className="right">
              Macro-F1, synthetic / real
            </th>
            <th scope="col" className="right">
              Label faithfulness
            </th>
            <th scope="col" className="right">
              Exact copies
            </th>
            <th scope="col" className="right">
              MIA AUC
            </th>
          </tr>
        </thead>
        <tbody>
          {jobs.map((job, index) => {
            const report = reports[index];
            const headline = report?.utility[0];
            return (
              <tr key={job.id}>
                <td style={{ whiteSpace: "nowrap" }}>
                  <span className="legend-dot" style={{ background: SERIES_COLORS[index] }} aria-hidden="true" />
                  <Link href={`/jobs/${job.id}`} className="mono">
                    {seriesName(job)}
                  </Link>
                </td>
                <td className="right">{formatEpsilon(job.epsilonSpent, 3)}</td>
                {classifiers.map((classifier) => {
                  const row = utility(report, classifier);
                  return (
                    <td className="right" key={classifier}>
                      {row ? `${formatPercent(row.real.accuracy)} → ${formatPercent(row.synthetic.accuracy)}` : "—"}
                    </td>
                  );
                })}
                <td className="right">
                  {headline ? `${formatPercent(headline.ratio.macroF1, 0)} (${headline.classifier})` : "—"}
                </td>
                <td className="right">{report ? formatPercent(report.labelFaithfulness.agreement) : "—"}</td>
                <td className="right">{report ? formatInteger(report.privacyDiagnostics.exactCopies) : "—"}</td>
                <td className="right">
                  {report?.privacyDiagnostics.membershipInferenceAuc != null
                    ? formatNumber(report.privacyDiagnostics.membershipInferenceAuc)
                    : "—"}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** Several jobs of one dataset side by side: their curves on one chart, their report metrics in one table. */
export function CompareView({ datasetId, jobIds }: { datasetId?: string; jobIds: string[] }) {
  const router = useRouter();
  const pathname = usePathname();
  const datasets = useDatasets();
  const selectedDatasetId = datasetId ?? datasets.data?.[0]?.id;
  const jobs = useJobs(selectedDatasetId);
  const comparable = jobs.data?.filter((job) => job.status === "SUCCEEDED") ?? [];
  const selectedIds = jobIds.length > 0 ? jobIds : comparable.slice(0, 3).map((job) => job.id);
  const selected = comparable.filter((job) => selectedIds.includes(job.id));

  const metrics = useQueries({ queries: selected.map((job) => jobMetricsQuery(job.id)) });
  // Through the contract, as on the job's page: a report that does not match ZReport shows as missing, not oddly.
  const reports = useQueries({ queries: selected.map((job) => jobReportQuery(job.id)) });

  function update(nextDatasetId: string | undefined, nextJobIds: string[]) {
    const params = new URLSearchParams();
    if (nextDatasetId) params.set("datasetId", nextDatasetId);
    if (nextJobIds.length) params.set("jobs", nextJobIds.join(","));
    router.replace(`${pathname}?${params.toString()}`, { scroll: false });
  }

  function toggle(jobId: string) {
    const next = selectedIds.includes(jobId) ? selectedIds.filter((id) => id !== jobId) : [...selectedIds, jobId];
    update(selectedDatasetId, next.slice(0, MAX_COMPARED));
  }

  const series: TCurveSeries[] = selected.map((job, index) => ({
    key: job.id,
    name: seriesName(job),
    color: SERIES_COLORS[index % SERIES_COLORS.length] ?? "#4f46e5",
    points: (metrics[index]?.data ?? []).flatMap((point) =>
      point.epsilon !== null && point.loss !== null
        ? [{ step: point.step, epsilon: point.epsilon, loss: point.loss }]
        : [],
    ),
    labelEpsilon: labelReleaseEpsilon(job.spec.privacy),
  }));

  return (
    <div className="page">
      <PageHeader
        title="Compare jobs"
        subtitle="Models or privacy levels side by side on the same data: how much utility each ε buys."
      />
      {datasets.isPending || datasets.isError ? (
        <div className="card">
          <QueryStatus query={datasets} />
        </div>
      ) : datasets.data.length === 0 ? (
        <div className="card">
          <EmptyState icon="chart" title="Nothing to compare yet">
            Upload a dataset and run a few jobs on it with different models or epsilons.
          </EmptyState>
        </div>
      ) : (
        <>
          <Card title="Jobs" labelledBy="compare-pick">
            <div className="stack">
              <Field id="compare-dataset" label="Dataset" style={{ maxWidth: 420 }}>
                {(control) => (
                  <select
                    {...control}
                    className="select"
                    value={selectedDatasetId ?? ""}
                    onChange={(event) => update(event.target.value, [])}
                  >
                    {datasets.data.map((dataset) => (
                      <option key={dataset.id} value={dataset.id}>
                        {datasetOption(dataset)}
                      </option>
                    ))}
                  </select>
                )}
              </Field>
              {jobs.isPending || jobs.isError ? (
                <QueryStatus query={jobs} label="Loading jobs" />
              ) : comparable.length === 0 ? (
                <p className="muted">No finished jobs on this dataset yet; jobs appear here once they succeed.</p>
              ) : (
                <fieldset>
                  <legend>Jobs to compare (up to {MAX_COMPARED})</legend>
                  <div className="choice-grid">
                    {comparable.map((job) => (
                      <label key={job.id} className="choice">
                        <input type="checkbox" checked={selectedIds.includes(job.id)} onChange={() => toggle(job.id)} />
                        <span className="choice-title mono">{seriesName(job)}</span>
                        <span className="choice-meta row">
                          <StatusBadge job={job} /> rows {rowsText(job)}
                        </span>
                      </label>
                    ))}
                  </div>
                </fieldset>
              )}
            </div>
          </Card>

          {selected.length > 0 && (
            <>
              <Card title="Loss versus ε" labelledBy="compare-chart">
                {metrics.some((query) => query.isPending) ? (
                  <LoadingState label="Loading curves" />
                ) : (
                  <LossEpsilonChart series={series} />
                )}
              </Card>
              <Card title="Report metrics" labelledBy="compare-metrics" flush>
                {reports.some((query) => query.isPending) ? (
                  <LoadingState label="Loading reports" />
                ) : (
                  <MetricsTable jobs={selected} reports={reports.map((query) => query.data)} />
                )}
              </Card>
            </>
          )}
        </>
      )}
    </div>
  );
}
