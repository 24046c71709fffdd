import { beforeAll, describe, expect, it } from "vitest";
import { account, database, errorCode, request, signIn, stackEnv, type TAccount } from "./support/stack.ts";

/**
 * What a hostile web page or a password guesser can do with a real browser session on the real stack: forge
 * state-changing requests (CSRF), frame the app, guess passwords behind made-up X-Forwarded-For headers.
 */

type TOperation = { operationId: string; security?: unknown[] };
const doc = (await request("/api/v1/openapi.json")).json as { paths: Record<string, Record<string, TOperation>> };
const changing = Object.entries(doc.paths).flatMap(([path, ops]) =>
  Object.entries(ops)
    .filter(([method, operation]) => method !== "get" && operation.security?.length !== 0)
    .map(([method]) => ({ path: `/api/v1${path.replace(/\{\w+\}/g, "anything")}`, method: method.toUpperCase() })),
);
const EVIL = "http://evil.example";

let owner: TAccount;
let session: string;

beforeAll(async () => {
  owner = await account("OWNER", { epsilonAllowance: 0 });
  const signedIn = await signIn(owner);
  expect(signedIn.error).toBeNull();
  session = signedIn.cookie as string;
});

const crossSite = (answer: { status: number; text: string }) =>
  answer.status === 403 && /Cross-site request refused/.test(answer.text);

describe("CSRF", () => {
  it("finds the state-changing routes in the document", () => {
    expect(changing.length).toBeGreaterThanOrEqual(10);
  });

  it.each(changing)("refuses a forged $method $path that rides on the session cookie", async ({ path, method }) => {
    const forgeries: Record<string, string>[] = [
      { cookie: session, origin: EVIL, "content-type": "text/plain;application/json" },
      { cookie: session, "sec-fetch-site": "cross-site", "content-type": "application/json" },
      { cookie: session, origin: "null", "content-type": "application/json" },
      { cookie: session, "content-type": "application/json" },
    ];
    for (const headers of forgeries) {
      const answer = await request(path, { method, headers, body: "{}" });
      expect(crossSite(answer), `${JSON.stringify(headers)} → ${answer.status}`).toBe(true);
    }
    // From dpsynth's own page the same cookie passes the check (whatever the route then says), and a script's
    // API token is not an ambient credential, so another Origin does not matter for it.
    const { baseUrl } = stackEnv();
    const own = await request(path, {
      method,
      headers: { cookie: session, origin: baseUrl, "content-type": "application/json" },
      body: "{}",
    });
    expect(crossSite(own)).toBe(false);
    const script = await request(path, {
      method,
      headers: { ...owner.auth, origin: EVIL, "content-type": "application/json" },
      body: "{}",
    });
    expect(crossSite(script)).toBe(false);
  });

  it("creates no API token for the issue's forged request (text/plain;application/json from another site)", async () => {
    const before = await database().apiToken.count({ where: { userId: owner.id } });
    const forged = await request("/api/v1/tokens", {
      method: "POST",
      headers: { cookie: session, origin: EVIL, "content-type": "text/plain;application/json" },
      body: JSON.stringify({ name: "stolen" }),
    });
    expect(forged.status).toBe(403);
    expect(await database().apiToken.count({ where: { userId: owner.id } })).toBe(before);
    const real = await request("/api/v1/tokens", {
      method: "POST",
      headers: { cookie: session, origin: stackEnv().baseUrl },
      json: { name: "mine" },
    });
    expect(real.status).toBe(201);
  });
});

describe("the sign-in rate limit", () => {
  it("locks an account after 10 wrong passwords whatever X-Forwarded-For says, the right one included", async () => {
    const target = await account("OWNER");
    const wrong = { email: target.email, password: "not-the-password" };
    for (let i = 0; i < 10; i++) {
      expect((await signIn(wrong, { "x-forwarded-for": `203.0.113.${i}` })).error).toBe("CredentialsSignin");
    }
    for (let i = 0; i < 30; i++) {
      const guess = await signIn(wrong, { "x-forwarded-for": `198.51.100.${i}`, "x-real-ip": `198.51.100.${i}` });
      expect(guess.error).toBe("rate_limited");
    }
    const right = await signIn(target, { "x-forwarded-for": "192.0.2.1" });
    expect(right).toMatchObject({ error: "rate_limited", cookie: null });
  });
});

describe("headers and framing", () => {
  it.each(["/login", "/", "/api/v1/openapi.json", "/api/v1/me"])(
    "%s forbids framing and sniffing and keeps its URLs",
    async (path) => {
      const answer = await request(path);
      expect(answer.status).toBeLessThan(500);
      expect(answer.headers.get("x-frame-options")).toBe("DENY");
      expect(answer.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
      expect(answer.headers.get("x-content-type-options")).toBe("nosniff");
      expect(answer.headers.get("referrer-policy")).toBe("same-origin");
      expect(answer.headers.get("x-powered-by")).toBeNull();
    },
  );

  it("answers a Bearer header with a word after the token 401", async () => {
    const answer = await request("/api/v1/me", { headers: { authorization: `Bearer ${owner.token} extra` } });
    expect([answer.status, errorCode(answer)]).toEqual([401, "unauthenticated"]);
  });
});
