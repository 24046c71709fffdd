import type { ReactNode } from "react";
import { AdminOnly } from "@/modules/admin/components/admin-only";

export default function AdminLayout({ children }: { children: ReactNode }) {
  return <AdminOnly>{children}</AdminOnly>;
}
