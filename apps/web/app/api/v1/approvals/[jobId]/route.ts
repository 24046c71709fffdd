import { decide } from "@/server/approvals/approvals";
import { ENDPOINTS } from "@/server/http/endpoints";
import { route } from "@/server/http/route";

export const POST = route(ENDPOINTS.decideApproval, ({ ctx, caller, params, body }) =>
  decide(ctx, caller, params.jobId, body),
);
