"use client";

import { type TReport, ZReport } from "@dpsynth/contracts";
import { queryOptions, useQuery } from "@tanstack/react-query";
import { ApiError, errorFromResponse } from "@/components/api/api-client";
import { jobKeys } from "./use-jobs";

export function artifactUrl(jobId: string, name: string): string {
  return `/api/v1/jobs/${jobId}/artifacts/${encodeURIComponent(name)}`;
}

/** report.json of a finished job, validated by the contract so a stale report fails loudly, not oddly. */
export function jobReportQuery(jobId: string) {
  return queryOptions({
    queryKey: jobKeys.report(jobId),
    staleTime: Number.POSITIVE_INFINITY,
    queryFn: async (): Promise<TReport> => {
      const response = await fetch(artifactUrl(jobId, "report.json"), { credentials: "same-origin" });
      if (!response.ok) throw await errorFromResponse(response);
      const parsed = ZReport.safeParse(await response.json());
      if (!parsed.success) throw new ApiError(500, "bad_report", "The report does not match the expected format.");
      return parsed.data;
    },
  });
}

export function useJobReport(jobId: string, enabled: boolean) {
  return useQuery({ ...jobReportQuery(jobId), enabled });
}
