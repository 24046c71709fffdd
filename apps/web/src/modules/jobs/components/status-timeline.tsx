import type { TJobWire } from "@/components/api/wire-types";
import { type TStepState, timelineSteps } from "./timeline-steps";

const MARK: Record<TStepState, string> = { done: "✓", current: "•", failed: "✕", todo: "" };

/** Requested → (approval) → queued → training → sampling → evaluating → finished. */
export function StatusTimeline({ job }: { job: TJobWire }) {
  const steps = timelineSteps(job);
  return (
    <ol className="timeline" aria-label="Job progress">
      {steps.map((step) => (
        <li key={step.key} data-state={step.state} aria-current={step.state === "current" ? "step" : undefined}>
          <span className="dot" aria-hidden="true">
            {MARK[step.state]}
          </span>
          <span>
            {step.label}
            <span className="visually-hidden">
              {step.state === "done"
                ? " (done)"
                : step.state === "current"
                  ? " (in progress)"
                  : step.state === "failed"
                    ? " (stopped)"
                    : ""}
            </span>
          </span>
        </li>
      ))}
    </ol>
  );
}
