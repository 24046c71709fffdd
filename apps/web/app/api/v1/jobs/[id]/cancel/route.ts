import { ENDPOINTS } from "@/server/http/endpoints";
import { route } from "@/server/http/route";
import { cancelJob } from "@/server/jobs/cancel";

export const POST = route(ENDPOINTS.cancelJob, ({ ctx, caller, params }) => cancelJob(ctx, caller, params.id));
