import type { Metadata } from "next";
import { NewJobForm } from "@/modules/jobs/components/new-job-form";

export const metadata: Metadata = { title: "New job" };

export default async function NewJobPage({
  searchParams,
}: {
  searchParams: Promise<{ datasetId?: string | string[] }>;
}) {
  const { datasetId } = await searchParams;
  return <NewJobForm initialDatasetId={typeof datasetId === "string" ? datasetId : undefined} />;
}
