import { appendFileSync } from "node:fs";
import { afterAll } from "vitest";

/**
 * What the hardening suite reports the way issue 13 counted it: requests tried, answers with a 5xx status, faults
 * the stack survived. Each test file appends its counts as one JSON line to HARDENING_TALLY (set by `npm test`,
 * which sums them); a file that fails still reports what it tried.
 */
export interface TTally {
  cases: number;
  serverErrors: number;
  faults: string[];
}

const counts: TTally = { cases: 0, serverErrors: 0, faults: [] };
/** While a fault test has taken a dependency away, 503 is the answer it wants, not a server error. */
let outage = false;

export const tally = {
  answer(status: number) {
    counts.cases += 1;
    if (status >= 500 && !(outage && status === 503)) counts.serverErrors += 1;
  },
  /** Runs `work` while a dependency is away (Redis or PostgreSQL stopped): 503s then count as intended. */
  async outage<T>(work: () => Promise<T>): Promise<T> {
    outage = true;
    try {
      return await work();
    } finally {
      outage = false;
    }
  },
  /** A fault the stack came through with every check of its test passing. */
  survived(fault: string) {
    counts.faults.push(fault);
  },
};

afterAll(() => {
  const file = process.env.HARDENING_TALLY;
  if (file) appendFileSync(file, `${JSON.stringify(counts)}\n`);
});
