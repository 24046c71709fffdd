import { ENDPOINTS } from "@/server/http/endpoints";
import { route } from "@/server/http/route";
import { jobEvents } from "@/server/jobs/events";

export const GET = route(ENDPOINTS.jobEvents, ({ ctx, caller, params, request }) =>
  jobEvents(ctx, caller, params.id, request),
);
