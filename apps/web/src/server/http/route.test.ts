import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as datasetsRoute from "../../../app/api/v1/datasets/route.ts";
import * as jobRoute from "../../../app/api/v1/jobs/[id]/route.ts";
import * as quoteRoute from "../../../app/api/v1/jobs/quote/route.ts";
import * as tokensRoute from "../../../app/api/v1/tokens/route.ts";
import { call, createTestServer, csvForm, type TTestServer } from "../testing.ts";
import { JSON_BODY_LIMIT_BYTES } from "./body.ts";
import { ENDPOINTS } from "./endpoints.ts";
import { route } from "./route.ts";

/** What every /api/v1 route inherits from the one wrapper: CSRF checks, body limits, NUL refusal. */

let server: TTestServer;
let owner: Awaited<ReturnType<TTestServer["user"]>>;

beforeAll(async () => {
  server = await createTestServer();
  owner = await server.user("OWNER", 3);
});
afterAll(() => server.close());

const session = () => ({ cookie: owner.cookie.cookie });

/** The labels field of a one-row upload that is refused before its file is read. */
const ONE_ROW_LABELS = JSON.stringify([{ value: "b" }, { value: "c" }]);
const createToken = (headers: Record<string, string>, body: BodyInit = JSON.stringify({ name: "t" })) =>
  call(tokensRoute.POST, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });

describe("CSRF: a signed-in browser changes things only from dpsynth's own pages", () => {
  it("refuses a session-cookie POST from another site, whatever its content type, and creates nothing", async () => {
    const before = await server.ctx.prisma.apiToken.count({ where: { userId: owner.id } });
    const forged = [
      { ...session(), origin: "http://evil.example" },
      { ...session(), origin: "http://evil.example", "content-type": "text/plain;application/json" },
      { ...session(), "sec-fetch-site": "cross-site" },
      { ...session(), "sec-fetch-site": "same-site", origin: "http://app.localhost" },
      { ...session(), origin: "null" },
      session(), // no Origin, no Sec-Fetch-Site: not a browser on our page
    ];
    for (const headers of forged) {
      const { status, body } = await createToken(headers);
      expect([headers, status, body.error.code]).toEqual([headers, 403, "forbidden"]);
      expect(body.error.message).toMatch(/Cross-site request refused/);
    }
    const upload = await call(datasetsRoute.POST, {
      method: "POST",
      headers: { ...session(), origin: "http://evil.example" },
      body: csvForm("text,label\na,b\n", {
        name: "x",
        textColumn: "text",
        labelColumn: "label",
        labels: ONE_ROW_LABELS,
      }),
    });
    expect(upload.status).toBe(403);
    expect(await server.ctx.prisma.apiToken.count({ where: { userId: owner.id } })).toBe(before);
  });

  it("accepts the same request from dpsynth's own page, and leaves API tokens and reads alone", async () => {
    expect((await createToken({ ...session(), "sec-fetch-site": "same-origin" })).status).toBe(201);
    expect((await createToken({ ...session(), origin: "http://localhost" })).status).toBe(201);
    // A script's token is no ambient credential: another Origin does not matter.
    expect((await createToken({ ...owner.auth, origin: "http://evil.example" })).status).toBe(201);
    const read = await call(jobRoute.GET, {
      headers: { ...session(), origin: "http://evil.example" },
      params: { id: "missing" },
    });
    expect(read.status).toBe(404);
  });
});

describe("a successful answer has the endpoint's declared status", () => {
  it("201 where the endpoint declares it, 200 where it declares none; handlers do not repeat it", async () => {
    const declared = route({ access: "public", status: 201 }, async () => ({ made: true }));
    const undeclared = route({ access: "public" }, async () => ({ read: true }));
    expect([(await call(declared)).status, (await call(undeclared)).status]).toEqual([201, 200]);
    const created = await createToken(owner.auth);
    expect([created.status, typeof created.body.token]).toEqual([ENDPOINTS.createToken.status, "string"]);
  });
});

/** A streamed body of `bytes` that records how much of it was read. */
function countedBody(bytes: number) {
  const chunk = new Uint8Array(16 * 1024);
  let sent = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= bytes) return controller.close();
      sent += chunk.length;
      controller.enqueue(chunk);
    },
  });
  return { stream, read: () => sent };
}

describe("request bodies", () => {
  it("reads what is left of a refused request's small body, so a client still sending gets the answer", async () => {
    const small = countedBody(200 * 1024);
    const refused = await call(tokensRoute.POST, {
      method: "POST",
      headers: { authorization: "Bearer dps_unknown", "content-type": "application/json" },
      body: small.stream,
    });
    expect(refused.status).toBe(401);
    expect(small.read()).toBeGreaterThanOrEqual(200 * 1024);
    expect(refused.response.headers.get("connection")).toBeNull();
    // Past the limit it stops reading and closes the connection instead of draining an upload it refused.
    const large = countedBody(20 * 1024 * 1024);
    const closed = await call(tokensRoute.POST, {
      method: "POST",
      headers: { ...owner.auth, "content-type": "application/json" },
      body: large.stream,
    });
    expect(closed.status).toBe(413);
    expect(closed.response.headers.get("connection")).toBe("close");
    expect(large.read()).toBeLessThan(2 * 1024 * 1024);
  });

  it("takes JSON only as application/json, and refuses one over the size limit before reading it all", async () => {
    const wrongType = await createToken({ ...owner.auth, "content-type": "text/plain;application/json" });
    expect([wrongType.status, wrongType.body.error.code]).toEqual([415, "unsupported_media_type"]);
    const huge = JSON.stringify({ name: "x".repeat(10 * 1024 * 1024) });
    const tooLarge = await createToken(owner.auth, huge);
    expect([tooLarge.status, tooLarge.body.error.code]).toEqual([413, "payload_too_large"]);
    // A body without a content-length (streamed, chunked) is cut off at the limit too.
    const bytes = new TextEncoder().encode(JSON.stringify({ name: "y".repeat(JSON_BODY_LIMIT_BYTES) }));
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 16_384) controller.enqueue(bytes.subarray(i, i + 16_384));
        controller.close();
      },
    });
    const streamed = await call(tokensRoute.POST, {
      method: "POST",
      headers: { ...owner.auth, "content-type": "application/json" },
      body: stream,
    });
    expect(streamed.status).toBe(413);
    const broken = await createToken(owner.auth, Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]));
    expect([broken.status, broken.body.error.code]).toEqual([400, "bad_request"]);
  });

  it("answers 400, not 500, to a NUL character in a body, a path id or a query", async () => {
    const dataset = await server.dataset(owner.id);
    const inBody = await call(quoteRoute.POST, {
      method: "POST",
      headers: owner.auth,
      json: { datasetId: dataset.id, model: "tiny-gpt2\u0000", epsilon: 1, syntheticRows: 5 },
    });
    expect([inBody.status, inBody.body.error.code]).toEqual([400, "bad_request"]);
    const inKey = await createToken(owner.auth, JSON.stringify({ "na\u0000me": "t" }));
    expect(inKey.status).toBe(400);
    const inPath = await call(jobRoute.GET, { headers: owner.auth, params: { id: "abc\u0000def" } });
    expect([inPath.status, inPath.body.error.code]).toEqual([400, "bad_request"]);
    const inForm = await call(datasetsRoute.POST, {
      method: "POST",
      headers: owner.auth,
      body: csvForm("text,label\na,b\n", {
        name: "x\u0000y",
        textColumn: "text",
        labelColumn: "label",
        labels: ONE_ROW_LABELS,
      }),
    });
    expect([inForm.status, inForm.body.error.code]).toEqual([400, "bad_request"]);
  });
});
