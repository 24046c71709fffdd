/** Why an uploaded file was refused; each code maps to a 4xx answer whose message says what to fix. */
export type TDatasetErrorCode =
  | "empty_file"
  | "binary_file"
  | "bad_encoding"
  | "no_header"
  | "ragged_rows"
  | "too_many_columns"
  | "cell_too_large"
  | "malformed_csv"
  | "unknown_column"
  | "unknown_label"
  | "empty_labels"
  | "empty_text"
  | "one_label_class"
  | "too_many_labels"
  | "too_few_rows"
  | "too_large"
  | "bad_options";

/**
 * A refusal of the file itself. Messages name rows, lines and columns, never a cell's content: they reach
 * logs and the client, and the file is private data.
 */
export class DatasetError extends Error {
  constructor(
    readonly code: TDatasetErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "DatasetError";
  }
}
