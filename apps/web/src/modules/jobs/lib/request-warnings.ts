import { PRESETS, type TPresetName } from "@dpsynth/contracts";
import { formatInteger } from "@/components/ui/format";

/** Synthetic rows beyond this many times the training rows repeat what the model learned, at the cost of time. */
const ROWS_PER_TRAINING_ROW = 10;

/**
 * What the owner should hear before submitting a request that would run, but not as they may expect: a logical
 * batch larger than the training rows (each step samples most of them, so few steps fit the budget), or far more
 * synthetic rows than training rows. They warn; they do not block.
 */
export function requestWarnings({
  trainRows,
  preset,
  logicalBatchSize,
  syntheticRows,
}: {
  trainRows: number;
  preset: TPresetName;
  /** The owner's override, if any; the preset's otherwise. */
  logicalBatchSize: number | undefined;
  syntheticRows: number;
}): string[] {
  const warnings: string[] = [];
  const batch = logicalBatchSize ?? PRESETS[preset].training.logicalBatchSize;
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
  return warnings;
}
