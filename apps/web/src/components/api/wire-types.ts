/**
 * What the dashboard reads from `/api/v1`: the API's own zod schemas (`@/server/<feature>/schemas`), as JSON.
 * Type-only imports: nothing of the server reaches the browser bundle.
 */
import type { z } from "zod";
import type { ZApprovalRequest } from "@/server/approvals/schemas";
import type { ZAuditEvent } from "@/server/audit/schemas";
import type { ZCreateJob } from "@/server/jobs/schemas";

export type {
  TBudget as TBudgetWire,
  TDataset as TDatasetWire,
  TDatasetDetail as TDatasetDetailWire,
  TLedgerEntry as TLedgerEntryWire,
  TPreview as TPreviewWire,
} from "@/server/datasets/schemas";
export type { TJob as TJobWire, TMetricPoint as TMetricPointWire, TQuote as TQuoteWire } from "@/server/jobs/schemas";
export type {
  TCapacity as TCapacityWire,
  TTrainer as TTrainerWire,
  TTrainerList as TTrainerListWire,
} from "@/server/trainers/schemas";
export type { TUser as TUserWire } from "@/server/users/schemas";

export type TCreateJobWire = z.input<typeof ZCreateJob>;
export type TApprovalRequestWire = z.infer<typeof ZApprovalRequest>;
export type TAuditEventWire = z.infer<typeof ZAuditEvent>;
