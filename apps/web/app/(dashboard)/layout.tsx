import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { connection } from "next/server";
import { getServerSession } from "next-auth/next";
import type { ReactNode } from "react";
import { DashboardShell } from "@/components/layout/dashboard-shell";
import { authOptions } from "@/lib/auth-options";
import { loginPathFor, REQUESTED_PATH_HEADER } from "@/lib/callback-path";

/** Every dashboard page needs a signed-in user; anyone else goes to the sign-in page, and back here afterwards. */
export default async function DashboardLayout({ children }: { children: ReactNode }) {
  // Render per request: the session is read from the request, and the server context only exists at run time.
  await connection();
  const session = await getServerSession(authOptions());
  if (!session) redirect(loginPathFor((await headers()).get(REQUESTED_PATH_HEADER)));
  return <DashboardShell>{children}</DashboardShell>;
}
