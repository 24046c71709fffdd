import { z } from "zod";
import { ZDataset, ZId } from "../datasets/schemas.ts";
import { ZJob } from "../jobs/schemas.ts";

export const ZDecision = z.object({
  decision: z.enum(["approve", "reject"]),
  /** Shown to the owner; required so every decision has a why. */
  reason: z.string().trim().min(1, "give a reason").max(2000),
});

export const ZApprovalParams = z.object({ jobId: ZId });

/** A pending request with what an admin needs to decide: the job and its dataset's budget. */
export const ZApprovalRequest = z.object({ job: ZJob, dataset: ZDataset });
export const ZApprovalList = z.object({ approvals: z.array(ZApprovalRequest) });

export type TDecision = z.infer<typeof ZDecision>;
