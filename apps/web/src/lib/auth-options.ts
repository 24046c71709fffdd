import "server-only";
import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { clientIp, verifyLogin } from "@/server/auth/login";
import { recordSignIn } from "@/server/auth/sign-ins";
import { serverContext, type TServerContext } from "@/server/context";

type TProvider = NextAuthOptions["providers"][number];

/** Single sign-on through any OpenID Connect issuer; users are matched (or created as owners) by email. */
function oidcProvider({ issuer, clientId, clientSecret }: NonNullable<TServerContext["config"]["oidc"]>): TProvider {
  return {
    id: "oidc",
    name: "Single sign-on",
    type: "oauth",
    wellKnown: `${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`,
    clientId,
    clientSecret,
    authorization: { params: { scope: "openid email profile" } },
    idToken: true,
    checks: ["pkce", "state"],
    profile(profile: { sub: string; email?: string; name?: string }) {
      return { id: profile.sub, email: profile.email ?? null, name: profile.name ?? profile.email ?? null };
    },
  };
}

/** The database user behind a sign-in: the credentials user as is, an OIDC user found or created by email. */
async function userOfSignIn(
  ctx: TServerContext,
  user: { id: string; email?: string | null; name?: string | null },
  provider?: string,
) {
  if (provider !== "oidc") return ctx.prisma.user.findUnique({ where: { id: user.id } });
  if (!user.email) return null;
  const email = user.email.toLowerCase();
  return ctx.prisma.user.upsert({
    where: { email },
    update: {},
    create: { email, name: user.name ?? email, role: "OWNER" },
  });
}

/**
 * next-auth 4: e-mail and password (bcrypt, rate-limited in Redis per account, and per client address behind a
 * trusted proxy) and, when OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET are set, an OIDC provider. Sessions are JWTs carrying the user id
 * (`sub`) and role; the API re-reads the user on every request, so the role in the JWT is for display only.
 */
export function buildAuthOptions(ctx: TServerContext): NextAuthOptions {
  const providers: TProvider[] = [
    CredentialsProvider({
      id: "credentials",
      name: "Email and password",
      credentials: { email: { label: "Email", type: "email" }, password: { label: "Password", type: "password" } },
      async authorize(credentials, req) {
        if (!credentials?.email || !credentials.password) return null;
        return verifyLogin(ctx, {
          email: credentials.email,
          password: credentials.password,
          ip: clientIp(req?.headers, ctx.config.trustedProxies),
        });
      },
    }),
  ];
  if (ctx.config.oidc) providers.push(oidcProvider(ctx.config.oidc));
  return {
    secret: ctx.config.nextAuthSecret,
    session: { strategy: "jwt", maxAge: 7 * 24 * 3600 },
    pages: { signIn: "/login", error: "/login" },
    providers,
    callbacks: {
      async signIn({ user, account }) {
        return (await userOfSignIn(ctx, user, account?.provider)) !== null;
      },
      async jwt({ token, user, account }) {
        if (user) {
          const row = await userOfSignIn(ctx, user, account?.provider);
          if (row) {
            Object.assign(token, { sub: row.id, role: row.role, name: row.name, email: row.email });
            await recordSignIn(ctx.prisma, row.id);
          }
        }
        return token;
      },
      async session({ session, token }) {
        session.user = { ...session.user, id: token.sub, role: token.role } as typeof session.user;
        return session;
      },
    },
  };
}

let options: NextAuthOptions | undefined;

/** The options of this process, built on first use from its server context. */
export function authOptions(): NextAuthOptions {
  options ??= buildAuthOptions(serverContext());
  return options;
}
