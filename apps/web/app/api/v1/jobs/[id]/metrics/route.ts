import { ENDPOINTS } from "@/server/http/endpoints";
import { route } from "@/server/http/route";
import { jobMetrics } from "@/server/jobs/queries";

export const GET = route(ENDPOINTS.jobMetrics, ({ ctx, caller, params }) => jobMetrics(ctx, caller, params.id));
