import { listApprovals } from "@/server/approvals/approvals";
import { ENDPOINTS } from "@/server/http/endpoints";
import { route } from "@/server/http/route";

export const GET = route(ENDPOINTS.listApprovals, ({ ctx, caller }) => listApprovals(ctx, caller));
