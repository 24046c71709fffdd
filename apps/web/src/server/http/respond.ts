import { randomBytes } from "node:crypto";
import { DatasetError } from "@dpsynth/datasets";
import { BudgetExceededError } from "@dpsynth/db";
import { AppError, ERROR_STATUS } from "./errors.ts";
import { isUnavailable, unavailable } from "./unavailable.ts";

/** The one error body: `{ error: { code, message, details? } }`. */
function errorBody(code: string, message: string, details?: Record<string, unknown>) {
  return { error: details ? { code, message, details } : { code, message } };
}

/** A JSON answer with a status, e.g. 201 for something created. */
export function json(data: unknown, status = 200, headers?: HeadersInit): Response {
  return Response.json(data, { status, headers });
}

/**
 * Turns any thrown value into the error shape. Known errors carry messages written for users; PostgreSQL or Redis
 * being down is 503 `unavailable`; anything else is logged by name and stack frames only (its message may quote
 * data) and answered with a reference.
 */
export function errorResponse(error: unknown): Response {
  if (error instanceof AppError) return json(errorBody(error.code, error.message, error.details), error.status);
  if (error instanceof DatasetError) return json(errorBody(error.code, error.message), ERROR_STATUS[error.code]);
  if (error instanceof BudgetExceededError) {
    const { requested, budget } = error;
    return json(
      errorBody("over_budget", error.message, { requested, remaining: budget.remaining, budget }),
      ERROR_STATUS.over_budget,
    );
  }
  if (isUnavailable(error)) {
    const answer = unavailable(error);
    console.error(`[api] unavailable: ${answer.message} (${error instanceof Error ? error.name : typeof error})`);
    return json(errorBody(answer.code, answer.message), answer.status);
  }
  const ref = randomBytes(4).toString("hex");
  const frames = error instanceof Error ? (error.stack ?? "").split("\n").slice(1, 8).join("\n") : "";
  console.error(`[api] internal error ref=${ref} ${error instanceof Error ? error.name : typeof error}\n${frames}`);
  return json(errorBody("internal", `Something went wrong on the server (reference ${ref}).`), 500);
}
