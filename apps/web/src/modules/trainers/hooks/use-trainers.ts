"use client";

import { TRAINER_HEARTBEAT } from "@dpsynth/contracts";
import { useQuery } from "@tanstack/react-query";
import { apiFetch } from "@/components/api/api-client";
import type { TTrainerListWire } from "@/components/api/wire-types";

/** The trainers online and which catalog models they can run, refreshed at the trainers' own beat. */
export function useTrainers() {
  return useQuery({
    queryKey: ["trainers"],
    queryFn: () => apiFetch<TTrainerListWire>("/trainers"),
    refetchInterval: TRAINER_HEARTBEAT.intervalS * 1000,
  });
}
