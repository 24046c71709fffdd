import { formatEpsilon } from "./format";

export type TBudgetView = { epsilonTotal: number; spent: number; reserved: number; remaining: number };

function share(part: number, total: number): number {
  return total > 0 ? Math.min(100, Math.max(0, (part / total) * 100)) : 0;
}

/** Spent, reserved and remaining epsilon of a dataset, as a bar and in numbers. */
export function BudgetBar({ budget, compact = false }: { budget: TBudgetView; compact?: boolean }) {
  const spent = share(budget.spent, budget.epsilonTotal);
  const reserved = Math.min(100 - spent, share(budget.reserved, budget.epsilonTotal));
  return (
    <div className="budget">
      <div
        className="budget-track"
        role="img"
        aria-label={`Privacy budget: ε ${formatEpsilon(budget.spent)} spent, ${formatEpsilon(budget.reserved)} reserved, ${formatEpsilon(budget.remaining)} remaining of ${formatEpsilon(budget.epsilonTotal)}`}
        style={compact ? { height: 8 } : undefined}
      >
        <div className="budget-spent" style={{ width: `${spent}%` }} />
        <div className="budget-reserved" style={{ width: `${reserved}%` }} />
      </div>
      {!compact && (
        <div className="budget-legend num">
          <span>
            <span className="legend-dot" style={{ background: "var(--spent)" }} />
            Spent ε {formatEpsilon(budget.spent)}
          </span>
          <span>
            <span className="legend-dot" style={{ background: "var(--reserved)" }} />
            Reserved ε {formatEpsilon(budget.reserved)}
          </span>
          <span>
            <span
              className="legend-dot"
              style={{ background: "var(--surface-muted)", border: "1px solid var(--border)" }}
            />
            Remaining ε {formatEpsilon(budget.remaining)} of {formatEpsilon(budget.epsilonTotal)}
          </span>
        </div>
      )}
    </div>
  );
}
