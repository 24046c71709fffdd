import { ENDPOINTS } from "@/server/http/endpoints";
import { route } from "@/server/http/route";
import { createToken } from "@/server/users/users";

export const POST = route(ENDPOINTS.createToken, ({ ctx, caller, body }) => createToken(ctx, caller, body));
