import { z } from "zod";
import { ZId } from "../datasets/schemas.ts";
import { ZName } from "../http/names.ts";

const ZDate = z.iso.datetime();
export const ZRole = z.enum(["OWNER", "ADMIN"]);
/** An epsilon allowance an admin may give: per dataset, all of a user's jobs on it together. */
export const ZEpsilonAllowance = z.number().min(0).max(100);

export const ZUser = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  role: ZRole,
  /** Largest epsilon the user's jobs may hold on one dataset, spent and reserved together, without approval. */
  epsilonAllowance: z.number(),
  createdAt: ZDate,
  /** The last sign-in through the sign-in page (password or single sign-on); null for never. */
  lastSignInAt: ZDate.nullable(),
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

/** A password is at most a few hundred characters; its rule (`src/lib/password-rule.ts`) is checked by the handler. */
const ZPasswordField = z.string().max(1_000);
export const ZPasswordChange = z.object({ currentPassword: ZPasswordField, newPassword: ZPasswordField });

export const ZMe = ZUser.extend({
  /** False for an account that signs in only through single sign-on: there is no password to change. */
  hasPassword: z.boolean(),
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
