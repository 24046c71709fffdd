import { ENDPOINTS } from "@/server/http/endpoints";
import { route } from "@/server/http/route";
import { updateUser } from "@/server/users/users";

export const PUT = route(ENDPOINTS.updateUser, ({ ctx, caller, params, body }) =>
  updateUser(ctx, caller, params.id, body),
);
