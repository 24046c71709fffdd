"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { z } from "zod";
import { apiFetch } from "@/components/api/api-client";
import type {
  ZInvitation,
  ZInvitationAccepted,
  ZInvitationCreate,
  ZInvitationCreated,
  ZInvitationPreview,
} from "@/server/invitations/schemas";

export type TInvitationWire = z.infer<typeof ZInvitation>;
export type TInvitationCreatedWire = z.infer<typeof ZInvitationCreated>;
export type TInvitationPreviewWire = z.infer<typeof ZInvitationPreview>;

const invitationsKey = ["invitations"] as const;

export function useInvitations() {
  return useQuery({
    queryKey: invitationsKey,
    queryFn: async () => (await apiFetch<{ invitations: TInvitationWire[] }>("/invitations")).invitations,
  });
}

export function useCreateInvitation() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: z.input<typeof ZInvitationCreate>) =>
      apiFetch<TInvitationCreatedWire>("/invitations", { method: "POST", body }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: invitationsKey }),
  });
}

export function useRevokeInvitation() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => apiFetch<unknown>(`/invitations/${id}`, { method: "DELETE" }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: invitationsKey }),
  });
}

/** What the link in the address bar invites to (public: the visitor has no account yet). */
export function useInvitationPreview(token: string | null) {
  return useQuery({
    queryKey: ["invitation-preview", token],
    queryFn: () => apiFetch<TInvitationPreviewWire>("/invitations/lookup", { method: "POST", body: { token } }),
    enabled: token !== null,
    retry: false,
    refetchOnWindowFocus: false,
  });
}

export function useAcceptInvitation() {
  return useMutation({
    mutationFn: (body: { token: string; name: string; password: string }) =>
      apiFetch<z.infer<typeof ZInvitationAccepted>>("/invitations/accept", { method: "POST", body }),
  });
}
