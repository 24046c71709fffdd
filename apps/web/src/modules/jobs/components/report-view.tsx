import type { TReport } from "@dpsynth/contracts";
import { Fragment } from "react";
import { formatEpsilon, formatInteger, formatNumber, formatPercent } from "@/components/ui/format";
import { Card, Stat } from "@/components/ui/page-header";
import {
  classifierInWords,
  classifierName,
  faithfulnessSentence,
  utilitySentence,
  verdictLook,
} from "../lib/report-words";

function ratioTone(ratio: number): string {
  if (ratio >= 0.9) return "badge-success";
  if (ratio >= 0.7) return "badge-warning";
  return "badge-danger";
}

/** The report's verdict, its headline and reasons: the first thing an owner reads. */
function Summary({ report }: { report: TReport }) {
  const look = verdictLook(report.summary.verdict);
  return (
    <section className="card card-body stack" aria-labelledby="report-summary" data-verdict={report.summary.verdict}>
      <div className="row" style={{ gap: 10, flexWrap: "wrap" }}>
        <span className={`badge ${look.tone}`}>{look.label}</span>
        <h3 id="report-summary" style={{ margin: 0 }}>
          {report.summary.headline}
        </h3>
      </div>
      {report.summary.points.length > 0 && (
        <ul style={{ margin: 0, paddingLeft: 18 }} className="stack">
          {report.summary.points.map((point) => (
            <li key={point}>{point}</li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** TSTR beside TRTR and the prior-only baseline, per classifier, on the same real holdout. */
function UtilityTable({ report }: { report: TReport }) {
  const baselineOf = (classifier: string) => report.baseline?.utility.find((row) => row.classifier === classifier);
  return (
    <div className="table-wrap">
      <table className="table wrap-head" aria-label="Real versus synthetic utility">
        <thead>
          <tr>
            <th scope="col">Classifier</th>
            <th scope="col" className="right">
              Trained on real rows
            </th>
            <th scope="col" className="right">
              Trained on synthetic rows
            </th>
            <th scope="col" className="right">
              Synthetic / real
            </th>
            <th scope="col" className="right">
              Prior-only baseline (no training)
            </th>
          </tr>
        </thead>
        <tbody>
          {report.utility.map((row) => {
            const baseline = baselineOf(row.classifier);
            return (
              <tr key={row.classifier}>
                <th scope="row">{classifierName(row.classifier)}</th>
                <td className="right">
                  {formatPercent(row.real.accuracy)}
                  <div className="muted">F1 {formatNumber(row.real.macroF1, 2)}</div>
                </td>
                <td className="right">
                  {formatPercent(row.synthetic.accuracy)}
                  <div className="muted">F1 {formatNumber(row.synthetic.macroF1, 2)}</div>
                </td>
                <td className="right">
                  <span className={`badge plain ${ratioTone(row.ratio.accuracy)}`}>
                    {formatPercent(row.ratio.accuracy, 0)}
                  </span>
                </td>
                <td className="right">
                  {baseline ? (
                    <>
                      {formatPercent(baseline.synthetic.accuracy)}
                      <div className="muted">F1 {formatNumber(baseline.synthetic.macroF1, 2)}</div>
                    </>
                  ) : (
                    <span className="muted">not run</span>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function Faithfulness({ report }: { report: TReport }) {
  const judges = Object.entries(report.labelFaithfulness.byClassifier);
  const baseline = report.baseline?.labelFaithfulness.byClassifier ?? {};
  return (
    <div className="stack">
      <p>{faithfulnessSentence(report)}</p>
      {judges.length > 0 && (
        <dl className="kv">
          {judges.map(([classifier, agreement]) => (
            <Fragment key={classifier}>
              <dt>Judged by {classifierInWords(classifier)}</dt>
              <dd>
                {formatPercent(agreement)}
                {baseline[classifier] === undefined ? null : (
                  <span className="muted"> · baseline {formatPercent(baseline[classifier])}</span>
                )}
              </dd>
            </Fragment>
          ))}
        </dl>
      )}
    </div>
  );
}

function DiagnosticsList({ report }: { report: TReport }) {
  const diagnostics = report.privacyDiagnostics;
  const auc = diagnostics.membershipInferenceAuc;
  return (
    <>
      <dl className="kv">
        <dt>Exact copies of training rows</dt>
        <dd>
          <span className={`badge plain ${diagnostics.exactCopies === 0 ? "badge-success" : "badge-warning"}`}>
            {formatInteger(diagnostics.exactCopies)}
          </span>
        </dd>
        <dt>Near copies (similarity ≥ {formatNumber(diagnostics.nearCopyThreshold, 2)})</dt>
        <dd>{formatInteger(diagnostics.nearCopies)}</dd>
        <dt>Distance to closest record, synthetic → train (median)</dt>
        <dd>{formatNumber(diagnostics.dcr.syntheticToTrainMedian)}</dd>
        <dt>Distance to closest record, holdout → train (median)</dt>
        <dd>{formatNumber(diagnostics.dcr.holdoutToTrainMedian)}</dd>
        <dt>Membership-inference AUC</dt>
        <dd>{auc === null ? "not measured" : formatNumber(auc)}</dd>
      </dl>
      <p className="faint" style={{ fontSize: 12.5, marginTop: 10 }}>
        A membership-inference AUC near 0.5 means a loss-based attacker cannot tell training rows from holdout rows.
      </p>
    </>
  );
}

function FidelityList({ report }: { report: TReport }) {
  const fidelity = report.fidelity;
  return (
    <dl className="kv">
      <dt>Label balance distance (total variation)</dt>
      <dd>{formatNumber(fidelity.labelBalance.totalVariation)}</dd>
      <dt>Length: mean words, real / synthetic</dt>
      <dd>
        {formatNumber(fidelity.length.realMean, 1)} / {formatNumber(fidelity.length.syntheticMean, 1)} (KS{" "}
        {formatNumber(fidelity.length.ks)})
      </dd>
      <dt>Word n-gram Jensen–Shannon</dt>
      <dd>{formatNumber(fidelity.ngramJensenShannon)}</dd>
      <dt>Embedding distance</dt>
      <dd>{fidelity.embeddingDistance === null ? "not measured" : formatNumber(fidelity.embeddingDistance)}</dd>
    </dl>
  );
}

/**
 * report.json, rendered: the verdict first, then whether the synthetic rows train a useful classifier (beside real
 * rows and the prior-only baseline) and keep their labels; then the details.
 */
export function ReportView({ report }: { report: TReport }) {
  const training = report.privacy.training;
  const sentence = utilitySentence(report);
  return (
    <div className="stack" style={{ gap: 16 }}>
      <Summary report={report} />

      <Card title="Utility: do the synthetic rows train a useful classifier?" labelledBy="report-utility" flush>
        {sentence && <p style={{ padding: "12px 18px 0", margin: 0 }}>{sentence}</p>}
        <UtilityTable report={report} />
        <p className="muted" style={{ padding: "10px 18px 14px", fontSize: 12.5 }}>
          Every classifier is tested on the same real holdout ({formatInteger(report.data.holdoutRows)} rows), trained
          on {formatInteger(report.data.trainRows)} real rows, on {formatInteger(report.sampling.parsed)} synthetic rows
          {report.baseline ? `, or on ${formatInteger(report.baseline.rows)} rows of the untrained model` : ""}.
        </p>
      </Card>

      <div className="grid grid-2">
        <Card title="Label faithfulness" labelledBy="report-faithfulness">
          <Faithfulness report={report} />
        </Card>
        <div className="grid grid-2">
          <Stat
            label="Privacy spent"
            value={`ε ${formatEpsilon(report.privacy.total.epsilon)}`}
            hint={`δ ${report.privacy.total.delta.toExponential(0)}`}
          />
          <Stat
            label="Rows delivered"
            value={`${formatInteger(report.sampling.parsed)} / ${formatInteger(report.sampling.requested)}`}
            hint={`${formatPercent(report.sampling.acceptanceRate, 0)} of candidates kept`}
          />
        </div>
      </div>

      <div className="grid grid-2">
        <Card title="Fidelity" labelledBy="report-fidelity">
          <FidelityList report={report} />
        </Card>
        <Card title="Privacy diagnostics" labelledBy="report-diagnostics">
          <DiagnosticsList report={report} />
        </Card>
      </div>

      <div className="grid grid-2">
        <Card title="Privacy statement" labelledBy="report-statement">
          <div className="stack">
            <p>{report.privacy.statement}</p>
            <dl className="kv">
              <dt>Accountant</dt>
              <dd>{training.accountant.toUpperCase()}</dd>
              <dt>Noise multiplier</dt>
              <dd>{formatNumber(training.noiseMultiplier)}</dd>
              <dt>Sampling rate</dt>
              <dd>{formatNumber(training.sampleRate, 4)}</dd>
              <dt>Steps · epochs</dt>
              <dd>
                {formatInteger(training.steps)} · {formatNumber(training.epochs, 2)}
              </dd>
              <dt>Clipping norm</dt>
              <dd>{training.maxGradNorm}</dd>
              {report.privacy.mechanisms.map((mechanism) => (
                // A <dl> holds only <dt>/<dd> pairs (or <div>s): a wrapping <span> hides them from assistive tech.
                <Fragment key={mechanism.mechanism}>
                  <dt>{mechanism.mechanism}</dt>
                  <dd>
                    ε {formatEpsilon(mechanism.epsilon, 3)}, δ {mechanism.delta.toExponential(1)}
                  </dd>
                </Fragment>
              ))}
            </dl>
          </div>
        </Card>
        <Card title="Sampling" labelledBy="report-sampling">
          <dl className="kv">
            <dt>Rows requested</dt>
            <dd>{formatInteger(report.sampling.requested)}</dd>
            <dt>Candidates generated</dt>
            <dd>{formatInteger(report.sampling.generated)}</dd>
            <dt>Rows delivered</dt>
            <dd>{formatInteger(report.sampling.parsed)}</dd>
            <dt>Short of the request</dt>
            <dd>
              <span className={report.sampling.shortfall > 0 ? "text-warning" : undefined}>
                {formatInteger(report.sampling.shortfall)}
              </span>
            </dd>
            <dt>Candidates rejected by re-scoring</dt>
            <dd>{report.sampling.rescoring ? formatInteger(report.sampling.rejected) : "re-scoring off"}</dd>
            <dt>Candidates with an empty value</dt>
            <dd>{formatInteger(report.sampling.failedToParse)}</dd>
            <dt>Label guidance</dt>
            <dd>{report.sampling.guidance === 0 ? "off" : formatNumber(report.sampling.guidance, 2)}</dd>
            <dt>Label mix</dt>
            <dd>
              {Object.entries(report.sampling.labelMix)
                .map(([label, share]) => `${label} ${formatPercent(share, 0)}`)
                .join(" · ")}{" "}
              <span className="muted">({report.sampling.labelMixSource})</span>
            </dd>
          </dl>
        </Card>
      </div>

      <Card title="Prompts" labelledBy="report-prompts">
        <div className="stack">
          <p className="muted">
            Each label's rows were conditioned on this prompt ({report.prompt.style}), built from public words only.
          </p>
          {Object.entries(report.prompt.examples).map(([label, prompt]) => (
            <div key={label} className="stack" style={{ gap: 4 }}>
              <span className="badge plain badge-accent" style={{ alignSelf: "flex-start" }}>
                {label}
              </span>
              <pre className="prompt-example">{prompt}</pre>
            </div>
          ))}
        </div>
      </Card>

      {Object.keys(report.examples).length > 0 && (
        <Card title="Synthetic examples" labelledBy="report-examples">
          <div className="grid grid-2">
            {Object.entries(report.examples).map(([label, rows]) => (
              <div key={label} className="stack" style={{ gap: 6 }}>
                <span className="badge plain badge-accent" style={{ alignSelf: "flex-start" }}>
                  {label}
                </span>
                {/* Rows of data, not the dashboard's words: checks of the interface's text skip them. */}
                <ul style={{ margin: 0, paddingLeft: 18 }} className="stack" data-content="rows">
                  {rows.slice(0, 3).map((row, index) => (
                    // biome-ignore lint/suspicious/noArrayIndexKey: generated rows may repeat
                    <li key={index} style={{ overflowWrap: "anywhere" }}>
                      {row}
                    </li>
                  ))}
                </ul>
              </div>
            ))}
          </div>
        </Card>
      )}
    </div>
  );
}
