import "server-only";
import { hashPassword } from "@dpsynth/db/passwords";
import { passwordProblem } from "../../lib/password-rule.ts";
import { audit } from "../audit/audit.ts";
import { createApiToken, revokeApiToken } from "../auth/api-tokens.ts";
import type { TCaller } from "../auth/authenticate.ts";
import { clientIp, LoginRateLimitedError, LoginUnavailableError, verifyLogin } from "../auth/login.ts";
import type { TServerContext } from "../context.ts";
import { AppError, notFound } from "../http/errors.ts";
import type { TUser } from "./schemas.ts";

const USER_SELECT = {
  id: true,
  email: true,
  name: true,
  role: true,
  epsilonAllowance: true,
  createdAt: true,
  lastSignInAt: true,
} as const;

const isoOrNull = (date: Date | null) => date?.toISOString() ?? null;
const userWire = (
  row: { createdAt: Date; lastSignInAt: Date | null } & Omit<TUser, "createdAt" | "lastSignInAt">,
): TUser => ({
  ...row,
  createdAt: row.createdAt.toISOString(),
  lastSignInAt: isoOrNull(row.lastSignInAt),
});

export async function me({ prisma }: TServerContext, caller: TCaller) {
  const row = await prisma.user.findUniqueOrThrow({
    where: { id: caller.id },
    select: { ...USER_SELECT, passwordHash: true, apiTokens: { orderBy: { createdAt: "desc" } } },
  });
  const { apiTokens, passwordHash, ...user } = row;
  return {
    ...userWire(user),
    hasPassword: passwordHash !== null,
    tokens: apiTokens.map((token) => ({
      id: token.id,
      name: token.name,
      prefix: token.prefix,
      createdAt: token.createdAt.toISOString(),
      lastUsedAt: isoOrNull(token.lastUsedAt),
      revokedAt: isoOrNull(token.revokedAt),
    })),
  };
}

export async function createToken(ctx: TServerContext, caller: TCaller, { name }: { name: string }) {
  const created = await createApiToken(ctx.prisma, { userId: caller.id, name });
  await audit(ctx.prisma, {
    actorId: caller.id,
    action: "token.create",
    subjectType: "token",
    subjectId: created.id,
    detail: { name },
  });
  return { ...created, createdAt: created.createdAt.toISOString() };
}

export async function listUsers({ prisma }: TServerContext): Promise<{ users: TUser[] }> {
  const rows = await prisma.user.findMany({ select: USER_SELECT, orderBy: { createdAt: "asc" } });
  return { users: rows.map(userWire) };
}

export async function updateUser(
  ctx: TServerContext,
  admin: TCaller,
  id: string,
  update: { role?: TUser["role"]; epsilonAllowance?: number },
): Promise<TUser> {
  const exists = await ctx.prisma.user.findUnique({ where: { id }, select: { id: true } });
  if (!exists) throw notFound("The user");
  const row = await ctx.prisma.$transaction(async (tx) => {
    if (update.role === "OWNER") {
      // The admins' rows are locked first, so two admins demoting each other at once cannot both succeed.
      const admins = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM "User" WHERE role = 'ADMIN' FOR UPDATE`;
      if (admins.length === 1 && admins[0]?.id === id) {
        throw new AppError(
          "conflict",
          "This is the last admin: make another user an admin first, or nobody could approve jobs or set budgets.",
        );
      }
    }
    const updated = await tx.user.update({ where: { id }, data: update, select: USER_SELECT });
    await audit(tx, { actorId: admin.id, action: "user.update", subjectType: "user", subjectId: id, detail: update });
    return updated;
  });
  return userWire(row);
}

export async function revokeToken(ctx: TServerContext, caller: TCaller, id: string): Promise<{ revoked: true }> {
  if (!(await revokeApiToken(ctx.prisma, { userId: caller.id, id }))) throw notFound("The token");
  await audit(ctx.prisma, { actorId: caller.id, action: "token.revoke", subjectType: "token", subjectId: id });
  return { revoked: true };
}

/** A refusal of the password form, tied to the field it is about. */
const fieldError = (field: "currentPassword" | "newPassword", message: string) =>
  new AppError("validation_failed", message, { field });

/**
 * Changes the caller's password. The current one is checked as a sign-in is (the same attempt counter, so this
 * form is no way around the sign-in rate limit); the new one must follow the password rule and differ from it.
 */
export async function changePassword(
  ctx: TServerContext,
  caller: TCaller,
  request: Request,
  { currentPassword, newPassword }: { currentPassword: string; newPassword: string },
): Promise<{ changed: true }> {
  const row = await ctx.prisma.user.findUniqueOrThrow({ where: { id: caller.id }, select: { passwordHash: true } });
  if (!row.passwordHash) {
    throw new AppError("conflict", "This account signs in through single sign-on and has no password here to change.");
  }
  if (!currentPassword) throw fieldError("currentPassword", "Enter your current password.");
  let verified: Awaited<ReturnType<typeof verifyLogin>>;
  try {
    verified = await verifyLogin(ctx, {
      email: caller.email,
      password: currentPassword,
      ip: clientIp(Object.fromEntries(request.headers), ctx.config.trustedProxies),
    });
  } catch (error) {
    if (error instanceof LoginRateLimitedError) {
      throw new AppError(
        "rate_limited",
        "Too many wrong passwords for this account. Wait a few minutes and try again.",
      );
    }
    if (error instanceof LoginUnavailableError) {
      throw new AppError("unavailable", "The password cannot be checked right now. Try again shortly.");
    }
    throw error;
  }
  if (!verified) throw fieldError("currentPassword", "That is not your current password.");
  const problem = passwordProblem(newPassword, caller.email);
  if (problem) throw fieldError("newPassword", problem);
  if (newPassword === currentPassword)
    throw fieldError("newPassword", "Choose a password different from the current one.");
  const passwordHash = await hashPassword(newPassword);
  await ctx.prisma.$transaction(async (tx) => {
    await tx.user.update({ where: { id: caller.id }, data: { passwordHash } });
    await audit(tx, { actorId: caller.id, action: "user.password_change", subjectType: "user", subjectId: caller.id });
  });
  return { changed: true };
}
