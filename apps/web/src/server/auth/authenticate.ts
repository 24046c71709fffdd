import "server-only";
import type { PrismaClient, Role } from "@dpsynth/db";
import { AppError } from "../http/errors.ts";
import { userOfToken } from "./api-tokens.ts";
import { sessionUserId } from "./session-cookie.ts";

/** The caller of a request, as every handler sees it. */
export interface TCaller {
  id: string;
  email: string;
  name: string;
  role: Role;
  epsilonAllowance: number;
}

const unauthenticated = (message: string) => new AppError("unauthenticated", message);

/** `Bearer <token>` and nothing else: one token68 (RFC 6750), the scheme in any case, no trailing words. */
const BEARER = /^bearer +([A-Za-z0-9._~+/-]+=*)$/i;

/**
 * Who is calling: an `Authorization: Bearer <API token>` header, else the next-auth session cookie. A
 * bearer token that is unknown or revoked is refused outright rather than falling back to the cookie. The
 * user row is read on every request, so a role change applies at once.
 */
export async function authenticate(request: Request, { prisma, secret }: { prisma: PrismaClient; secret: string }) {
  const authorization = request.headers.get("authorization");
  let user: TCaller | null;
  if (authorization) {
    const token = BEARER.exec(authorization.trim())?.[1];
    if (!token) throw unauthenticated("Use `Authorization: Bearer <API token>`, with nothing after the token.");
    user = await userOfToken(prisma, token);
    if (!user) throw unauthenticated("This API token is unknown or has been revoked.");
  } else {
    const id = await sessionUserId(request, secret);
    user = id ? await prisma.user.findUnique({ where: { id } }) : null;
    if (!user) throw unauthenticated("Sign in, or send an API token as `Authorization: Bearer <token>`.");
  }
  const { id, email, name, role, epsilonAllowance } = user;
  return { id, email, name, role, epsilonAllowance } satisfies TCaller;
}
