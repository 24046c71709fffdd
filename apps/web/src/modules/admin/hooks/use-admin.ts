"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { apiFetch } from "@/components/api/api-client";
import type { TApprovalRequestWire, TAuditEventWire, TUserWire } from "@/components/api/wire-types";

export const adminKeys = {
  approvals: ["approvals"] as const,
  users: ["users"] as const,
  audit: (filter: string) => ["audit", filter] as const,
};

export function useApprovals({ enabled = true }: { enabled?: boolean } = {}) {
  return useQuery({
    queryKey: adminKeys.approvals,
    queryFn: async () => (await apiFetch<{ approvals: TApprovalRequestWire[] }>("/approvals")).approvals,
    enabled,
    refetchInterval: 10_000,
  });
}

export type TDecision = { jobId: string; decision: "approve" | "reject"; reason: string };

export function useDecide() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ jobId, decision, reason }: TDecision) =>
      apiFetch<unknown>(`/approvals/${jobId}`, { method: "POST", body: { decision, reason } }),
    onSuccess: () =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: adminKeys.approvals }),
        queryClient.invalidateQueries({ queryKey: ["jobs"] }),
        queryClient.invalidateQueries({ queryKey: ["datasets"] }),
      ]),
  });
}

export function useUsers() {
  return useQuery({
    queryKey: adminKeys.users,
    queryFn: async () => (await apiFetch<{ users: TUserWire[] }>("/users")).users,
  });
}

export function useUpdateUser() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, ...update }: { id: string; role?: TUserWire["role"]; epsilonAllowance?: number }) =>
      apiFetch<TUserWire>(`/users/${id}`, { method: "PUT", body: update }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: adminKeys.users }),
  });
}

export type TAuditSubject = "dataset" | "job" | "user" | "token" | "invitation";

export function useAudit(filter: { subjectType?: TAuditSubject; subjectId?: string }) {
  const params = new URLSearchParams();
  if (filter.subjectType) params.set("subjectType", filter.subjectType);
  if (filter.subjectId) params.set("subjectId", filter.subjectId);
  const query = params.toString();
  return useQuery({
    queryKey: adminKeys.audit(query),
    queryFn: async () => (await apiFetch<{ events: TAuditEventWire[] }>(`/audit${query ? `?${query}` : ""}`)).events,
  });
}
