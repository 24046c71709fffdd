import { z } from "zod";
import { ZId } from "../datasets/schemas.ts";
import { ZEpsilonAllowance, ZRole } from "../users/schemas.ts";

const ZDate = z.iso.datetime();

/** What an admin gives an invitation: who, with which role and which ε allowance their account starts with. */
export const ZInvitationCreate = z.object({
  email: z.string().trim().toLowerCase().pipe(z.email("give an email address").max(254)),
  role: ZRole.default("OWNER"),
  epsilonAllowance: ZEpsilonAllowance.default(3),
});

/**
 * pending: the link still works; expired: its time ran out unused. (Accepted and revoked invitations are not
 * listed: the account, or nothing, is left of them.)
 */
export const ZInvitationState = z.enum(["pending", "expired"]);

export const ZInvitation = z.object({
  id: z.string(),
  email: z.string(),
  role: ZRole,
  epsilonAllowance: z.number(),
  invitedBy: z.object({ id: z.string(), email: z.string() }),
  createdAt: ZDate,
  expiresAt: ZDate,
  state: ZInvitationState,
});
export const ZInvitationList = z.object({ invitations: z.array(ZInvitation) });
export const ZInvitationCreated = ZInvitation.extend({
  /** The one-time link to hand to the invited person: shown this once, its token stored only as a sha256. */
  link: z.string(),
});
export const ZInvitationParams = z.object({ id: ZId });

/** The secret of an invitation link (the part after `#`); the API never sees it in a URL. */
const ZInvitationToken = z.string().min(1).max(200);
export const ZInvitationLookup = z.object({ token: ZInvitationToken });
/** What the invited person sees before choosing a password. */
export const ZInvitationPreview = z.object({
  email: z.string(),
  role: ZRole,
  epsilonAllowance: z.number(),
  expiresAt: ZDate,
});
export const ZInvitationAccept = z.object({
  token: ZInvitationToken,
  name: z.string().trim().min(1, "give your name").max(100),
  /** Checked against the password rule by the handler, which names the field when it is refused. */
  password: z.string().max(1_000),
});
export const ZInvitationAccepted = z.object({ email: z.string() });

export type TInvitation = z.infer<typeof ZInvitation>;
