import { hasSessionCookie } from "../auth/session-cookie.ts";
import { AppError } from "./errors.ts";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** The origin the request was addressed to, as the browser saw it (Host, and the scheme the proxy reports). */
function addressedOrigin(request: Request): string | null {
  const host = request.headers.get("x-forwarded-host") ?? request.headers.get("host");
  if (!host) return null;
  const proto = request.headers.get("x-forwarded-proto") ?? new URL(request.url).protocol.replace(":", "");
  return `${proto.split(",")[0]?.trim()}://${host.split(",")[0]?.trim()}`;
}

const refused = () =>
  new AppError(
    "forbidden",
    "Cross-site request refused: a signed-in browser may change things only from dpsynth's own pages. Scripts send an API token (Authorization: Bearer).",
  );

/**
 * Refuses a state-changing request that rides on the session cookie but did not come from dpsynth's own pages
 * (CSRF): the browser says where a request comes from in `Sec-Fetch-Site` and `Origin`, which a page on another
 * site cannot forge. Requests with an API token, or with no session cookie, carry no ambient credential and are
 * not checked (the latter are simply unauthenticated); neither are safe methods, which change nothing.
 *
 * @param publicOrigin the origin users reach the app at (NEXTAUTH_URL), when configured
 */
export function checkSameOrigin(request: Request, publicOrigin: string | null): void {
  if (SAFE_METHODS.has(request.method.toUpperCase())) return;
  if (request.headers.has("authorization") || !hasSessionCookie(request)) return;
  const site = request.headers.get("sec-fetch-site");
  if (site === "cross-site" || site === "same-site") throw refused();
  const origin = request.headers.get("origin");
  if (origin === null) {
    // Browsers that predate Fetch Metadata still send Origin on every POST, PUT and DELETE.
    if (site === "same-origin") return;
    throw refused();
  }
  if (origin !== publicOrigin && origin !== addressedOrigin(request)) throw refused();
}
