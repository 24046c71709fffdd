import { describe, expect, it } from "vitest";
import type { TLedgerEntryWire } from "@/components/api/wire-types";
import { groupLedgerByJob } from "./ledger-groups.ts";

let counter = 0;
function entry(
  jobId: string | null,
  kind: TLedgerEntryWire["kind"],
  epsilon: number,
  minute: number,
  extra: Partial<TLedgerEntryWire> = {},
): TLedgerEntryWire {
  counter += 1;
  return {
    id: `entry-${String(counter).padStart(3, "0")}`,
    jobId,
    datasetId: "dataset-1",
    kind,
    mechanism: kind === "CHARGE" ? "dp-sgd" : "reservation",
    runId: kind === "CHARGE" ? "run-1" : null,
    epsilon,
    delta: kind === "CHARGE" ? 1e-6 : 1e-5,
    note: null,
    createdAt: new Date(Date.UTC(2026, 11, 1, 10, minute)).toISOString(),
    ...extra,
  };
}

describe("groupLedgerByJob", () => {
  it("gives each job one group: its reservation, its charges summed, its release", () => {
    const ledger = [
      entry("job-a", "RESERVE", 4, 0),
      entry("job-a", "CHARGE", 1.25, 2),
      entry("job-a", "CHARGE", 1.5, 3),
      entry("job-a", "CHARGE", 0.25, 4, { mechanism: "gaussian-label-counts", runId: "labels" }),
      entry("job-a", "RELEASE", 1, 5),
    ];
    const [group, ...rest] = groupLedgerByJob(ledger);
    expect(rest).toEqual([]);
    expect(group).toMatchObject({
      key: "job-a",
      jobId: "job-a",
      datasetId: "dataset-1",
      reserved: { epsilon: 4, delta: 1e-5 },
      charged: { epsilon: 3 },
      released: { epsilon: 1, delta: 1e-5 },
      settled: true,
      startedAt: ledger[0]?.createdAt,
      lastAt: ledger[4]?.createdAt,
    });
    expect(group?.charged.delta).toBeCloseTo(3e-6, 12);
    // The checkpoints the row expands to: every charge, oldest first, whatever order the API sent them in.
    expect(groupLedgerByJob([...ledger].reverse())[0]?.charges.map((charge) => charge.epsilon)).toEqual([
      1.25, 1.5, 0.25,
    ]);
    expect(group?.entries).toHaveLength(5);
  });

  it("lists the newest job first and keeps a running job unsettled", () => {
    const groups = groupLedgerByJob([
      entry("job-old", "RESERVE", 2, 0),
      entry("job-new", "RESERVE", 3, 10),
      entry("job-old", "CHARGE", 0.5, 11),
      entry("job-old", "RELEASE", 1.5, 12),
      entry("job-new", "CHARGE", 0.75, 13),
    ]);
    expect(groups.map((group) => group.key)).toEqual(["job-new", "job-old"]);
    expect(groups[0]).toMatchObject({ settled: false, charged: { epsilon: 0.75 }, released: { epsilon: 0 } });
    expect(groups[1]).toMatchObject({ settled: true, charged: { epsilon: 0.5 }, released: { epsilon: 1.5 } });
  });

  it("keeps an entry that belongs to no job as a group of its own", () => {
    const groups = groupLedgerByJob([entry(null, "CHARGE", 0.5, 0), entry(null, "CHARGE", 0.25, 1)]);
    expect(groups).toHaveLength(2);
    expect(groups.map((group) => group.charged.epsilon)).toEqual([0.25, 0.5]);
    expect(groups.every((group) => group.jobId === null)).toBe(true);
  });

  it("is empty for an empty ledger", () => {
    expect(groupLedgerByJob([])).toEqual([]);
  });
});
