"use client";

import type { TLabelSource } from "@dpsynth/contracts";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { z } from "zod";
import { apiFetch } from "@/components/api/api-client";
import { uploadWithProgress } from "@/components/api/upload";
import type { TDatasetDetailWire, TDatasetWire, TPreviewWire } from "@/components/api/wire-types";
import type { ZBudgetUpdate } from "@/server/datasets/schemas";

export const datasetKeys = {
  all: ["datasets"] as const,
  one: (id: string) => ["datasets", id] as const,
};

export function useDatasets() {
  return useQuery({
    queryKey: datasetKeys.all,
    queryFn: async () => (await apiFetch<{ datasets: TDatasetWire[] }>("/datasets")).datasets,
  });
}

export function useDataset(id: string | null | undefined) {
  return useQuery({
    queryKey: datasetKeys.one(id ?? ""),
    queryFn: () => apiFetch<TDatasetDetailWire>(`/datasets/${id}`),
    enabled: Boolean(id),
  });
}

/** Sends the file for column detection; nothing is stored. */
export function usePreviewDataset(onProgress: (fraction: number) => void) {
  return useMutation({
    mutationFn: (file: File) => {
      const form = new FormData();
      form.append("file", file);
      return uploadWithProgress<TPreviewWire>("/datasets/preview", form, onProgress);
    },
  });
}

export type TCreateDatasetInput = {
  file: File;
  name: string;
  textColumn: string;
  labelColumn: string;
  holdoutFraction: number;
  /** "dp-histogram": no labels are declared; each job finds them with differential privacy. */
  labelSource: TLabelSource;
  /** The declared label set (declared only); a missing description is the value itself. */
  labels?: { value: string; description?: string }[];
  subject: string;
  /** Other columns to synthesise, in order. */
  columns: string[];
};

export function useCreateDataset(onProgress: (fraction: number) => void) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: TCreateDatasetInput) => {
      const form = new FormData();
      // Fields first: a streaming server knows the columns before the file arrives.
      form.append("name", input.name);
      form.append("textColumn", input.textColumn);
      form.append("labelColumn", input.labelColumn);
      form.append("holdoutFraction", String(input.holdoutFraction));
      form.append("labelSource", input.labelSource);
      if (input.labels) form.append("labels", JSON.stringify(input.labels));
      if (input.subject) form.append("subject", input.subject);
      form.append("columns", JSON.stringify(input.columns));
      form.append("file", input.file);
      return uploadWithProgress<TDatasetWire>("/datasets", form, onProgress);
    },
    onSuccess: () => queryClient.invalidateQueries({ queryKey: datasetKeys.all }),
  });
}

export function useSetBudget(id: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (budget: z.input<typeof ZBudgetUpdate>) =>
      apiFetch<TDatasetWire>(`/datasets/${id}/budget`, { method: "PUT", body: budget }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: datasetKeys.all }),
  });
}
