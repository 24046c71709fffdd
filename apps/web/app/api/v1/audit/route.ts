import { listAudit } from "@/server/audit/queries";
import { ENDPOINTS } from "@/server/http/endpoints";
import { route } from "@/server/http/route";

export const GET = route(ENDPOINTS.audit, ({ ctx, query }) => listAudit(ctx, query));
