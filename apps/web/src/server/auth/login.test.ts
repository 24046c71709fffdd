import { hash } from "bcryptjs";
import type { Account, NextAuthOptions, User } from "next-auth";
import type { JWT } from "next-auth/jwt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildAuthOptions, OIDC_PROVIDER_ID, oidcIdentity } from "../../lib/auth-options.ts";
import { createTestServer, type TTestServer } from "../testing.ts";
import { clientIp, LOGIN_ATTEMPTS, LoginRateLimitedError, UNTRUSTED_CLIENT, verifyLogin } from "./login.ts";

let server: TTestServer;
const email = `login-${Date.now()}@example.test`;

beforeAll(async () => {
  server = await createTestServer();
  await server.ctx.prisma.user.create({
    data: { email, name: "Login", passwordHash: await hash("correct horse", 10) },
  });
});
afterAll(() => server.close());

describe("verifyLogin", () => {
  it("accepts the right password (any case of the email) and refuses a wrong one or an unknown email", async () => {
    const ip = "10.0.0.1";
    expect(await verifyLogin(server.ctx, { email: email.toUpperCase(), password: "correct horse", ip })).toMatchObject({
      email,
      role: "OWNER",
    });
    expect(await verifyLogin(server.ctx, { email, password: "wrong", ip })).toBeNull();
    expect(await verifyLogin(server.ctx, { email: "nobody@example.test", password: "x", ip })).toBeNull();
  });

  it("locks an email and IP out after too many attempts, even with the right password, but not other IPs", async () => {
    const ip = "10.0.0.2";
    for (let i = 0; i < LOGIN_ATTEMPTS; i++)
      expect(await verifyLogin(server.ctx, { email, password: "guess", ip })).toBeNull();
    await expect(verifyLogin(server.ctx, { email, password: "correct horse", ip })).rejects.toBeInstanceOf(
      LoginRateLimitedError,
    );
    expect(await verifyLogin(server.ctx, { email, password: "correct horse", ip: "10.0.0.3" })).not.toBeNull();
  });

  it("keeps the account locked whatever X-Forwarded-For a client sends, when no proxy is trusted", async () => {
    const headers = (forwarded: string) => ({ "x-forwarded-for": forwarded, "x-real-ip": forwarded });
    for (let i = 0; i < LOGIN_ATTEMPTS; i++) {
      const ip = clientIp(headers(`203.0.113.${i}`), 0);
      expect(await verifyLogin(server.ctx, { email, password: "guess", ip })).toBeNull();
    }
    for (let i = 0; i < 30; i++) {
      const ip = clientIp(headers(`198.51.100.${i}`), 0);
      await expect(verifyLogin(server.ctx, { email, password: "correct horse", ip })).rejects.toBeInstanceOf(
        LoginRateLimitedError,
      );
    }
  });

  it("believes X-Forwarded-For only as far as the configured proxies wrote it", () => {
    const forged = { "x-forwarded-for": "1.1.1.1, 10.0.0.7" }; // the client wrote 1.1.1.1; our proxy appended 10.0.0.7
    expect(clientIp(forged, 0)).toBe(UNTRUSTED_CLIENT);
    expect(clientIp(forged, 1)).toBe("10.0.0.7");
    expect(clientIp({ "x-forwarded-for": ["1.1.1.1", "10.0.0.7, 172.16.0.2"] }, 2)).toBe("10.0.0.7");
    expect(clientIp({ "x-forwarded-for": "10.0.0.7" }, 2)).toBe(UNTRUSTED_CLIENT); // fewer hops than proxies
    expect(clientIp(undefined, 1)).toBe(UNTRUSTED_CLIENT);
  });

  it("offers the credentials provider with id `credentials`, and OIDC only when configured", () => {
    expect(buildAuthOptions(server.ctx).providers.map((p) => p.id)).toEqual(["credentials"]);
    const oidc = { issuer: "https://id.example.test", clientId: "dpsynth", clientSecret: "s3cret" };
    const withOidc = buildAuthOptions({ ...server.ctx, config: { ...server.ctx.config, oidc } });
    expect(withOidc.providers.map((p) => p.id)).toEqual(["credentials", "oidc"]);
    expect(withOidc.pages?.signIn).toBe("/login");
  });
});

describe("single sign-on", () => {
  const oidc = { issuer: "https://id.example.test", clientId: "dpsynth", clientSecret: "s3cret" };
  let options: NextAuthOptions;
  beforeAll(() => {
    options = buildAuthOptions({ ...server.ctx, config: { ...server.ctx.config, oidc } });
  });
  const account = (sub: string): Account => ({ provider: OIDC_PROVIDER_ID, type: "oauth", providerAccountId: sub });

  /** What next-auth does with a provider's claims: the profile, the signIn callback, then the session's JWT. */
  async function signInWith(claims: Parameters<typeof oidcIdentity>[0]) {
    const user = oidcIdentity(claims) as User;
    const allowed = await options.callbacks?.signIn?.({ user, account: account(claims.sub) });
    if (allowed !== true) return { allowed, token: null };
    const token = await options.callbacks?.jwt?.({
      token: { sub: claims.sub } as JWT,
      user,
      account: account(claims.sub),
    });
    return { allowed, token };
  }

  it("believes a provider's email only when it says it verified it", () => {
    const claims = { sub: "s1", email: "Ada@Example.test", name: "Ada" };
    expect(oidcIdentity({ ...claims, email_verified: true })).toEqual({
      id: "s1",
      email: "Ada@Example.test",
      name: "Ada",
    });
    expect(oidcIdentity({ ...claims, email_verified: "true" }).email).toBe("Ada@Example.test");
    expect(oidcIdentity({ ...claims, email_verified: false }).email).toBeNull();
    expect(oidcIdentity(claims).email).toBeNull();
    expect(oidcIdentity({ sub: "s2", email_verified: true }).email).toBeNull();
  });

  it("creates an owner on the first sign-in and signs the same user in the next time", async () => {
    const claims = {
      sub: "first-timer",
      email: `SSO-${Date.now()}@Example.test`,
      email_verified: true,
      name: "Sso User",
    };
    const first = await signInWith(claims);
    expect(first).toMatchObject({
      allowed: true,
      token: { role: "OWNER", name: "Sso User", email: claims.email.toLowerCase() },
    });
    const row = await server.ctx.prisma.user.findUniqueOrThrow({ where: { email: claims.email.toLowerCase() } });
    expect(first.token?.sub).toBe(row.id);
    const again = await signInWith({ ...claims, name: "Renamed At The Provider" });
    expect(again.token).toMatchObject({ sub: row.id, name: "Sso User" });
    expect(await server.ctx.prisma.user.count({ where: { email: claims.email.toLowerCase() } })).toBe(1);
  });

  it("signs an existing account in as itself, role included, when its email comes verified", async () => {
    const admin = await server.user("ADMIN");
    const { allowed, token } = await signInWith({
      sub: "x",
      email: admin.email,
      email_verified: true,
      name: "Someone",
    });
    expect(allowed).toBe(true);
    expect(token).toMatchObject({ sub: admin.id, role: "ADMIN", email: admin.email });
  });

  it("refuses an unverified email, even one that is an admin's, and creates nobody", async () => {
    const admin = await server.user("ADMIN");
    const before = await server.ctx.prisma.user.count();
    expect(await signInWith({ sub: "mallory", email: admin.email, email_verified: false })).toEqual({
      allowed: false,
      token: null,
    });
    expect(await signInWith({ sub: "nobody", email_verified: true })).toMatchObject({ allowed: false });
    expect(await server.ctx.prisma.user.count()).toBe(before);
  });
});
