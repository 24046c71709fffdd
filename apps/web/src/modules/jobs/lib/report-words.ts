import type { TReport } from "@dpsynth/contracts";

/** The report in plain words an owner understands: what each number means for them, never a new number. */

const CLASSIFIERS: Record<string, { name: string; inWords: string }> = {
  tfidf: { name: "Word counts (TF-IDF + logistic regression)", inWords: "a word-count classifier" },
  embedding: {
    name: "Sentence meaning (MiniLM embeddings + logistic regression)",
    inWords: "a sentence-meaning classifier",
  },
  transformer: { name: "Fine-tuned transformer", inWords: "a fine-tuned transformer" },
};

/** A classifier's name for tables. */
export const classifierName = (classifier: string) => CLASSIFIERS[classifier]?.name ?? classifier;
/** A classifier in a sentence ("a word-count classifier"). */
export const classifierInWords = (classifier: string) =>
  CLASSIFIERS[classifier]?.inWords ?? `the ${classifier} classifier`;

const VERDICTS: Record<TReport["summary"]["verdict"], { label: string; tone: string }> = {
  useful: { label: "Useful", tone: "badge-success" },
  weak: { label: "Weak", tone: "badge-warning" },
  "not-useful": { label: "Not useful", tone: "badge-danger" },
  "no-rows": { label: "No rows", tone: "badge-danger" },
};

export function verdictLook(verdict: TReport["summary"]["verdict"]) {
  return VERDICTS[verdict] ?? { label: verdict, tone: "" };
}

const percent = (value: number) => `${Math.round(value * 100)}%`;

/** The classifier whose real-data score is highest: the fairest yardstick for the synthetic rows. */
export function bestClassifier(report: TReport): TReport["utility"][number] | null {
  return report.utility.reduce<TReport["utility"][number] | null>(
    (top, row) => (!top || row.real.accuracy > top.real.accuracy ? row : top),
    null,
  );
}

/** One sentence: how a classifier trained on synthetic rows does on real rows, against real rows and the baseline. */
export function utilitySentence(report: TReport): string | null {
  const best = bestClassifier(report);
  if (!best) return null;
  const baseline = report.baseline?.utility.find((row) => row.classifier === best.classifier);
  const shares = Object.values(report.fidelity.labelBalance.real);
  const majority = shares.length > 0 ? Math.max(...shares) : null;
  const parts = [
    `Trained on the synthetic rows, ${classifierInWords(best.classifier)} labels ${percent(best.synthetic.accuracy)} of the real held-out rows correctly`,
    `; trained on your real rows, ${percent(best.real.accuracy)}`,
    ` (synthetic reaches ${percent(best.ratio.accuracy)} of real)`,
  ];
  if (baseline) {
    parts.push(
      `. Rows from the model before any training on your data (the prior-only baseline, no privacy cost) reach ${percent(baseline.synthetic.accuracy)}`,
    );
  }
  if (majority !== null) parts.push(`; always guessing the most common label would get about ${percent(majority)}`);
  return `${parts.join("")}.`;
}

/** One sentence on label faithfulness, with the baseline's when it ran. */
export function faithfulnessSentence(report: TReport): string {
  const own = report.labelFaithfulness.agreement;
  const baseline = report.baseline?.labelFaithfulness.agreement;
  return (
    `${percent(own)} of the synthetic rows read as the label they were written for, judged by a classifier trained on ` +
    `your real rows${baseline === undefined ? "" : ` (prior-only baseline: ${percent(baseline)})`}.`
  );
}
