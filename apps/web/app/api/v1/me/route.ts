import { ENDPOINTS } from "@/server/http/endpoints";
import { route } from "@/server/http/route";
import { me } from "@/server/users/users";

export const GET = route(ENDPOINTS.me, ({ ctx, caller }) => me(ctx, caller));
