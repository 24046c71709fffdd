import type { TReport } from "@dpsynth/contracts";
import { formatEpsilon, formatInteger, formatNumber, formatPercent } from "@/components/ui/format";
import { Card, Stat } from "@/components/ui/page-header";

const CLASSIFIER_NAMES: Record<string, string> = {
  tfidf: "TF-IDF + logistic regression",
  embedding: "MiniLM embeddings + logistic regression",
  transformer: "Fine-tuned transformer",
};

function ratioTone(ratio: number): string {
  if (ratio >= 0.9) return "badge-success";
  if (ratio >= 0.7) return "badge-warning";
  return "badge-danger";
}

function UtilityTable({ report }: { report: TReport }) {
  return (
    <div className="table-wrap">
      <table className="table wrap-head" aria-label="Real versus synthetic utility">
        <thead>
          <tr>
            <th scope="col">Classifier</th>
            <th scope="col" className="right">
              Accuracy (real)
            </th>
            <th scope="col" className="right">
              Accuracy (synthetic)
            </th>
            <th scope="col" className="right">
              Macro-F1 (real)
            </th>
            <th scope="col" className="right">
              Macro-F1 (synthetic)
            </th>
            <th scope="col" className="right">
              Synthetic / real F1
            </th>
          </tr>
        </thead>
        <tbody>
          {report.utility.map((row) => (
            <tr key={row.classifier}>
              <th scope="row">{CLASSIFIER_NAMES[row.classifier] ?? row.classifier}</th>
              <td className="right">{formatPercent(row.real.accuracy)}</td>
              <td className="right">{formatPercent(row.synthetic.accuracy)}</td>
              <td className="right">{formatNumber(row.real.macroF1)}</td>
              <td className="right">{formatNumber(row.synthetic.macroF1)}</td>
              <td className="right">
                <span className={`badge plain ${ratioTone(row.ratio.macroF1)}`}>
                  {formatPercent(row.ratio.macroF1, 0)}
                </span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
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

/** report.json, rendered: utility first, then faithfulness, fidelity and the privacy side. */
export function ReportView({ report }: { report: TReport }) {
  const best = report.utility.reduce<TReport["utility"][number] | null>(
    (top, row) => (!top || row.real.accuracy > top.real.accuracy ? row : top),
    null,
  );
  const training = report.privacy.training;
  return (
    <div className="stack" style={{ gap: 16 }}>
      <div className="grid grid-4">
        <Stat
          label="Accuracy, trained on real"
          value={best ? formatPercent(best.real.accuracy) : "—"}
          hint={best ? CLASSIFIER_NAMES[best.classifier] : undefined}
        />
        <Stat
          label="Accuracy, trained on synthetic"
          value={best ? formatPercent(best.synthetic.accuracy) : "—"}
          hint={best ? `${formatPercent(best.ratio.accuracy, 0)} of real` : undefined}
        />
        <Stat
          label="Label faithfulness"
          value={formatPercent(report.labelFaithfulness.agreement)}
          hint="real-data classifier agrees with the requested label"
        />
        <Stat
          label="Privacy spent"
          value={`ε ${formatEpsilon(report.privacy.total.epsilon)}`}
          hint={`δ ${report.privacy.total.delta.toExponential(0)}`}
        />
      </div>

      <Card title="Utility: real versus synthetic" labelledBy="report-utility" flush>
        <UtilityTable report={report} />
        <p className="muted" style={{ padding: "10px 18px 14px", fontSize: 12.5 }}>
          Both classifiers are tested on the same real holdout ({formatInteger(report.data.holdoutRows)} rows), one
          trained on {formatInteger(report.data.trainRows)} real rows, the other on{" "}
          {formatInteger(report.sampling.parsed)} synthetic rows.
        </p>
      </Card>

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
                <span key={mechanism.mechanism} style={{ display: "contents" }}>
                  <dt>{mechanism.mechanism}</dt>
                  <dd>
                    ε {formatEpsilon(mechanism.epsilon, 3)}, δ {mechanism.delta.toExponential(1)}
                  </dd>
                </span>
              ))}
            </dl>
          </div>
        </Card>
        <Card title="Sampling" labelledBy="report-sampling">
          <dl className="kv">
            <dt>Rows requested</dt>
            <dd>{formatInteger(report.sampling.requested)}</dd>
            <dt>Rows generated</dt>
            <dd>{formatInteger(report.sampling.generated)}</dd>
            <dt>Parsed into CSV rows</dt>
            <dd>{formatInteger(report.sampling.parsed)}</dd>
            <dt>Failed to parse</dt>
            <dd>{formatInteger(report.sampling.failedToParse)}</dd>
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

      {Object.keys(report.examples).length > 0 && (
        <Card title="Synthetic examples" labelledBy="report-examples">
          <div className="grid grid-2">
            {Object.entries(report.examples).map(([label, rows]) => (
              <div key={label} className="stack" style={{ gap: 6 }}>
                <span className="badge plain badge-accent" style={{ alignSelf: "flex-start" }}>
                  {label}
                </span>
                <ul style={{ margin: 0, paddingLeft: 18 }} className="stack">
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
