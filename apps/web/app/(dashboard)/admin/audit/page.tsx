import type { Metadata } from "next";
import { AuditTable } from "@/modules/admin/components/audit-table";

export const metadata: Metadata = { title: "Audit trail" };

export default function Page() {
  return <AuditTable />;
}
