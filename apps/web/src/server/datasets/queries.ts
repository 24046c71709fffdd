import "server-only";
import { ledgerEntriesOf, type Prisma, setTotalIn, withDatasetLedger } from "@dpsynth/db";
import { audit } from "../audit/audit.ts";
import { datasetsVisibleTo } from "../auth/access.ts";
import type { TCaller } from "../auth/authenticate.ts";
import type { TServerContext } from "../context.ts";
import { notFound } from "../http/errors.ts";
import type { TDataset, TDatasetDetail } from "./schemas.ts";
import { DATASET_SELECT, datasetWire, ledgerWire } from "./serialize.ts";

export async function listDatasets({ prisma }: TServerContext, caller: TCaller): Promise<{ datasets: TDataset[] }> {
  const rows = await prisma.dataset.findMany({
    where: datasetsVisibleTo(caller),
    select: DATASET_SELECT,
    orderBy: { createdAt: "desc" },
  });
  return { datasets: await Promise.all(rows.map((row) => datasetWire(prisma, row))) };
}

/** One dataset the caller may see, with the fields `select` names, or not_found (also for another owner's). */
export async function findDataset<S extends Prisma.DatasetSelect = typeof DATASET_SELECT>(
  { prisma }: TServerContext,
  caller: TCaller,
  id: string,
  select: S = DATASET_SELECT as unknown as S,
): Promise<Prisma.DatasetGetPayload<{ select: S }>> {
  const row = await prisma.dataset.findFirst({ where: { id, ...datasetsVisibleTo(caller) }, select });
  if (!row) throw notFound("The dataset");
  return row as Prisma.DatasetGetPayload<{ select: S }>;
}

export async function getDataset(ctx: TServerContext, caller: TCaller, id: string): Promise<TDatasetDetail> {
  const row = await findDataset(ctx, caller, id);
  const ledger = await ledgerEntriesOf(ctx.prisma, id);
  return { ...(await datasetWire(ctx.prisma, row)), ledger: ledger.map(ledgerWire) };
}

/**
 * Sets the total budget of a dataset's ledger (admins only), which every upload of the same file shares. Lowering
 * it below what is spent and reserved is allowed: nothing new fits until jobs settle, and nothing already charged
 * is undone.
 */
export async function setBudget(
  ctx: TServerContext,
  caller: TCaller,
  id: string,
  update: { epsilonTotal: number; delta?: number; reason?: string },
): Promise<TDataset> {
  await findDataset(ctx, caller, id);
  // Under the ledger's lock, which every ledger change holds: a concurrent reservation sees the old total or the
  // new one, never a mix.
  await withDatasetLedger(ctx.prisma, id, async (tx, ref) => {
    const before = await tx.ledger.findUniqueOrThrow({
      where: { id: ref.ledgerId },
      select: { epsilonTotal: true, deltaTotal: true },
    });
    const after = await setTotalIn(tx, ref, update);
    await audit(tx, {
      actorId: caller.id,
      action: "dataset.budget",
      subjectType: "dataset",
      subjectId: id,
      detail: {
        epsilonTotal: `${before.epsilonTotal} → ${after.epsilonTotal}`,
        delta: `${before.deltaTotal} → ${after.deltaTotal}`,
        reason: update.reason ?? null,
      },
    });
  });
  return datasetWire(ctx.prisma, await findDataset(ctx, caller, id));
}
