import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as revokeRoute from "../../../app/api/v1/invitations/[id]/route.ts";
import * as acceptRoute from "../../../app/api/v1/invitations/accept/route.ts";
import * as lookupRoute from "../../../app/api/v1/invitations/lookup/route.ts";
import * as invitationsRoute from "../../../app/api/v1/invitations/route.ts";
import { verifyLogin } from "../auth/login.ts";
import { call, createTestServer, type TTestServer } from "../testing.ts";

let server: TTestServer;
let admin: Awaited<ReturnType<TTestServer["user"]>>;

beforeAll(async () => {
  server = await createTestServer();
  admin = await server.user("ADMIN");
});
afterAll(() => server.close());

let counter = 0;
const freshEmail = () => `invitee-${Date.now()}-${counter++}@example.test`;
const PASSWORD = "a long enough password";

const invite = (json: Record<string, unknown>, headers: Record<string, string> = admin.auth) =>
  call(invitationsRoute.POST, { method: "POST", headers, json });
const tokenOf = (link: string) => new URL(link).hash.slice(1);
const lookup = (token: string) => call(lookupRoute.POST, { method: "POST", json: { token } });
const accept = (token: string, password = PASSWORD) =>
  call(acceptRoute.POST, { method: "POST", json: { token, name: "New Person", password } });
const auditOf = (subjectId: string) =>
  server.ctx.prisma.auditEvent.findMany({
    where: { subjectType: "invitation", subjectId },
    orderBy: { createdAt: "asc" },
  });

describe("POST /api/v1/invitations", () => {
  it("invites an email with a role and an allowance: a one-time link shown once, only its hash stored", async () => {
    const email = freshEmail();
    const created = await invite({ email: `  ${email.toUpperCase()} `, role: "ADMIN", epsilonAllowance: 1.5 });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ email, role: "ADMIN", epsilonAllowance: 1.5, state: "pending" });
    expect(created.body.invitedBy).toEqual({ id: admin.id, email: admin.email });
    expect(created.body.link).toMatch(/^http:\/\/localhost\/invite#dpi_[\w-]{40,}$/);
    const expires = new Date(created.body.expiresAt).getTime() - Date.now();
    expect(expires).toBeGreaterThan(6.9 * 24 * 3600 * 1000);

    const token = tokenOf(created.body.link);
    const row = await server.ctx.prisma.invitation.findUniqueOrThrow({ where: { id: created.body.id } });
    expect(JSON.stringify(row)).not.toContain(token);
    expect(row.tokenHash).toMatch(/^[0-9a-f]{64}$/);

    const listed = await call(invitationsRoute.GET, { headers: admin.auth });
    const mine = listed.body.invitations.find((one: { id: string }) => one.id === created.body.id);
    expect(mine).toMatchObject({ email, state: "pending" });
    expect(JSON.stringify(listed.body)).not.toContain(token);
    expect((await auditOf(created.body.id)).map((event) => event.action)).toEqual(["invitation.create"]);
  });

  it("refuses an email that already has an account, and a second pending invitation, saying what to do", async () => {
    const owner = await server.user("OWNER");
    const existing = await invite({ email: owner.email });
    expect(existing.status).toBe(409);
    expect(existing.body.error).toMatchObject({
      code: "conflict",
      message: `${owner.email} already has an account: change its role or allowance in the users table instead.`,
    });

    const email = freshEmail();
    expect((await invite({ email })).status).toBe(201);
    const twice = await invite({ email });
    expect(twice.status).toBe(409);
    expect(twice.body.error.message).toMatch(/already has a pending invitation .*Revoke it first/);
  });

  it("is for admins only, and checks the email and the allowance", async () => {
    const owner = await server.user("OWNER");
    const refused = await invite({ email: freshEmail() }, owner.auth);
    expect(refused.status).toBe(403);
    expect((await invite({ email: "not an email" })).body.error.code).toBe("validation_failed");
    expect((await invite({ email: freshEmail(), epsilonAllowance: -1 })).body.error.code).toBe("validation_failed");
  });
});

describe("accepting an invitation", () => {
  it("shows what the link invites to, then creates the account with the chosen password, once", async () => {
    const email = freshEmail();
    const created = await invite({ email, role: "OWNER", epsilonAllowance: 2 });
    const token = tokenOf(created.body.link);

    const preview = await lookup(token);
    expect(preview.status).toBe(200);
    expect(preview.body).toEqual({ email, role: "OWNER", epsilonAllowance: 2, expiresAt: created.body.expiresAt });

    const accepted = await accept(token);
    expect(accepted.status).toBe(201);
    expect(accepted.body).toEqual({ email });
    const user = await server.ctx.prisma.user.findUniqueOrThrow({ where: { email } });
    expect(user).toMatchObject({ name: "New Person", role: "OWNER", epsilonAllowance: 2, lastSignInAt: null });
    expect(await verifyLogin(server.ctx, { email, password: PASSWORD, ip: "test" })).toMatchObject({ id: user.id });

    const again = await accept(token);
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: "conflict", details: { state: "accepted" } });
    expect(again.body.error.message).toBe(
      "This invitation has already been used. Sign in with the email and password chosen then.",
    );
    expect((await lookup(token)).body.error.details.state).toBe("accepted");
    // Accepted invitations leave the pending list: the account is what is left of them.
    const listed = await call(invitationsRoute.GET, { headers: admin.auth });
    expect(listed.body.invitations.map((one: { id: string }) => one.id)).not.toContain(created.body.id);
    const trail = await auditOf(created.body.id);
    expect(trail.map((event) => [event.action, event.actorId])).toEqual([
      ["invitation.create", admin.id],
      ["invitation.accept", user.id],
    ]);
  });

  it("makes one account when the link is used twice at the same moment", async () => {
    const email = freshEmail();
    const token = tokenOf((await invite({ email })).body.link);
    const answers = await Promise.all([accept(token), accept(token)]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([201, 409]);
    expect(await server.ctx.prisma.user.count({ where: { email } })).toBe(1);
  });

  it("ties a password that breaks the rule to the password field, and creates nothing", async () => {
    const email = freshEmail();
    const token = tokenOf((await invite({ email })).body.link);
    const short = await accept(token, "short");
    expect(short.status).toBe(400);
    expect(short.body.error).toMatchObject({
      code: "validation_failed",
      message: "Use at least 12 characters.",
      details: { field: "password" },
    });
    expect((await accept(token, `${email}!`)).body.error.message).toMatch(/email address/);
    expect(await server.ctx.prisma.user.count({ where: { email } })).toBe(0);
    expect((await lookup(token)).status).toBe(200);
  });

  it("says plainly when a link expired, was revoked, or is not a link at all", async () => {
    const expiredOne = await invite({ email: freshEmail() });
    await server.ctx.prisma.invitation.update({
      where: { id: expiredOne.body.id },
      data: { expiresAt: new Date("2026-01-05T12:00:00Z") },
    });
    const expired = await accept(tokenOf(expiredOne.body.link));
    expect(expired.status).toBe(409);
    expect(expired.body.error.message).toBe(
      "This invitation expired on 5 January 2026. Ask an admin to invite you again.",
    );
    const listed = await call(invitationsRoute.GET, { headers: admin.auth });
    expect(listed.body.invitations.find((one: { id: string }) => one.id === expiredOne.body.id).state).toBe("expired");

    const revokedOne = await invite({ email: freshEmail() });
    const revoked = await call(revokeRoute.DELETE, {
      method: "DELETE",
      headers: admin.auth,
      params: { id: revokedOne.body.id },
    });
    expect(revoked.body).toEqual({ revoked: true });
    const refused = await lookup(tokenOf(revokedOne.body.link));
    expect(refused.body.error).toMatchObject({ code: "conflict", details: { state: "revoked" } });
    expect(refused.body.error.message).toMatch(/^This invitation was revoked by an admin\./);
    expect((await auditOf(revokedOne.body.id)).map((event) => event.action)).toEqual([
      "invitation.create",
      "invitation.revoke",
    ]);
    const twice = await call(revokeRoute.DELETE, {
      method: "DELETE",
      headers: admin.auth,
      params: { id: revokedOne.body.id },
    });
    expect(twice.body.error).toMatchObject({ code: "conflict", message: "This invitation was already revoked." });

    const unknown = await lookup("dpi_not-a-real-token");
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toMatch(/^This invitation link is not valid\./);
  });

  it("refuses a link whose email got an account meanwhile (single sign-on creates one on first sign-in)", async () => {
    const email = freshEmail();
    const token = tokenOf((await invite({ email })).body.link);
    await server.ctx.prisma.user.create({ data: { email, name: "Signed on", role: "OWNER" } });
    const answer = await accept(token);
    expect(answer.status).toBe(409);
    expect(answer.body.error.message).toBe(`${email} already has an account: sign in with it instead.`);
  });
});
