import { type NextRequest, NextResponse } from "next/server";

/**
 * Refuses a path that is not valid percent-encoding (`/api/v1/jobs/%`, `/jobs/%E0%A4%A`) with a 400 in the API's
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
  return NextResponse.next();
}

export const config = {
  // Not the uploads (a proxy's request gets a buffered copy of the body: 50 MB each) nor Next's own assets; no
  // dynamic segment is at risk there.
  matcher: ["/((?!_next/static|_next/image|api/v1/datasets$|api/v1/datasets/preview$).*)"],
};
