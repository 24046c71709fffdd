import { ENDPOINTS } from "@/server/http/endpoints";
import { route } from "@/server/http/route";
import { changePassword } from "@/server/users/users";

export const PUT = route(ENDPOINTS.changePassword, ({ ctx, caller, request, body }) =>
  changePassword(ctx, caller, request, body),
);
