import "server-only";
import type { Prisma } from "@dpsynth/db";
import type { TCaller } from "./authenticate.ts";

/**
 * The one authorization rule for owned things: admins see everything, an owner only their own datasets and
 * the jobs on them. Queries filter with these, so another owner's id is simply not found (404, exactly as a
 * missing one) and never tells that it exists.
 */
export function datasetsVisibleTo(caller: TCaller): Prisma.DatasetWhereInput {
  return caller.role === "ADMIN" ? {} : { ownerId: caller.id };
}

export function jobsVisibleTo(caller: TCaller): Prisma.JobWhereInput {
  return caller.role === "ADMIN" ? {} : { dataset: { ownerId: caller.id } };
}
