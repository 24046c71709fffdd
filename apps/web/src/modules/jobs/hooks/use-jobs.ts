"use client";

import { isTerminalJobStatus } from "@dpsynth/db/job-lifecycle";
import { queryOptions, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { apiFetch } from "@/components/api/api-client";
import type { TCreateJobWire, TJobWire, TMetricPointWire, TQuoteWire } from "@/components/api/wire-types";

export const jobKeys = {
  all: ["jobs"] as const,
  list: (datasetId?: string) => ["jobs", "list", datasetId ?? "all"] as const,
  one: (id: string) => ["jobs", id] as const,
  metrics: (id: string) => ["jobs", id, "metrics"] as const,
  report: (id: string) => ["jobs", id, "report"] as const,
};

/** Lists refresh on their own while any job in them is still moving. */
function pollWhileActive(jobs: TJobWire[] | undefined): number | false {
  return jobs?.some((job) => !isTerminalJobStatus(job.status)) ? 4_000 : false;
}

export function useJobs(datasetId?: string) {
  return useQuery({
    queryKey: jobKeys.list(datasetId),
    queryFn: async () =>
      (await apiFetch<{ jobs: TJobWire[] }>(datasetId ? `/jobs?datasetId=${encodeURIComponent(datasetId)}` : "/jobs"))
        .jobs,
    refetchInterval: (query) => pollWhileActive(query.state.data),
  });
}

export function useJob(id: string) {
  return useQuery({
    queryKey: jobKeys.one(id),
    queryFn: () => apiFetch<TJobWire>(`/jobs/${id}`),
    // Approval and queueing happen outside the trainer's event stream, so a waiting job is polled too.
    refetchInterval: (query) => (query.state.data && isTerminalJobStatus(query.state.data.status) ? false : 3_000),
  });
}

/** A job's metric points (the compare page reads several at once). */
export function jobMetricsQuery(id: string) {
  return queryOptions({
    queryKey: jobKeys.metrics(id),
    queryFn: async () => (await apiFetch<{ points: TMetricPointWire[] }>(`/jobs/${id}/metrics`)).points,
  });
}

export type TCreateJobInput = TCreateJobWire;

export function useCreateJob() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: TCreateJobInput) => apiFetch<TJobWire>("/jobs", { method: "POST", body: input }),
    onSuccess: () =>
      queryClient
        .invalidateQueries({ queryKey: ["datasets"] })
        .then(() => queryClient.invalidateQueries({ queryKey: jobKeys.all })),
  });
}

/** What submitting this request would do now: run, wait for an admin, or be refused for the budget. */
export function useJobQuote(input: TCreateJobInput | null) {
  return useQuery({
    queryKey: ["jobs", "quote", input],
    queryFn: () => apiFetch<TQuoteWire>("/jobs/quote", { method: "POST", body: input }),
    enabled: input !== null,
    staleTime: 0,
    placeholderData: (previous) => previous,
  });
}

export function useCancelJob(id: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => apiFetch<TJobWire>(`/jobs/${id}/cancel`, { method: "POST" }),
    onSuccess: (job) => {
      queryClient.setQueryData(jobKeys.one(id), job);
      return queryClient.invalidateQueries({ queryKey: ["datasets"] });
    },
  });
}
