import type { TQuoteWire } from "@/components/api/wire-types";
import { BudgetBar } from "@/components/ui/budget-bar";
import { formatEpsilon, formatMinutes } from "@/components/ui/format";
import { ErrorAlert } from "@/components/ui/states";

const LOOK: Record<TQuoteWire["outcome"], { tone: string; title: string }> = {
  "runs-now": { tone: "alert-success", title: "Runs now" },
  "needs-approval": { tone: "alert-warning", title: "Needs approval" },
  "over-budget": { tone: "alert-danger", title: "Exceeds the budget" },
};

/** The requested ε as the mechanisms share it: the label releases are paid from it, training gets the rest. */
function splitInWords(quote: TQuoteWire): string {
  const { training, labelCounts, labelSet } = quote.split;
  const parts = [`ε ${formatEpsilon(training.epsilon)} trains the model`];
  if (labelSet) parts.push(`ε ${formatEpsilon(labelSet.epsilon)} finds the labels with differential privacy`);
  if (labelCounts) parts.push(`ε ${formatEpsilon(labelCounts.epsilon)} releases the label counts`);
  return `Of the ε ${formatEpsilon(quote.requested.epsilon)} asked for: ${parts.join(", ")}.`;
}

/** Whether the trainers online can run the model: nothing when they can, else why not (blocking or not). */
function CapacityAlert({ capacity }: { capacity: TQuoteWire["capacity"] }) {
  if (!capacity || capacity.verdict === "ok") return null;
  const blocked = capacity.verdict === "blocked";
  return (
    <div
      className={`alert ${blocked ? "alert-danger" : "alert-warning"}`}
      role="status"
      aria-live="polite"
      data-testid="quote-capacity"
      data-verdict={capacity.verdict}
    >
      <div>
        <strong>{blocked ? "Cannot run here:" : "Cannot run now:"}</strong> {capacity.message}
      </div>
    </div>
  );
}

/** How long the job should take, from the throughput measured for its model, or why there is no estimate. */
function estimateInWords(estimate: TQuoteWire["estimate"]): string {
  if (!estimate) return "No time estimate: nobody has measured this model's throughput here yet.";
  const { training, sampling } = estimate.stages;
  return (
    `Takes ${formatMinutes(estimate.totalS)} (training ${formatMinutes(training)}, sampling ${formatMinutes(sampling)}) ` +
    `at the speed measured on ${estimate.machine} (${estimate.source}).`
  );
}

/**
 * What submitting would do, before it is submitted; refreshed as the request changes. While the form holds
 * `blockers` there is no request to check, so they are shown instead of the last quote, which would be stale.
 */
export function QuotePanel({
  quote,
  loading,
  error,
  blockers,
}: {
  quote: TQuoteWire | undefined;
  loading: boolean;
  error: unknown;
  blockers: string[];
}) {
  if (blockers.length) {
    return (
      <div className="alert alert-info" role="status" aria-live="polite" data-testid="quote-blocked">
        <div>
          <div className="alert-title">Not checked yet</div>
          <ul className="alert-list">
            {blockers.map((blocker) => (
              <li key={blocker}>{blocker}</li>
            ))}
          </ul>
        </div>
      </div>
    );
  }
  if (error) return <ErrorAlert error={error} title="Could not check this request" />;
  if (!quote) {
    return (
      <div className="alert alert-info" role="status" aria-live="polite">
        {loading ? "Checking your allowance and the dataset's budget…" : "Checking this request…"}
      </div>
    );
  }
  const look = LOOK[quote.outcome];
  return (
    <div className="stack" data-testid="quote" data-outcome={quote.outcome}>
      <CapacityAlert capacity={quote.capacity} />
      <div className={`alert ${look.tone}`} role="status" aria-live="polite">
        <div>
          <div className="alert-title">
            {look.title}
            {loading && <span className="faint"> · updating</span>}
          </div>
          {quote.message}
        </div>
      </div>
      <div className="stack" style={{ gap: 6 }}>
        <div className="spread muted" style={{ fontSize: 12.5 }}>
          <span>Dataset budget</span>
          <span className="num" data-testid="quote-allowance">
            your allowance on this dataset: ε {formatEpsilon(quote.allowance)}
            {quote.held > 0 ? `, ε ${formatEpsilon(quote.held)} of it held by your jobs` : ""}
          </span>
        </div>
        <BudgetBar budget={quote.budget} />
      </div>
      <p className="muted" style={{ fontSize: 12.5 }} data-testid="quote-split">
        {splitInWords(quote)}
      </p>
      <p className="muted" style={{ fontSize: 12.5 }} data-testid="quote-estimate">
        {estimateInWords(quote.estimate)}
      </p>
    </div>
  );
}
