import { ENDPOINTS } from "@/server/http/endpoints";
import { route } from "@/server/http/route";
import { createJob } from "@/server/jobs/create-job";
import { listJobs } from "@/server/jobs/queries";

export const GET = route(ENDPOINTS.listJobs, ({ ctx, caller, query }) => listJobs(ctx, caller, query));

export const POST = route(ENDPOINTS.createJob, ({ ctx, caller, body }) => createJob(ctx, caller, body));
