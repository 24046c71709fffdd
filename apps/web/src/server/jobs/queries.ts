import "server-only";
import { jobDevices } from "@dpsynth/contracts";
import type { Prisma } from "@dpsynth/db";
import { jobsVisibleTo } from "../auth/access.ts";
import type { TCaller } from "../auth/authenticate.ts";
import type { TServerContext } from "../context.ts";
import { notFound } from "../http/errors.ts";
import type { TJob, TMetricPoint } from "./schemas.ts";
import { JOB_INCLUDE, jobWire } from "./serialize.ts";
import { waitingForTrainer } from "./trainer-presence.ts";

/** A job the caller may see (its dataset is theirs, or they are an admin), or not_found. */
export async function findJob({ prisma }: TServerContext, caller: TCaller, id: string) {
  const row = await prisma.job.findFirst({ where: { id, ...jobsVisibleTo(caller) }, include: JOB_INCLUDE });
  if (!row) throw notFound("The job");
  return row;
}

/** Rows as the API answers them, with whether each waits for a trainer and how many queued jobs are ahead of it. */
export async function jobWires(ctx: TServerContext, rows: Awaited<ReturnType<typeof findJob>>[]): Promise<TJob[]> {
  const waiting = await waitingForTrainer(ctx, rows);
  const ahead = await queuedAhead(ctx, rows);
  return rows.map((row) =>
    jobWire(row, {
      blobs: ctx.blobs,
      waitingForTrainer: waiting?.get(row.id) ?? null,
      queuedAhead: ahead.get(row.id) ?? null,
    }),
  );
}

/**
 * For each QUEUED row, the queued jobs on its queue requested before it: trainers take a queue first in, first
 * out, so these start first. A job waits only behind jobs of its own device count (`queueFor`): the trainers that
 * could run it read no other queue. One query, however many rows; none when no row is queued.
 */
async function queuedAhead({ prisma }: TServerContext, rows: readonly { id: string; status: string }[]) {
  if (!rows.some((row) => row.status === "QUEUED")) return new Map<string, number>();
  const queued = await prisma.job.findMany({
    where: { status: "QUEUED" },
    select: { id: true, spec: true },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
  });
  const seen = new Map<number, number>();
  return new Map(
    queued.map((job) => {
      const devices = jobDevices(job.spec);
      const ahead = seen.get(devices) ?? 0;
      seen.set(devices, ahead + 1);
      return [job.id, ahead];
    }),
  );
}

export async function getJob(ctx: TServerContext, caller: TCaller, id: string): Promise<TJob> {
  const [job] = await jobWires(ctx, [await findJob(ctx, caller, id)]);
  return job as TJob;
}

export async function listJobs(
  ctx: TServerContext,
  caller: TCaller,
  filter: { datasetId?: string; status?: TJob["status"] },
): Promise<{ jobs: TJob[] }> {
  const where: Prisma.JobWhereInput = { ...jobsVisibleTo(caller), ...filter };
  const rows = await ctx.prisma.job.findMany({
    where,
    include: JOB_INCLUDE,
    orderBy: { createdAt: "desc" },
    take: 500,
  });
  return { jobs: await jobWires(ctx, rows) };
}

export async function jobMetrics(
  ctx: TServerContext,
  caller: TCaller,
  id: string,
): Promise<{ points: TMetricPoint[] }> {
  await findJob(ctx, caller, id);
  const rows = await ctx.prisma.metricPoint.findMany({
    where: { jobId: id },
    orderBy: { seq: "asc" },
    select: { seq: true, step: true, epoch: true, epsilon: true, loss: true, values: true },
  });
  return { points: rows.map((row) => ({ ...row, values: row.values as TMetricPoint["values"] })) };
}
