import "server-only";
import { audit } from "../audit/audit.ts";
import { createApiToken, revokeApiToken } from "../auth/api-tokens.ts";
import type { TCaller } from "../auth/authenticate.ts";
import type { TServerContext } from "../context.ts";
import { AppError, notFound } from "../http/errors.ts";
import type { TUser } from "./schemas.ts";

const USER_SELECT = { id: true, email: true, name: true, role: true, epsilonAllowance: true, createdAt: true } as const;

const userWire = (row: { createdAt: Date } & Omit<TUser, "createdAt">): TUser => ({
  ...row,
  createdAt: row.createdAt.toISOString(),
});
const isoOrNull = (date: Date | null) => date?.toISOString() ?? null;

export async function me({ prisma }: TServerContext, caller: TCaller) {
  const row = await prisma.user.findUniqueOrThrow({
    where: { id: caller.id },
    select: { ...USER_SELECT, apiTokens: { orderBy: { createdAt: "desc" } } },
  });
  const { apiTokens, ...user } = row;
  return {
    ...userWire(user),
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
