import { ENDPOINTS } from "@/server/http/endpoints";
import { route } from "@/server/http/route";
import { revokeToken } from "@/server/users/users";

export const DELETE = route(ENDPOINTS.revokeToken, ({ ctx, caller, params }) => revokeToken(ctx, caller, params.id));
