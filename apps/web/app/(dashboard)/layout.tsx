import { redirect } from "next/navigation";
import { connection } from "next/server";
import { getServerSession } from "next-auth/next";
import type { ReactNode } from "react";
import { DashboardShell } from "@/components/layout/dashboard-shell";
import { authOptions } from "@/lib/auth-options";

/** Every dashboard page needs a signed-in user; anyone else goes to the sign-in page. */
export default async function DashboardLayout({ children }: { children: ReactNode }) {
  // Render per request: the session is read from the request, and the server context only exists at run time.
  await connection();
  const session = await getServerSession(authOptions());
  if (!session) redirect("/login");
  return <DashboardShell>{children}</DashboardShell>;
}
