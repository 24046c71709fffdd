import { ENDPOINTS } from "@/server/http/endpoints";
import { route } from "@/server/http/route";
import { downloadArtifact } from "@/server/jobs/artifacts";

export const GET = route(ENDPOINTS.downloadArtifact, ({ ctx, caller, params, query }) =>
  downloadArtifact(ctx, caller, { ...params, download: query.download === "1" }),
);
