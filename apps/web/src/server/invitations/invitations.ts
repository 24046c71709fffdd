import "server-only";
import { randomBytes } from "node:crypto";
import type { Prisma, PrismaClient } from "@dpsynth/db";
import { hashToken } from "@dpsynth/db/api-tokens";
import { hashPassword } from "@dpsynth/db/passwords";
import { passwordProblem } from "../../lib/password-rule.ts";
import { audit } from "../audit/audit.ts";
import type { TCaller } from "../auth/authenticate.ts";
import type { TServerContext } from "../context.ts";
import { AppError, notFound } from "../http/errors.ts";
import type { TInvitation } from "./schemas.ts";

/** How long an invitation link works: long enough to reach someone over a weekend, short enough to go stale. */
export const INVITATION_TTL_MS = 7 * 24 * 3600 * 1000;
const TOKEN_PREFIX = "dpi_";

type TInvitationRow = Prisma.InvitationGetPayload<{ include: { invitedBy: { select: { id: true; email: true } } } }>;
type TFullState = "pending" | "expired" | "accepted" | "revoked";

/** The one reading of an invitation's state: used beats revoked beats expired. */
export function invitationState(
  row: { acceptedAt: Date | null; revokedAt: Date | null; expiresAt: Date },
  now = new Date(),
): TFullState {
  if (row.acceptedAt) return "accepted";
  if (row.revokedAt) return "revoked";
  return row.expiresAt.getTime() <= now.getTime() ? "expired" : "pending";
}

const day = (date: Date) => date.toLocaleDateString("en-GB", { day: "numeric", month: "long", year: "numeric" });

/** What the invited person reads when the link no longer works. */
function linkRefused(state: Exclude<TFullState, "pending">, row: { expiresAt: Date }): AppError {
  const messages = {
    expired: `This invitation expired on ${day(row.expiresAt)}. Ask an admin to invite you again.`,
    accepted: "This invitation has already been used. Sign in with the email and password chosen then.",
    revoked: "This invitation was revoked by an admin. Ask an admin for a new one if you still need an account.",
  };
  return new AppError("conflict", messages[state], { state });
}

const unknownLink = () =>
  new AppError(
    "not_found",
    "This invitation link is not valid. Check that you copied all of it, or ask an admin for a new one.",
  );

const alreadyHasAccount = (email: string) =>
  new AppError("conflict", `${email} already has an account: sign in with it instead.`, { state: "account_exists" });

const wire = (row: TInvitationRow, now = new Date()): TInvitation => ({
  id: row.id,
  email: row.email,
  role: row.role,
  epsilonAllowance: row.epsilonAllowance,
  invitedBy: row.invitedBy,
  createdAt: row.createdAt.toISOString(),
  expiresAt: row.expiresAt.toISOString(),
  state: invitationState(row, now) === "expired" ? "expired" : "pending",
});

const INCLUDE = { invitedBy: { select: { id: true, email: true } } } as const;

/** Invitations neither accepted nor revoked, newest first: the ones still working and the ones that ran out. */
export async function listInvitations({ prisma }: TServerContext): Promise<{ invitations: TInvitation[] }> {
  const rows = await prisma.invitation.findMany({
    where: { acceptedAt: null, revokedAt: null },
    include: INCLUDE,
    orderBy: { createdAt: "desc" },
  });
  const now = new Date();
  return { invitations: rows.map((row) => wire(row, now)) };
}

/**
 * Invites `email` with a role and an allowance. Refused for an email that already has an account, or an invitation
 * still pending (the admin revokes it first: the old link must not keep working beside the new one). The token is
 * returned once, inside the link; only its sha256 is stored.
 */
export async function createInvitation(
  ctx: TServerContext,
  admin: TCaller,
  input: { email: string; role: TInvitation["role"]; epsilonAllowance: number },
  origin: string,
): Promise<TInvitation & { link: string }> {
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
  const row = await ctx.prisma.$transaction(async (tx) => {
    // One invitation at a time per address, even when two admins invite it at once.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`invitation:${input.email}`}))`;
    if (await tx.user.findUnique({ where: { email: input.email }, select: { id: true } })) {
      throw new AppError(
        "conflict",
        `${input.email} already has an account: change its role or allowance in the users table instead.`,
      );
    }
    const pending = await tx.invitation.findFirst({
      where: { email: input.email, acceptedAt: null, revokedAt: null, expiresAt: { gt: new Date() } },
    });
    if (pending) {
      throw new AppError(
        "conflict",
        `${input.email} already has a pending invitation (until ${day(pending.expiresAt)}). Revoke it first to make a new link.`,
      );
    }
    const created = await tx.invitation.create({
      data: {
        ...input,
        tokenHash: hashToken(token),
        invitedById: admin.id,
        expiresAt: new Date(Date.now() + INVITATION_TTL_MS),
      },
      include: INCLUDE,
    });
    await audit(tx, {
      actorId: admin.id,
      action: "invitation.create",
      subjectType: "invitation",
      subjectId: created.id,
      detail: { email: input.email, role: input.role, epsilonAllowance: input.epsilonAllowance },
    });
    return created;
  });
  // In the fragment, so the token never reaches a server log or a Referer header.
  return { ...wire(row), link: `${origin.replace(/\/$/, "")}/invite#${token}` };
}

/** Revokes a pending (or expired, unused) invitation: its link stops working at once. */
export async function revokeInvitation(ctx: TServerContext, admin: TCaller, id: string): Promise<{ revoked: true }> {
  const { count } = await ctx.prisma.invitation.updateMany({
    where: { id, acceptedAt: null, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  if (count === 0) {
    const row = await ctx.prisma.invitation.findUnique({ where: { id } });
    if (!row) throw notFound("The invitation");
    throw new AppError(
      "conflict",
      row.acceptedAt
        ? "This invitation was already accepted: the account exists, change it in the users table."
        : "This invitation was already revoked.",
    );
  }
  await audit(ctx.prisma, { actorId: admin.id, action: "invitation.revoke", subjectType: "invitation", subjectId: id });
  return { revoked: true };
}

/** The invitation behind a link, if it still works; otherwise the plain reason why not. */
async function usableInvitation(db: PrismaClient | Prisma.TransactionClient, token: string) {
  const row = await db.invitation.findUnique({ where: { tokenHash: hashToken(token) } });
  if (!row) throw unknownLink();
  const state = invitationState(row);
  if (state !== "pending") throw linkRefused(state, row);
  if (await db.user.findUnique({ where: { email: row.email }, select: { id: true } })) {
    throw alreadyHasAccount(row.email);
  }
  return row;
}

/** What the invited person is invited as, before choosing a password. */
export async function lookupInvitation(ctx: TServerContext, token: string) {
  const row = await usableInvitation(ctx.prisma, token);
  return {
    email: row.email,
    role: row.role,
    epsilonAllowance: row.epsilonAllowance,
    expiresAt: row.expiresAt.toISOString(),
  };
}

const isUniqueViolation = (error: unknown) => (error as { code?: unknown } | null)?.code === "P2002";

/**
 * Creates the invited account with the chosen name and password, and uses the invitation up: under the
 * invitation's row lock, so a link clicked twice at once makes one account.
 */
export async function acceptInvitation(
  ctx: TServerContext,
  input: { token: string; name: string; password: string },
): Promise<{ email: string }> {
  const invitation = await usableInvitation(ctx.prisma, input.token);
  const problem = passwordProblem(input.password, invitation.email);
  if (problem) throw new AppError("validation_failed", problem, { field: "password" });
  const passwordHash = await hashPassword(input.password);
  try {
    return await ctx.prisma.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT id FROM "Invitation" WHERE id = ${invitation.id} FOR UPDATE`;
      const row = await usableInvitation(tx, input.token);
      const user = await tx.user.create({
        data: {
          email: row.email,
          name: input.name,
          role: row.role,
          epsilonAllowance: row.epsilonAllowance,
          passwordHash,
        },
      });
      await tx.invitation.update({ where: { id: row.id }, data: { acceptedAt: new Date(), acceptedUserId: user.id } });
      await audit(tx, {
        actorId: user.id,
        action: "invitation.accept",
        subjectType: "invitation",
        subjectId: row.id,
        detail: { userId: user.id, role: row.role, epsilonAllowance: row.epsilonAllowance },
      });
      return { email: user.email };
    });
  } catch (error) {
    // An account for the address appeared meanwhile (single sign-on creates one on first sign-in).
    if (isUniqueViolation(error)) throw alreadyHasAccount(invitation.email);
    throw error;
  }
}
