import { ENDPOINTS } from "@/server/http/endpoints";
import { route } from "@/server/http/route";
import { listUsers } from "@/server/users/users";

export const GET = route(ENDPOINTS.listUsers, ({ ctx }) => listUsers(ctx));
