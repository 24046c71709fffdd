"use client";

import type { TStage, TTrainerEvent } from "@dpsynth/contracts";
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useReducer, useRef } from "react";
import { jobKeys } from "./use-jobs";

/** One point of the loss-versus-epsilon curve. */
export type TCurvePoint = { step: number; epoch: number; epsilon: number; loss: number };

export type TJobLiveState = {
  points: TCurvePoint[];
  samplesPerSecond: number | null;
  stage: TStage | null;
  /** Rows generated so far while sampling (from `sampling/rows_done`). */
  rowsDone: number | null;
  lastLog: string | null;
  connection: "connecting" | "open" | "closed";
  /** Highest seq applied; replays after a reconnect are skipped. */
  lastSeq: number;
};

const initial: TJobLiveState = {
  points: [],
  samplesPerSecond: null,
  stage: null,
  rowsDone: null,
  lastLog: null,
  connection: "connecting",
  lastSeq: -1,
};

type TAction = { kind: "event"; event: TTrainerEvent } | { kind: "connection"; state: TJobLiveState["connection"] };

function reduce(state: TJobLiveState, action: TAction): TJobLiveState {
  if (action.kind === "connection") return { ...state, connection: action.state };
  const event = action.event;
  if (event.seq <= state.lastSeq) return state;
  const next = { ...state, lastSeq: event.seq };
  switch (event.type) {
    case "metric": {
      const loss = event.values["train/loss"];
      const epsilon = event.values["privacy/epsilon"];
      const throughput = event.values["perf/samples_per_s"];
      const rows = event.values["sampling/rows_done"];
      if (throughput !== undefined) next.samplesPerSecond = throughput;
      if (rows !== undefined) next.rowsDone = rows;
      if (loss !== undefined && epsilon !== undefined) {
        next.points = [...state.points, { step: event.step, epoch: event.epoch, epsilon, loss }];
      }
      return next;
    }
    case "stage":
      return { ...next, stage: event.stage };
    case "log":
      return event.level === "debug" ? next : { ...next, lastLog: event.message };
    default:
      return next;
  }
}

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
  const [state, dispatch] = useReducer(reduce, initial);
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
