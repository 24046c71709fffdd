"use client";

import type { ReactNode } from "react";
import { AppShell, type TNavItem } from "@/components/layout/app-shell";
import { useApprovals } from "@/modules/admin/hooks/use-admin";
import { useCurrentUser } from "@/modules/auth/hooks/use-current-user";

/** The app shell with the admin section, whose Approvals entry counts what is waiting. */
export function DashboardShell({ children }: { children: ReactNode }) {
  const { user } = useCurrentUser();
  const approvals = useApprovals({ enabled: user?.role === "ADMIN" });
  const adminNav = [
    { href: "/admin/approvals", label: "Approvals", icon: "check", badge: approvals.data?.length },
    { href: "/admin/budgets", label: "Budgets", icon: "gauge" },
    { href: "/admin/users", label: "Users", icon: "users" },
    { href: "/admin/trainers", label: "Trainers", icon: "gauge" },
    { href: "/admin/audit", label: "Audit trail", icon: "list" },
  ] satisfies TNavItem[];
  return <AppShell adminNav={adminNav}>{children}</AppShell>;
}
