import type { TDatasetErrorCode } from "@dpsynth/datasets";

/** Every error code the API answers with, and its one HTTP status. */
export const ERROR_STATUS = {
  bad_request: 400,
  validation_failed: 400,
  unknown_model: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  over_budget: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal: 500,
  integrity_error: 500,
  unavailable: 503,
  // Refusals of an uploaded file (packages/datasets): the file needs fixing, so 400 except for its size.
  empty_file: 400,
  binary_file: 400,
  bad_encoding: 400,
  no_header: 400,
  ragged_rows: 400,
  too_many_columns: 400,
  cell_too_large: 400,
  malformed_csv: 400,
  unknown_column: 400,
  unknown_label: 400,
  empty_labels: 400,
  empty_text: 400,
  one_label_class: 400,
  too_many_labels: 400,
  too_few_rows: 400,
  too_large: 413,
  bad_options: 400,
} as const satisfies Record<TDatasetErrorCode, number> & Record<string, number>;

export type TErrorCode = keyof typeof ERROR_STATUS;

/**
 * An error meant for the client: its message is shown to the user as is, so it says what to do and never
 * quotes a record. `details` carries numbers the client may render (e.g. the remaining budget).
 */
export class AppError extends Error {
  constructor(
    readonly code: TErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "AppError";
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export const notFound = (what: string) => new AppError("not_found", `${what} was not found.`);
