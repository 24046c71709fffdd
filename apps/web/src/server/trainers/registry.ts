import "server-only";
import {
  MODEL_CATALOG,
  TRAINER_HEARTBEAT,
  type TTrainerHeartbeat,
  trainerRedisKeys,
  ZTrainerHeartbeat,
} from "@dpsynth/contracts";
import { jobsVisibleTo } from "../auth/access.ts";
import type { TCaller } from "../auth/authenticate.ts";
import type { TServerContext } from "../context.ts";
import { redisReady, withDeadline } from "../http/unavailable.ts";
import { capacityFor } from "./capacity.ts";
import type { TTrainerList } from "./schemas.ts";

const REGISTRY = "The trainer registry (Redis)";

/**
 * The trainers whose heartbeat is live, from the registry the trainers write under the queue's prefix
 * (services/trainer `heartbeat.py`): the index names those that beat within the TTL, their keys hold the
 * heartbeats (an expired key is a trainer that died since). A heartbeat that does not parse is left out.
 */
export async function onlineTrainers({ redis, config }: TServerContext): Promise<TTrainerHeartbeat[]> {
  await redisReady(redis, REGISTRY);
  const keys = trainerRedisKeys(config.queuePrefix);
  const since = Date.now() - TRAINER_HEARTBEAT.ttlS * 1000;
  const ids = await withDeadline(REGISTRY, redis.zrangebyscore(keys.index, since, "+inf"));
  if (ids.length === 0) return [];
  const beats = await withDeadline(REGISTRY, redis.mget(...ids.map(keys.trainer)));
  return beats.flatMap((raw) => {
    if (raw === null) return [];
    try {
      const parsed = ZTrainerHeartbeat.safeParse(JSON.parse(raw));
      return parsed.success ? [parsed.data] : [];
    } catch {
      return [];
    }
  });
}

/** `GET /trainers`: who is online and doing what, and which catalog models they can run. */
export async function listTrainers(ctx: TServerContext, caller: TCaller): Promise<TTrainerList> {
  const beats = await onlineTrainers(ctx);
  const held = beats.flatMap((beat) => beat.currentJobs);
  const visible = new Set(
    held.length === 0
      ? []
      : (
          await ctx.prisma.job.findMany({
            where: { AND: [{ id: { in: held } }, jobsVisibleTo(caller)] },
            select: { id: true },
          })
        ).map((job) => job.id),
  );
  const trainers = beats
    .map(({ schemaVersion: _version, ts, currentJobs, ...beat }) => ({
      ...beat,
      state: currentJobs.length > 0 ? ("busy" as const) : ("idle" as const),
      runningJobs: currentJobs.length,
      currentJobs: currentJobs.filter((id) => visible.has(id)),
      lastSeenAt: ts,
    }))
    .sort((a, b) => a.id.localeCompare(b.id));
  const models = Object.fromEntries(MODEL_CATALOG.map((model) => [model.key, capacityFor(model.key, beats)]));
  return { trainers, models };
}
