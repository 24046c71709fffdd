import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { account, csvForm, declaredLabels, request, type TAccount, type TAnswer } from "./support/stack.ts";

/**
 * The authorization matrix: every route of the OpenAPI document × every role (nobody, the owner, another owner,
 * an admin) × a real id of the owner's and a missing one. Another owner's id must answer exactly as a missing one
 * does (nothing tells it exists); the owner and admins must see their things; admin routes refuse owners.
 */

type TOperation = { operationId: string; "x-dpsynth-access"?: "admin"; security?: unknown[] };

const doc = (await request("/api/v1/openapi.json")).json as { paths: Record<string, Record<string, TOperation>> };
const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
  Object.entries(ops).map(([method, operation]) => ({ path, method: method.toUpperCase(), operation })),
);
const MISSING = "c0000000000000000000000missing";
const freshEmail = () => `matrix-${randomBytes(5).toString("hex")}@example.test`;

let owner: TAccount;
let other: TAccount;
let admin: TAccount;
const mine: Record<string, string> = {};

beforeAll(async () => {
  owner = await account("OWNER", { epsilonAllowance: 0 });
  other = await account("OWNER", { epsilonAllowance: 0 });
  admin = await account("ADMIN", { epsilonAllowance: 0 });
  const csv = `text,label\n${Array.from({ length: 30 }, (_, i) => `a review number ${i},${i % 2 ? "up" : "down"}`).join("\n")}\n`;
  const dataset = await request("/api/v1/datasets", {
    method: "POST",
    headers: owner.auth,
    body: csvForm(csv, {
      name: "matrix",
      textColumn: "text",
      labelColumn: "label",
      labels: declaredLabels("up", "down"),
    }),
  });
  mine.dataset = (dataset.json as { id: string }).id;
  const job = await request("/api/v1/jobs", {
    method: "POST",
    headers: owner.auth,
    json: { datasetId: mine.dataset, model: "tiny-gpt2", epsilon: 1, syntheticRows: 5 },
  });
  mine.job = (job.json as { id: string }).id;
  const token = await request("/api/v1/tokens", { method: "POST", headers: owner.auth, json: { name: "matrix" } });
  mine.token = (token.json as { id: string }).id;
  mine.user = other.id; // users are an admin's to change; the target is another account
  // Invitations: one for the admin to revoke, and a link each for the public routes to look up and to accept.
  const invite = async () =>
    (await request("/api/v1/invitations", { method: "POST", headers: admin.auth, json: { email: freshEmail() } }))
      .json as { id: string; link: string };
  const tokenOf = (link: string) => new URL(link).hash.slice(1);
  mine.invitation = (await invite()).id;
  mine.lookupToken = tokenOf((await invite()).link);
  mine.acceptToken = tokenOf((await invite()).link);
}, 120_000);

/** The owner's thing a route is about (in its path, or in its body for job requests), and a request for it. */
function requestFor(path: string, method: string, operationId: string, target: string) {
  const id = target === "mine" ? undefined : MISSING;
  const thing = path.startsWith("/datasets")
    ? (id ?? mine.dataset)
    : path.startsWith("/users")
      ? (id ?? mine.user)
      : path.startsWith("/tokens")
        ? (id ?? mine.token)
        : path.startsWith("/invitations")
          ? (id ?? mine.invitation)
          : (id ?? mine.job);
  const url = `/api/v1${path.replace(/\{(id|jobId)\}/, thing as string).replace("{name}", "report.json")}`;
  const bodies: Record<string, unknown> = {
    createJob: { datasetId: id ?? mine.dataset, model: "tiny-gpt2", epsilon: 0.5, syntheticRows: 5 },
    quoteJob: { datasetId: id ?? mine.dataset, model: "tiny-gpt2", epsilon: 0.5, syntheticRows: 5 },
    createToken: { name: "matrix" },
    setBudget: { epsilonTotal: 20 },
    decideApproval: { decision: "reject", reason: "authorization matrix" },
    updateUser: { epsilonAllowance: 0 },
    changePassword: { currentPassword: "not the password", newPassword: "a long matrix password" },
    createInvitation: { email: freshEmail() },
    lookupInvitation: { token: mine.lookupToken },
    acceptInvitation: { token: mine.acceptToken, name: "Matrix", password: "a long matrix password" },
  };
  const json = bodies[operationId];
  const multipart = operationId === "uploadDataset" || operationId === "previewDataset";
  return {
    url,
    method,
    json,
    body: multipart
      ? csvForm("text,label\nx,y\n", {
          name: "m",
          textColumn: "text",
          labelColumn: "label",
          labels: declaredLabels("y", "n"),
        })
      : undefined,
  };
}

const send = (who: TAccount | null, r: ReturnType<typeof requestFor>) =>
  request(r.url, { method: r.method, headers: who?.auth ?? {}, json: r.json, body: r.body, streamMs: 200 });

const shape = (answer: TAnswer) => [answer.status, (answer.json as { error?: unknown } | undefined)?.error ?? null];

describe("the authorization matrix", () => {
  it.each(operations)("$method $path", async ({ path, method, operation }) => {
    const adminOnly = operation["x-dpsynth-access"] === "admin";
    const isPublic = Array.isArray(operation.security) && operation.security.length === 0;
    const targeted = /\{(id|jobId)\}/.test(path) || ["createJob", "quoteJob"].includes(operation.operationId);
    const forMine = () => requestFor(path, method, operation.operationId, "mine");
    const forMissing = () => requestFor(path, method, operation.operationId, "missing");

    const anonymous = await send(null, forMine());
    if (isPublic) {
      expect(anonymous.status).toBeLessThan(300);
      return;
    }
    expect(shape(anonymous)).toEqual([401, expect.objectContaining({ code: "unauthenticated" })]);

    for (const owners of [owner, other]) {
      if (!adminOnly) continue;
      for (const r of [forMine(), forMissing()]) {
        expect(shape(await send(owners, r))).toEqual([403, expect.objectContaining({ code: "forbidden" })]);
      }
    }
    if (!adminOnly && targeted) {
      // Another owner learns nothing: the owner's id answers exactly as an id that does not exist.
      const foreign = await send(other, forMine());
      const missing = await send(other, forMissing());
      expect(shape(foreign)).toEqual(shape(missing));
      expect(foreign.status).toBe(404);
    }
    const seers = adminOnly ? [admin] : [owner, admin];
    for (const who of seers) {
      const missing = await send(who, forMissing());
      const seen = await send(who, forMine());
      expect(seen.status).not.toBe(401);
      expect(seen.status).not.toBe(403);
      // API tokens are personal: an admin does not see another user's either.
      const personal = path.startsWith("/tokens/") && who === admin;
      if (targeted && !personal)
        expect(shape(seen), `${who === admin ? "admin" : "owner"} sees it`).not.toEqual(shape(missing));
      if (personal) expect(shape(seen)).toEqual(shape(missing));
    }
  });

  it("lists nothing of another owner's", async () => {
    for (const path of ["/api/v1/datasets", "/api/v1/jobs"]) {
      const listed = await request(path, { headers: other.auth });
      expect(listed.status).toBe(200);
      expect(listed.text).not.toContain(mine.dataset as string);
      expect(listed.text).not.toContain(mine.job as string);
    }
  });
});
