/**
 * The request header in which the proxy (`proxy.ts`) hands a page the path it was asked for: a layout sees no URL
 * of its own, and the dashboard's needs it to send a signed-out visitor to sign in and back.
 */
export const REQUESTED_PATH_HEADER = "x-dpsynth-requested-path";

/**
 * Where sign-in may send the browser afterwards: a path on this site and nothing else, so a crafted
 * `/login?callbackUrl=…` cannot bounce a person to another site (an open redirect). Absolute URLs of another
 * origin, protocol-relative `//host` and `/\host` (which browsers read as `//host`), and anything that does not
 * parse become "/".
 */
export function safeCallbackPath(raw: string | null | undefined, origin: string): string {
  if (!raw) return "/";
  try {
    const url = new URL(raw, origin);
    if (url.origin !== new URL(origin).origin) return "/";
    const path = `${url.pathname}${url.search}${url.hash}`;
    // A same-origin URL may still carry a path that starts with two slashes, which a browser reads as a host.
    return /^\/(?![/\\])/.test(path) ? path : "/";
  } catch {
    return "/";
  }
}

/** The sign-in page for someone who asked for `path` while signed out: back there afterwards. */
export function loginPathFor(path: string | null | undefined): string {
  if (!path || path === "/" || !path.startsWith("/") || path.startsWith("//")) return "/login";
  return `/login?callbackUrl=${encodeURIComponent(path)}`;
}
