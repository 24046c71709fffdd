import { PRESETS, type TPresetName, type TRowWork } from "@dpsynth/contracts";
import { formatInteger } from "@/components/ui/format";

/** Synthetic rows beyond this many times the training rows repeat what the model learned, at the cost of time. */
const ROWS_PER_TRAINING_ROW = 10;

/** Sequence lengths the warnings suggest are rounded up to this many tokens. */
const TOKEN_STEP = 16;

/**
 * What the owner should hear before submitting a request that would run, but not as they may expect: a logical
 * batch larger than the training rows (each step samples most of them, so few steps fit the budget), far more
 * synthetic rows than training rows, or rows longer than the model is let to read or write (most rows cut short).
 * They warn; they do not block.
 */
export function requestWarnings({
  trainRows,
  preset,
  logicalBatchSize,
  syntheticRows,
  maxSeqLen,
  maxNewTokens,
  rowWork,
  textColumn,
}: {
  trainRows: number;
  preset: TPresetName;
  /** The owner's overrides, if any; the preset's otherwise. */
  logicalBatchSize: number | undefined;
  maxSeqLen: number | undefined;
  maxNewTokens: number | undefined;
  syntheticRows: number;
  /** An average row in tokens, from the current quote; undefined while there is none. */
  rowWork: Pick<TRowWork, "rowTokens" | "textTokens"> | undefined;
  textColumn: string;
}): string[] {
  const warnings: string[] = [];
  const batch = logicalBatchSize ?? PRESETS[preset].training.logicalBatchSize;
  const seqLen = maxSeqLen ?? PRESETS[preset].training.maxSeqLen;
  const newTokens = maxNewTokens ?? PRESETS[preset].sampling.maxNewTokens;
  if (batch > trainRows) {
    warnings.push(
      `The logical batch (${formatInteger(batch)} rows) is larger than the dataset's ${formatInteger(trainRows)} training rows: each step then samples most of them and few steps fit the budget. Lower it under Hyper-parameters.`,
    );
  }
  if (syntheticRows > ROWS_PER_TRAINING_ROW * trainRows) {
    warnings.push(
      `${formatInteger(syntheticRows)} synthetic rows is more than ${ROWS_PER_TRAINING_ROW} times the ${formatInteger(trainRows)} training rows: sampling takes longer with every row, and the extra rows repeat what the model learned from the same data.`,
    );
  }
  if (rowWork && rowWork.rowTokens > seqLen) {
    warnings.push(
      `A row of this dataset with its prompt comes to about ${formatInteger(rowWork.rowTokens)} tokens on average, more than the max sequence length of ${formatInteger(seqLen)}: most rows would be cut short for training, and the model would learn rows shorter than yours. Raise the max sequence length under Hyper-parameters to about ${formatInteger(roundUp(rowWork.rowTokens * 1.25))}; training takes longer in proportion.`,
    );
  }
  if (rowWork && rowWork.textTokens > newTokens) {
    warnings.push(
      `The text column “${textColumn}” averages about ${formatInteger(rowWork.textTokens)} tokens, but synthetic texts stop at ${formatInteger(newTokens)} (max new tokens per row): most would end early. Raise it under Hyper-parameters to about ${formatInteger(roundUp(rowWork.textTokens * 1.25))}.`,
    );
  }
  return warnings;
}

function roundUp(tokens: number) {
  return Math.ceil(tokens / TOKEN_STEP) * TOKEN_STEP;
}
