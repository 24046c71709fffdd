import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as tokensRoute from "../../../app/api/v1/tokens/route.ts";
import { call, createTestServer, type TTestServer } from "../testing.ts";

/** A token's name is text the user gives: the one name rule (`http/names.ts`) answers 400 before PostgreSQL sees it. */

let server: TTestServer;
let owner: Awaited<ReturnType<TTestServer["user"]>>;

beforeAll(async () => {
  server = await createTestServer();
  owner = await server.user("OWNER");
});
afterAll(() => server.close());

const create = (name: string) => call(tokensRoute.POST, { method: "POST", headers: owner.auth, json: { name } });
const tokens = () => server.ctx.prisma.apiToken.count({ where: { userId: owner.id } });

describe("POST /api/v1/tokens names", () => {
  it.each([
    ["a lone high surrogate", "ci \ud800 token"],
    ["a lone low surrogate", "\udc00"],
    ["a control character", "ci\u0007token"],
    ["a line break", "ci\ntoken"],
  ])("refuses a name with %s as a 400 that says why, and stores nothing", async (_, name) => {
    const before = await tokens();
    const answer = await create(name);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({
      code: "validation_failed",
      message: expect.stringMatching(/^Invalid body: name: must (not contain control characters|be valid Unicode)/),
    });
    expect(await tokens()).toBe(before);
  });

  it("keeps any other text as given, emoji with their surrogate pairs included", async () => {
    const answer = await create("  deploy 👍🏽 «prod»  ");
    expect(answer.status).toBe(201);
    expect(answer.body.name).toBe("deploy 👍🏽 «prod»");
    const stored = await server.ctx.prisma.apiToken.findUniqueOrThrow({ where: { id: answer.body.id } });
    expect(stored.name).toBe("deploy 👍🏽 «prod»");
  });
});
