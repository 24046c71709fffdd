import "server-only";
import { type Budget, budgetOf } from "@dpsynth/db";
import type { TCaller } from "../auth/authenticate.ts";
import type { TServerContext } from "../context.ts";
import { findDataset } from "../datasets/queries.ts";
import { buildSpec, SPEC_DATASET_SELECT } from "./build-spec.ts";
import type { TCreateJob, TQuote } from "./schemas.ts";

const fmt = (value: number) => String(Math.round(value * 1000) / 1000);

/** What a request would do: the one rule shared by the quote and the real request. */
export function decide(
  requested: { epsilon: number; delta: number },
  budget: Budget,
  allowance: number,
): Pick<TQuote, "outcome" | "message"> {
  if (requested.epsilon > budget.remaining + 1e-9 || requested.delta > budget.deltaRemaining * (1 + 1e-9)) {
    return {
      outcome: "over-budget",
      message: `Epsilon ${fmt(requested.epsilon)} is more than the ${fmt(budget.remaining)} left on this dataset (${fmt(budget.spent)} spent, ${fmt(budget.reserved)} reserved of ${fmt(budget.epsilonTotal)}).`,
    };
  }
  if (requested.epsilon > allowance) {
    return {
      outcome: "needs-approval",
      message: `Epsilon ${fmt(requested.epsilon)} is above your per-job allowance of ${fmt(allowance)}: an admin must approve it first.`,
    };
  }
  return {
    outcome: "runs-now",
    message: `Epsilon ${fmt(requested.epsilon)} is within your allowance and the budget: it is queued at once.`,
  };
}

/** The quote for the new-job form: the spec a request would get (so the same refusals), no side effects. */
export async function quoteJob(ctx: TServerContext, caller: TCaller, request: TCreateJob): Promise<TQuote> {
  const dataset = await findDataset(ctx, caller, request.datasetId, SPEC_DATASET_SELECT);
  const spec = buildSpec(request, { dataset, jobId: "quote", blobs: ctx.blobs });
  const requested = { epsilon: request.epsilon, delta: spec.privacy.delta };
  const budget = await budgetOf(ctx.prisma, dataset.id);
  return {
    ...decide(requested, budget, caller.epsilonAllowance),
    requested,
    remaining: budget.remaining,
    allowance: caller.epsilonAllowance,
    budget,
  };
}
