import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * What every result must hold to be worth keeping: the stamp (commit, date, machine), at least one table whose
 * rows match its columns, and the markdown beside the JSON. Returns the problems found (none: well-formed). Says
 * nothing about the numbers themselves: benchmarks are not tests.
 * @param {string} dir
 * @param {string} name
 * @returns {string[]}
 */
export function resultProblems(dir, name) {
  const jsonPath = join(dir, `${name}.json`);
  if (!existsSync(jsonPath)) return [`${name}.json was not written`];
  /** @type {string[]} */
  const problems = [];
  let result;
  try {
    result = JSON.parse(readFileSync(jsonPath, "utf8"));
  } catch (error) {
    return [`${name}.json is not JSON (${error instanceof Error ? error.message : error})`];
  }
  const meta = result.meta ?? {};
  if (result.benchmark !== name) problems.push(`${name}.json names benchmark ${result.benchmark}`);
  if (!meta.commit) problems.push(`${name}.json has no commit`);
  if (Number.isNaN(Date.parse(meta.date))) problems.push(`${name}.json has no date`);
  if (!(meta.machine?.cores > 0) || !meta.machine?.cpuModel)
    problems.push(`${name}.json does not describe the machine`);
  if (!Array.isArray(result.tables) || result.tables.length === 0) problems.push(`${name}.json has no table`);
  for (const table of result.tables ?? []) {
    if (!Array.isArray(table.rows) || table.rows.length === 0)
      problems.push(`${name}: table "${table.title}" is empty`);
    for (const row of table.rows ?? []) {
      if (row.length !== table.columns.length)
        problems.push(`${name}: a row of "${table.title}" has ${row.length} cells`);
    }
  }
  if (!existsSync(join(dir, `${name}.md`))) problems.push(`${name}.md was not written`);
  return problems;
}
