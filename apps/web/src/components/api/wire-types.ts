/**
 * What the dashboard reads from `/api/v1`, as the JSON it arrives in (dates are ISO strings). Route answers
 * come from the API's own zod schemas (`@/server/<feature>/schemas`), contract shapes from @dpsynth/contracts;
 * the few below are routes whose schemas are not written yet.
 */
import type { TArtifactName, TJobSpec } from "@dpsynth/contracts";
import type { JobStage, JobStatus, Role } from "@dpsynth/db";
import type { TBudget, TDataset } from "@/server/datasets/schemas";

export type {
  TBudget as TBudgetWire,
  TDataset as TDatasetWire,
  TDatasetDetail as TDatasetDetailWire,
  TLedgerEntry as TLedgerEntryWire,
  TPreview as TPreviewWire,
} from "@/server/datasets/schemas";

export type TJobWire = {
  id: string;
  datasetId: string;
  dataset?: { id: string; name: string };
  requester?: { id: string; email: string; name?: string | null };
  status: JobStatus;
  stage: JobStage | null;
  /** Approved epsilon; null for the non-private baseline. */
  epsilon: number | null;
  delta: number;
  epsilonSpent: number;
  attempts: number;
  errorCode: string | null;
  errorMessage: string | null;
  metrics: Record<string, number> | null;
  spec: TJobSpec;
  artifacts: TArtifactName[];
  approval?: { decision: "APPROVED" | "REJECTED"; reason: string; createdAt: string } | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
};

export type TMetricPointWire = { step: number; epoch: number; epsilon: number | null; loss: number | null };

export type TQuoteWire = {
  /** What submitting would do now. */
  outcome: "run" | "approval" | "exceeds";
  message: string;
  allowance: number;
  budget: TBudget;
};

export type TApprovalRequestWire = { job: TJobWire; dataset: TDataset };

export type TUserWire = {
  id: string;
  email: string;
  name: string;
  role: Role;
  epsilonAllowance: number;
  createdAt: string;
};

export type TAuditEventWire = {
  id: string;
  actor: { id: string; email: string } | null;
  action: string;
  subjectType: string;
  subjectId: string;
  detail: Record<string, unknown> | null;
  createdAt: string;
};
