import { setBudget } from "@/server/datasets/queries";
import { ENDPOINTS } from "@/server/http/endpoints";
import { route } from "@/server/http/route";

export const PUT = route(ENDPOINTS.setBudget, ({ ctx, caller, params, body }) =>
  setBudget(ctx, caller, params.id, body),
);
