import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as meRoute from "../../../app/api/v1/me/route.ts";
import * as revokeRoute from "../../../app/api/v1/tokens/[id]/route.ts";
import * as tokensRoute from "../../../app/api/v1/tokens/route.ts";
import { call, createTestServer, type TTestServer } from "../testing.ts";
import { hashToken, LAST_USED_RESOLUTION_MS, userOfToken } from "./api-tokens.ts";

let server: TTestServer;
let owner: Awaited<ReturnType<TTestServer["user"]>>;

beforeAll(async () => {
  server = await createTestServer();
  owner = await server.user("OWNER");
});
afterAll(() => server.close());

const me = (headers: Record<string, string>) => call(meRoute.GET, { headers });

describe("authentication", () => {
  it("accepts a session cookie and an API token for the same user", async () => {
    expect((await me(owner.cookie)).body).toMatchObject({ id: owner.id, role: "OWNER" });
    expect((await me(owner.auth)).body).toMatchObject({ id: owner.id, email: owner.email });
  });

  it("creates a token shown once, stored only as its sha256, usable at once, and revocable", async () => {
    const created = await call(tokensRoute.POST, { method: "POST", headers: owner.cookie, json: { name: "ci" } });
    expect(created.status).toBe(201);
    const { token, id } = created.body;
    expect(token).toMatch(/^dps_/);
    const row = await server.ctx.prisma.apiToken.findUniqueOrThrow({ where: { id } });
    expect(row.tokenHash).toBe(hashToken(token));
    expect(JSON.stringify(row)).not.toContain(token);
    expect((await me({ authorization: `Bearer ${token}` })).status).toBe(200);
    const listed = (await me(owner.auth)).body.tokens.find((t: { id: string }) => t.id === id);
    expect(listed).toMatchObject({ name: "ci", revokedAt: null });
    expect(listed.token).toBeUndefined();
    expect((await call(revokeRoute.DELETE, { method: "DELETE", headers: owner.auth, params: { id } })).status).toBe(
      200,
    );
    const revoked = await me({ authorization: `Bearer ${token}` });
    expect(revoked.status).toBe(401);
    expect(revoked.body.error).toMatchObject({ code: "unauthenticated", message: expect.stringMatching(/revoked/) });
    // The revocation is in the audit trail, by whom.
    const trail = await server.ctx.prisma.auditEvent.findMany({ where: { subjectId: id, action: "token.revoke" } });
    expect(trail.map((event) => event.actorId)).toEqual([owner.id]);
  });

  it("records when a token was last used, to the minute, without a write on every request", async () => {
    const created = await call(tokensRoute.POST, { method: "POST", headers: owner.cookie, json: { name: "poller" } });
    const { token, id } = created.body;
    const lastUsed = async () => (await server.ctx.prisma.apiToken.findUniqueOrThrow({ where: { id } })).lastUsedAt;
    expect(await lastUsed()).toBeNull();
    const start = new Date("2026-12-02T08:00:00Z");
    await userOfToken(server.ctx.prisma, token, start);
    expect(await lastUsed()).toEqual(start);
    // Within the minute: read, not written.
    await userOfToken(server.ctx.prisma, token, new Date(start.getTime() + LAST_USED_RESOLUTION_MS - 1));
    expect(await lastUsed()).toEqual(start);
    const later = new Date(start.getTime() + LAST_USED_RESOLUTION_MS);
    await userOfToken(server.ctx.prisma, token, later);
    expect(await lastUsed()).toEqual(later);
  });

  it("answers 401 for no credentials, an unknown token, a malformed header (a word after a valid token too) and a forged cookie", async () => {
    const attempts: Record<string, string>[] = [
      {},
      { authorization: "Bearer dps_unknown" },
      { authorization: "Basic abc" },
      { authorization: `Bearer ${owner.token} extra` },
      { authorization: `Bearer ${owner.token},${owner.token}` },
      { authorization: "Bearer" },
      { cookie: "next-auth.session-token=forged" },
    ];
    for (const headers of attempts) {
      const { status, body } = await me(headers);
      expect(status).toBe(401);
      expect(body.error.code).toBe("unauthenticated");
    }
  });

  it("does not let another user's token be revoked", async () => {
    const other = await server.user("OWNER");
    const token = await server.ctx.prisma.apiToken.findFirstOrThrow({ where: { userId: other.id } });
    expect(
      (await call(revokeRoute.DELETE, { method: "DELETE", headers: owner.auth, params: { id: token.id } })).status,
    ).toBe(404);
    expect((await me(other.auth)).status).toBe(200);
  });
});
