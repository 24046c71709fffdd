import type { Metadata } from "next";
import { TrainersTable } from "@/modules/admin/components/trainers-table";

export const metadata: Metadata = { title: "Trainers" };

export default function Page() {
  return <TrainersTable />;
}
