import { setBudget } from "@/server/datasets/queries";
import { ZBudgetUpdate, ZIdParams } from "@/server/datasets/schemas";
import { route } from "@/server/http/route";

export const PUT = route({ access: "admin", params: ZIdParams, body: ZBudgetUpdate }, ({ ctx, caller, params, body }) =>
  setBudget(ctx, caller, params.id, body),
);
