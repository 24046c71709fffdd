import { decode } from "next-auth/jwt";

/** next-auth's session cookie names (plain and __Secure-), possibly chunked as `.0`, `.1`, … */
const COOKIE_NAMES = ["__Secure-next-auth.session-token", "next-auth.session-token"];

function parseCookies(header: string | null): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0) cookies.set(part.slice(0, eq).trim(), decodeURIComponent(part.slice(eq + 1).trim()));
  }
  return cookies;
}

function sessionToken(cookies: Map<string, string>): string | null {
  for (const name of COOKIE_NAMES) {
    if (cookies.has(name)) return cookies.get(name) as string;
    const chunks = [...cookies.keys()]
      .filter((key) => key.startsWith(`${name}.`))
      .sort((a, b) => Number(a.split(".").pop()) - Number(b.split(".").pop()));
    if (chunks.length) return chunks.map((key) => cookies.get(key)).join("");
  }
  return null;
}

/** Whether a request carries a next-auth session cookie at all (valid or not): the ambient credential CSRF rides on. */
export function hasSessionCookie(request: Request): boolean {
  return sessionToken(parseCookies(request.headers.get("cookie"))) !== null;
}

/**
 * The user id in a request's next-auth session cookie, or null. Read directly (not through getToken)
 * because getToken would also take an `Authorization: Bearer` header for a session JWT, and that header
 * carries our API tokens.
 */
export async function sessionUserId(request: Request, secret: string): Promise<string | null> {
  const token = sessionToken(parseCookies(request.headers.get("cookie")));
  if (!token) return null;
  try {
    const payload = await decode({ token, secret });
    const id = payload?.sub ?? (payload as { id?: unknown } | null)?.id;
    return typeof id === "string" ? id : null;
  } catch {
    return null;
  }
}
