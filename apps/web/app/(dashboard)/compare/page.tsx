import type { Metadata } from "next";
import { CompareView } from "@/modules/jobs/components/compare-view";

export const metadata: Metadata = { title: "Compare jobs" };

type TSearch = { datasetId?: string | string[]; jobs?: string | string[] };

export default async function ComparePage({ searchParams }: { searchParams: Promise<TSearch> }) {
  const { datasetId, jobs } = await searchParams;
  const jobIds = typeof jobs === "string" ? jobs.split(",").filter(Boolean) : [];
  return <CompareView datasetId={typeof datasetId === "string" ? datasetId : undefined} jobIds={jobIds} />;
}
