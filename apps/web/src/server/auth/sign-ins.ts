import "server-only";
import type { PrismaClient } from "@dpsynth/db";

/**
 * Records a successful sign-in through the sign-in page, by password or single sign-on alike (next-auth's `jwt`
 * callback calls it once per sign-in, with the database user behind it). API tokens keep their own "last used".
 */
export async function recordSignIn(prisma: PrismaClient, userId: string, at = new Date()): Promise<void> {
  await prisma.user.update({ where: { id: userId }, data: { lastSignInAt: at } });
}
