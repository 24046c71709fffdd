// A real OpenID provider for `npm test` (oidc-provider), so the web app's single sign-on is tested against discovery,
// signed ID tokens, PKCE and the userinfo endpoint rather than against a stub. Test mode only: `npm start` never
// loads it (it is a devDependency).
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { createServer } from "node:http";

/** The client id the web app signs in with. */
export const TEST_OIDC_CLIENT_ID = "dpsynth";

/**
 * The provider's accounts. Grace's address is not verified at the provider: dpsynth must refuse her, since anyone
 * can type any address into an account whose email nobody checked.
 */
export const TEST_OIDC_ACCOUNTS = [
  { sub: "ada", email: "ada@sso.test", emailVerified: true, name: "Ada Lovelace", password: "analytical-engine" },
  { sub: "grace", email: "grace@sso.test", emailVerified: false, name: "Grace Hopper", password: "cobol-compiler" },
];

/** @param {string} text */
const escapeHtml = (text) =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c);

/**
 * The provider's own sign-in page (there is no hub to borrow one from).
 * @param {string} uid the interaction
 * @param {string} [problem] shown above the form after a wrong password
 */
function loginPage(uid, problem) {
  const alert = problem ? `<p role="alert">${escapeHtml(problem)}</p>` : "";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Test identity provider</title></head>
<body><main>
<h1>Test identity provider</h1>
${alert}
<form method="post" action="/interaction/${escapeHtml(uid)}/login">
<p><label for="email">Email address</label> <input id="email" name="email" type="email" autocomplete="username" required></p>
<p><label for="password">Password</label> <input id="password" name="password" type="password" autocomplete="current-password" required></p>
<p><button type="submit">Continue</button></p>
</form>
</main></body></html>`;
}

/** @param {import("node:http").IncomingMessage} req */
async function formBody(req) {
  let body = "";
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 10_000) throw new Error("form too large");
  }
  return new URLSearchParams(body);
}

/**
 * @param {import("node:http").ServerResponse} res
 * @param {number} status
 * @param {string} html
 */
function sendHtml(res, status, html) {
  res.writeHead(status, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
  res.end(html);
}

/**
 * Starts the provider on 127.0.0.1:`port` with one confidential client whose only redirect URI is the web app's
 * next-auth callback for the `oidc` provider. Keys, the client secret and the cookie keys are made afresh each run.
 * Returns the three variables that switch the web app's OIDC sign-in on, and how to stop the provider.
 * @param {{ port: number, webUrl: string }} options
 * @returns {Promise<{ env: { OIDC_ISSUER: string, OIDC_CLIENT_ID: string, OIDC_CLIENT_SECRET: string }, stop: () => Promise<void> }>}
 */
export async function startTestOidcProvider({ port, webUrl }) {
  const { default: Provider } = await import("oidc-provider");
  const issuer = `http://127.0.0.1:${port}`;
  const clientSecret = randomBytes(24).toString("hex");
  const signingKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ format: "jwk" });
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: TEST_OIDC_CLIENT_ID,
        client_secret: clientSecret,
        redirect_uris: [`${webUrl.replace(/\/$/, "")}/api/auth/callback/oidc`],
        grant_types: ["authorization_code"],
        response_types: ["code"],
      },
    ],
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
    // Left at its default on purpose: an ID token from the code flow carries `sub` only, as Okta's does, and the
    // email comes from the userinfo endpoint. A client that reads the ID token alone fails here.
    conformIdTokenClaims: true,
    // Required, so a web app that stopped sending a code challenge fails the e2e test instead of passing it.
    pkce: { required: () => true },
    features: { devInteractions: { enabled: false } },
    jwks: { keys: [{ ...signingKey, kid: "test-signing-key", alg: "RS256", use: "sig" }] },
    cookies: { keys: [randomBytes(32).toString("hex")] },
    // Lifetimes of a test run (seconds), stated so the provider does not print a notice for each default it uses.
    ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600 },
    async findAccount(_ctx, sub) {
      const account = TEST_OIDC_ACCOUNTS.find((candidate) => candidate.sub === sub);
      if (!account) return undefined;
      return {
        accountId: sub,
        claims: () => ({ sub, email: account.email, email_verified: account.emailVerified, name: account.name }),
      };
    },
    // dpsynth is this provider's only, first-party client: consent is implied, so there is no consent page.
    async loadExistingGrant(ctx) {
      const { client, session } = ctx.oidc;
      if (!client || !session?.accountId) return undefined;
      const grantId = ctx.oidc.result?.consent?.grantId ?? session.grantIdFor(client.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
      grant.addOIDCScope("openid email profile");
      await grant.save();
      return grant;
    },
  });
  const handleProtocol = provider.callback();

  /** @type {import("node:http").RequestListener} */
  async function handle(req, res) {
    const path = new URL(req.url ?? "/", issuer).pathname;
    const interaction = /^\/interaction\/([\w-]+)(\/login)?$/.exec(path);
    if (!interaction) return handleProtocol(req, res);
    const [, uid = "", submitted] = interaction;
    try {
      const details = await provider.interactionDetails(req, res);
      if (details.prompt.name !== "login") throw new Error(`unexpected prompt ${details.prompt.name}`);
      if (!submitted) return sendHtml(res, 200, loginPage(uid));
      if (req.method !== "POST") return sendHtml(res, 405, "<p>Use the form.</p>");
      const form = await formBody(req);
      const account = TEST_OIDC_ACCOUNTS.find(
        (candidate) => candidate.email === form.get("email") && candidate.password === form.get("password"),
      );
      if (!account) return sendHtml(res, 401, loginPage(uid, "Wrong email address or password."));
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId: account.sub } },
        { mergeWithLastSubmission: false },
      );
    } catch (error) {
      sendHtml(res, 400, `<p>${escapeHtml(error instanceof Error ? error.message : String(error))}</p>`);
    }
  }

  const server = createServer((req, res) => void handle(req, res));
  await new Promise((resolve, reject) => {
    server.once("error", (error) =>
      reject(new Error(`the test OpenID provider cannot listen on ${issuer}: ${error.message}`)),
    );
    server.listen(port, "127.0.0.1", () => resolve(undefined));
  });
  return {
    env: { OIDC_ISSUER: issuer, OIDC_CLIENT_ID: TEST_OIDC_CLIENT_ID, OIDC_CLIENT_SECRET: clientSecret },
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
