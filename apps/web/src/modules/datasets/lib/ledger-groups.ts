import type { TLedgerEntryWire } from "@/components/api/wire-types";

type TAmount = { epsilon: number; delta: number };

/** One job's part of a ledger: what it reserved, what its charges add up to, what it gave back. */
export type TLedgerGroup = {
  /** The job's id; for an entry without a job, the entry's own id. */
  key: string;
  jobId: string | null;
  /** The dataset of the job (another upload of the same file when the budget is shared). */
  datasetId: string | null;
  /** When the job's first entry (its reservation) was written, and its last. */
  startedAt: string;
  lastAt: string;
  reserved: TAmount;
  charged: TAmount;
  released: TAmount;
  /** Whether the job's reservation was settled (a RELEASE entry exists); until then part of it may still be open. */
  settled: boolean;
  /** The job's charges (one per checkpoint the trainer reported), oldest first. */
  charges: TLedgerEntryWire[];
  /** Every entry of the job, oldest first. */
  entries: TLedgerEntryWire[];
};

const add = (sum: TAmount, entry: TLedgerEntryWire): TAmount => ({
  epsilon: sum.epsilon + entry.epsilon,
  delta: sum.delta + entry.delta,
});

/**
 * Groups a ledger's entries by job, newest job first: one reservation, its charges summed, its release. The ledger
 * itself stays append-only, one entry per event; this is only how the dashboard reads it.
 */
export function groupLedgerByJob(entries: TLedgerEntryWire[]): TLedgerGroup[] {
  const sorted = [...entries].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  const groups = new Map<string, TLedgerGroup>();
  for (const entry of sorted) {
    const key = entry.jobId ?? entry.id;
    const zero = { epsilon: 0, delta: 0 };
    const group = groups.get(key) ?? {
      key,
      jobId: entry.jobId,
      datasetId: entry.datasetId,
      startedAt: entry.createdAt,
      lastAt: entry.createdAt,
      reserved: zero,
      charged: zero,
      released: zero,
      settled: false,
      charges: [],
      entries: [],
    };
    group.lastAt = entry.createdAt;
    group.datasetId ??= entry.datasetId;
    group.entries.push(entry);
    if (entry.kind === "RESERVE") group.reserved = add(group.reserved, entry);
    if (entry.kind === "CHARGE") {
      group.charged = add(group.charged, entry);
      group.charges.push(entry);
    }
    if (entry.kind === "RELEASE") {
      group.released = add(group.released, entry);
      group.settled = true;
    }
    groups.set(key, group);
  }
  return [...groups.values()].sort((a, b) => b.startedAt.localeCompare(a.startedAt) || b.key.localeCompare(a.key));
}
