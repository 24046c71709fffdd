import { type NextRequest, NextResponse } from "next/server";
import { REQUESTED_PATH_HEADER } from "@/lib/callback-path";

/**
 * Hands pages the path they were asked for (`REQUESTED_PATH_HEADER`), so that signing in leads back to it. Refuses a
 * path that is not valid percent-encoding (`/api/v1/jobs/%`, `/jobs/%E0%A4%A`) with a 400 in the API's
 * error shape. Next's router fails to decode such a path while matching its dynamic segments and answers a bare
 * 500; this runs before that matching.
 */
export function proxy(request: NextRequest) {
  try {
    decodeURIComponent(request.nextUrl.pathname);
  } catch {
    return NextResponse.json(
      { error: { code: "bad_request", message: "The URL is not valid: a % must start an escape such as %20." } },
      { status: 400 },
    );
  }
  const { pathname, search } = request.nextUrl;
  if (pathname.startsWith("/api/")) return NextResponse.next();
  // Set here, over whatever the client sent: pages read it only to come back after sign-in (and check it then).
  const headers = new Headers(request.headers);
  headers.set(REQUESTED_PATH_HEADER, `${pathname}${search}`);
  return NextResponse.next({ request: { headers } });
}

export const config = {
  // Not the uploads (a proxy's request gets a buffered copy of the body: 50 MB each) nor Next's own assets; no
  // dynamic segment is at risk there.
  matcher: ["/((?!_next/static|_next/image|api/v1/datasets$|api/v1/datasets/preview$).*)"],
};
