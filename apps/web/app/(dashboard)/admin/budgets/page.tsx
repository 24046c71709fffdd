import type { Metadata } from "next";
import { BudgetsTable } from "@/modules/admin/components/budgets-table";

export const metadata: Metadata = { title: "Budgets" };

export default function Page() {
  return <BudgetsTable />;
}
