"use client";

import type { ReactNode } from "react";
import { AppShell } from "@/components/layout/app-shell";

const adminNav = [
  { href: "/admin/approvals", label: "Approvals", icon: "✓" },
  { href: "/admin/budgets", label: "Budgets", icon: "ε" },
  { href: "/admin/users", label: "Users", icon: "☺" },
  { href: "/admin/audit", label: "Audit trail", icon: "☰" },
];

export function DashboardShell({ children }: { children: ReactNode }) {
  return <AppShell adminNav={adminNav}>{children}</AppShell>;
}
