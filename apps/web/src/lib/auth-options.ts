import "server-only";
import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import type { TokenSet } from "openid-client";
import { clientIp, verifyLogin } from "@/server/auth/login";
import { recordSignIn } from "@/server/auth/sign-ins";
import { serverContext, type TServerContext } from "@/server/context";

type TProvider = NextAuthOptions["providers"][number];

/** next-auth's id of the single sign-on provider: its callback is `/api/auth/callback/oidc`. */
export const OIDC_PROVIDER_ID = "oidc";

/** The claims dpsynth reads from an OpenID provider (ID token and userinfo together). */
export type TOidcClaims = { sub: string; email?: string; email_verified?: boolean | string; name?: string };

/**
 * The dpsynth identity behind an OpenID provider's claims. Users are matched by email, so the email counts only when
 * the provider says it verified it: an address anyone may type into an account (say, the admin's) must not become
 * that user. Without one, the sign-in is refused (the login page says why).
 */
export function oidcIdentity(claims: TOidcClaims): { id: string; email: string | null; name: string | null } {
  const verified = claims.email_verified === true || claims.email_verified === "true";
  const email = verified && claims.email ? claims.email : null;
  return { id: claims.sub, email, name: claims.name ?? email };
}

/** Single sign-on through any OpenID Connect issuer; users are matched (or created as owners) by verified email. */
function oidcProvider({ issuer, clientId, clientSecret }: NonNullable<TServerContext["config"]["oidc"]>): TProvider {
  return {
    id: OIDC_PROVIDER_ID,
    name: "Single sign-on",
    type: "oauth",
    wellKnown: `${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`,
    clientId,
    clientSecret,
    authorization: { params: { scope: "openid email profile" } },
    // The ID token is verified (signature, issuer, audience); its claims alone are not enough, though: from the
    // code flow a provider may put only `sub` in it (OpenID Connect Core 5.4; Okta and oidc-provider do) and serve
    // the email at the userinfo endpoint, whose answer openid-client checks against the ID token's `sub`.
    idToken: true,
    userinfo: {
      async request({ client, tokens }) {
        // next-auth types these as plain fields; with `idToken` they are openid-client's checked TokenSet.
        const tokenSet = tokens as TokenSet;
        const claims = tokenSet.claims();
        if (!client.issuer.metadata.userinfo_endpoint) return claims;
        return { ...claims, ...(await client.userinfo(tokenSet)) };
      },
    },
    checks: ["pkce", "state"],
    profile: (claims: TOidcClaims) => oidcIdentity(claims),
  };
}

/**
 * The database user behind a sign-in: the credentials user as is; an OIDC user found by verified email (an existing
 * account keeps its role), or created as an owner on first sign-in.
 */
async function userOfSignIn(
  ctx: TServerContext,
  user: { id: string; email?: string | null; name?: string | null },
  provider?: string,
) {
  if (provider !== OIDC_PROVIDER_ID) return ctx.prisma.user.findUnique({ where: { id: user.id } });
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
 * trusted proxy) and, when OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET are set, an OIDC provider. Sessions are
 * JWTs carrying the user id (`sub`) and role; the API re-reads the user on every request, so the role in the JWT is
 * for display only.
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

/** The next-auth id of the single sign-on provider for the login page's button, or null when OIDC is off. */
export function singleSignOnProviderId(): string | null {
  return authOptions().providers.some((provider) => provider.id === OIDC_PROVIDER_ID) ? OIDC_PROVIDER_ID : null;
}
