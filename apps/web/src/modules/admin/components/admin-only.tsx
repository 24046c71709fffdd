"use client";

import type { ReactNode } from "react";
import { PageHeader } from "@/components/ui/page-header";
import { LoadingState } from "@/components/ui/states";
import { useCurrentUser } from "@/modules/auth/hooks/use-current-user";

/** Admin pages for admins; the API refuses owners anyway, this only spares them a page of errors. */
export function AdminOnly({ children }: { children: ReactNode }) {
  const { user, loading } = useCurrentUser();
  if (loading) {
    return (
      <div className="page">
        <div className="card">
          <LoadingState />
        </div>
      </div>
    );
  }
  if (user?.role !== "ADMIN") {
    return (
      <div className="page">
        <PageHeader title="Admins only" />
        <div className="card card-body">
          <p className="muted">This page is for administrators. Ask one if you need a larger budget or allowance.</p>
        </div>
      </div>
    );
  }
  return <>{children}</>;
}
