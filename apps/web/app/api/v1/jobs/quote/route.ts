import { ENDPOINTS } from "@/server/http/endpoints";
import { route } from "@/server/http/route";
import { quoteJob } from "@/server/jobs/quote";

export const POST = route(ENDPOINTS.quoteJob, ({ ctx, caller, body }) => quoteJob(ctx, caller, body));
