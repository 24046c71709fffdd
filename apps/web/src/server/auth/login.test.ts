import { hash } from "bcryptjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildAuthOptions } from "../../lib/auth-options.ts";
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
