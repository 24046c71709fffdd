import { ENDPOINTS } from "@/server/http/endpoints";
import { openApiDocument } from "@/server/http/openapi";
import { route } from "@/server/http/route";

export const GET = route(ENDPOINTS.openapi, async () => openApiDocument());
