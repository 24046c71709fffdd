import { z } from "zod";
import { ZId } from "../datasets/schemas.ts";
import { ZName } from "../http/names.ts";

const ZDate = z.iso.datetime();
export const ZRole = z.enum(["OWNER", "ADMIN"]);

export const ZUser = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  role: ZRole,
  /** Largest epsilon the user's jobs may hold on one dataset, spent and reserved together, without approval. */
  epsilonAllowance: z.number(),
  createdAt: ZDate,
});
export const ZUserList = z.object({ users: z.array(ZUser) });
export const ZUserUpdate = z
  .object({ role: ZRole.optional(), epsilonAllowance: z.number().min(0).max(100).optional() })
  .refine(
    (update) => update.role !== undefined || update.epsilonAllowance !== undefined,
    "give a role or an allowance",
  );
export const ZUserParams = z.object({ id: ZId });

export const ZTokenCreate = z.object({ name: ZName(100).default("script") });
export const ZTokenCreated = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  createdAt: ZDate,
  /** The token itself: shown this once, stored only as its sha256. */
  token: z.string(),
});

export const ZMe = ZUser.extend({
  tokens: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      prefix: z.string(),
      createdAt: ZDate,
      lastUsedAt: ZDate.nullable(),
      revokedAt: ZDate.nullable(),
    }),
  ),
});

export type TUser = z.infer<typeof ZUser>;
