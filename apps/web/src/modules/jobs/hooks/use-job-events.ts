"use client";

import type { TTrainerEvent } from "@dpsynth/contracts";
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useReducer, useRef } from "react";
import { initialLiveState, reduceLiveState, type TJobLiveState } from "./live-state";
import { jobKeys } from "./use-jobs";

// The API names each SSE message after the trainer event's type (`event: metric`), which onmessage does not see.
const EVENT_NAMES = ["stage", "metric", "log", "artifact", "privacy", "result", "error"];
// Events after which the job row (status, stage, epsilon spent, artifacts) has changed on the server.
const REFRESHING = new Set(["stage", "artifact", "privacy", "result", "error"]);

function parse(data: string): TTrainerEvent | null {
  try {
    const value = JSON.parse(data) as TTrainerEvent;
    return value && typeof value === "object" && typeof value.type === "string" && typeof value.seq === "number"
      ? value
      : null;
  } catch {
    return null;
  }
}

/**
 * Follows `GET /api/v1/jobs/:id/events`: the stored history first, then the live tail. EventSource resumes
 * with Last-Event-ID by itself after a dropped connection; the server ends the stream with `end` once the job
 * is final, and a finished job's stream is not reopened after an error.
 */
export function useJobEvents(jobId: string, { finished }: { finished: boolean }): TJobLiveState {
  const [state, dispatch] = useReducer(reduceLiveState, initialLiveState);
  const queryClient = useQueryClient();
  // Read by the error handler: whether the job is final must not reopen the stream when it changes.
  const finishedRef = useRef(finished);
  finishedRef.current = finished;

  useEffect(() => {
    const source = new EventSource(`/api/v1/jobs/${jobId}/events`);
    let refreshTimer: ReturnType<typeof setTimeout> | undefined;
    const refreshJob = () => {
      // Coalesce bursts (a history replay) into one refetch.
      clearTimeout(refreshTimer);
      refreshTimer = setTimeout(() => {
        void queryClient.invalidateQueries({ queryKey: jobKeys.one(jobId) });
      }, 300);
    };
    const onEvent = (message: MessageEvent<string>) => {
      if (typeof message.data !== "string") return;
      const event = parse(message.data);
      if (event) dispatch({ kind: "event", event });
      if (REFRESHING.has(message.type) || (event && REFRESHING.has(event.type))) refreshJob();
    };
    for (const name of EVENT_NAMES) source.addEventListener(name, onEvent as EventListener);
    // The server ends the stream once the job is final and every event was sent; reconnecting would only replay.
    source.addEventListener("end", () => {
      source.close();
      dispatch({ kind: "connection", state: "closed" });
      void queryClient.invalidateQueries({ queryKey: jobKeys.one(jobId) });
    });
    source.onopen = () => dispatch({ kind: "connection", state: "open" });
    source.onerror = (event) => {
      // A trainer `error` event sent as a named SSE event arrives here too; it is not a connection failure.
      if (event instanceof MessageEvent) return;
      if (finishedRef.current) {
        source.close();
        dispatch({ kind: "connection", state: "closed" });
      } else {
        dispatch({ kind: "connection", state: source.readyState === EventSource.CLOSED ? "closed" : "connecting" });
        refreshJob();
      }
    };
    return () => {
      clearTimeout(refreshTimer);
      source.close();
    };
  }, [jobId, queryClient]);

  return state;
}
