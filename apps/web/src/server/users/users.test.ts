import { hashPassword } from "@dpsynth/db/passwords";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as passwordRoute from "../../../app/api/v1/me/password/route.ts";
import * as userRoute from "../../../app/api/v1/users/[id]/route.ts";
import * as usersRoute from "../../../app/api/v1/users/route.ts";
import { buildAuthOptions } from "../../lib/auth-options.ts";
import { verifyLogin } from "../auth/login.ts";
import { call, createTestServer, type TTestServer } from "../testing.ts";

let server: TTestServer;

beforeAll(async () => {
  server = await createTestServer();
});
afterAll(() => server.close());

const demote = (by: { auth: Record<string, string> }, id: string) =>
  call(userRoute.PUT, { method: "PUT", headers: by.auth, params: { id }, json: { role: "OWNER" } });

describe("PUT /api/v1/users/:id", () => {
  it("refuses to demote the last admin, who would leave nobody to approve jobs, but demotes one of two", async () => {
    await server.ctx.prisma.user.updateMany({ where: { role: "ADMIN" }, data: { role: "OWNER" } });
    const admin = await server.user("ADMIN");
    const refused = await demote(admin, admin.id);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: "conflict", message: expect.stringMatching(/last admin/) });
    expect((await server.ctx.prisma.user.findUniqueOrThrow({ where: { id: admin.id } })).role).toBe("ADMIN");

    const second = await server.user("ADMIN");
    expect((await demote(admin, second.id)).body).toMatchObject({ id: second.id, role: "OWNER" });
  });

  it("lets exactly one of two admins demoting each other at the same moment succeed", async () => {
    await server.ctx.prisma.user.updateMany({ where: { role: "ADMIN" }, data: { role: "OWNER" } });
    const [a, b] = [await server.user("ADMIN"), await server.user("ADMIN")];
    const answers = await Promise.all([demote(a, b.id), demote(b, a.id)]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409]);
    expect(await server.ctx.prisma.user.count({ where: { role: "ADMIN" } })).toBe(1);
  });
});

describe("PUT /api/v1/me/password", () => {
  const CURRENT = "the current password";
  const change = (by: { cookie: Record<string, string> }, json: Record<string, string>) =>
    call(passwordRoute.PUT, { method: "PUT", headers: by.cookie, json });

  it("changes the password when the current one is right and the new one follows the rule, and audits it", async () => {
    const owner = await server.user("OWNER");
    await server.ctx.prisma.user.update({
      where: { id: owner.id },
      data: { passwordHash: await hashPassword(CURRENT) },
    });
    const answer = await change(owner, { currentPassword: CURRENT, newPassword: "a brand new passphrase" });
    expect([answer.status, answer.body]).toEqual([200, { changed: true }]);
    const ip = "test";
    expect(
      await verifyLogin(server.ctx, { email: owner.email, password: "a brand new passphrase", ip }),
    ).not.toBeNull();
    expect(await verifyLogin(server.ctx, { email: owner.email, password: CURRENT, ip })).toBeNull();
    const trail = await server.ctx.prisma.auditEvent.findMany({ where: { subjectType: "user", subjectId: owner.id } });
    expect(trail.map((event) => [event.action, event.actorId])).toEqual([["user.password_change", owner.id]]);
  });

  it("ties each refusal to its field, and changes nothing", async () => {
    const owner = await server.user("OWNER");
    await server.ctx.prisma.user.update({
      where: { id: owner.id },
      data: { passwordHash: await hashPassword(CURRENT) },
    });
    const refusals = [
      [
        { currentPassword: "not it at all", newPassword: "a brand new passphrase" },
        "currentPassword",
        /not your current password/,
      ],
      [
        { currentPassword: "", newPassword: "a brand new passphrase" },
        "currentPassword",
        /Enter your current password/,
      ],
      [{ currentPassword: CURRENT, newPassword: "too short" }, "newPassword", /at least 12 characters/],
      [{ currentPassword: CURRENT, newPassword: owner.email }, "newPassword", /email address/],
      [{ currentPassword: CURRENT, newPassword: CURRENT }, "newPassword", /different from the current one/],
    ] as const;
    for (const [json, field, message] of refusals) {
      const answer = await change(owner, json);
      expect([answer.status, answer.body.error.code, answer.body.error.details]).toEqual([
        400,
        "validation_failed",
        { field },
      ]);
      expect(answer.body.error.message).toMatch(message);
    }
    expect(await verifyLogin(server.ctx, { email: owner.email, password: CURRENT, ip: "test" })).not.toBeNull();
    expect(await server.ctx.prisma.auditEvent.count({ where: { subjectType: "user", subjectId: owner.id } })).toBe(0);
  });

  it("says an account without a password (single sign-on) has none to change", async () => {
    const owner = await server.user("OWNER");
    const answer = await change(owner, { currentPassword: "x", newPassword: "a brand new passphrase" });
    expect(answer.status).toBe(409);
    expect(answer.body.error.message).toMatch(/single sign-on/);
  });
});

describe("last sign-in", () => {
  it("is recorded by a password sign-in and a single sign-on alike, and listed (null for never)", async () => {
    const [byPassword, bySso, never] = [await server.user(), await server.user(), await server.user()];
    const { jwt } = buildAuthOptions(server.ctx).callbacks ?? {};
    const before = Date.now();
    await jwt?.({ token: {}, user: { id: byPassword.id }, account: { provider: "credentials" } } as never);
    // An OIDC user arrives with the issuer's subject as id: the account is found by its email.
    await jwt?.({
      token: {},
      user: { id: "issuer-subject", email: bySso.email.toUpperCase() },
      account: { provider: "oidc" },
    } as never);
    const admin = await server.user("ADMIN");
    const listed = await call(usersRoute.GET, { headers: admin.auth });
    const of = (id: string) => listed.body.users.find((user: { id: string }) => user.id === id).lastSignInAt;
    for (const user of [byPassword, bySso]) expect(new Date(of(user.id)).getTime()).toBeGreaterThanOrEqual(before - 1);
    expect(of(never.id)).toBeNull();
  });
});
