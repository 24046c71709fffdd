import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as userRoute from "../../../app/api/v1/users/[id]/route.ts";
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
