import type { Metadata } from "next";
import { UsersTable } from "@/modules/admin/components/users-table";

export const metadata: Metadata = { title: "Users and roles" };

export default function Page() {
  return <UsersTable />;
}
