import { ENDPOINTS } from "@/server/http/endpoints";
import { route } from "@/server/http/route";
import { getJob } from "@/server/jobs/queries";

export const GET = route(ENDPOINTS.getJob, ({ ctx, caller, params }) => getJob(ctx, caller, params.id));
