import { getDataset } from "@/server/datasets/queries";
import { ZIdParams } from "@/server/datasets/schemas";
import { route } from "@/server/http/route";

export const GET = route({ access: "user", params: ZIdParams }, ({ ctx, caller, params }) =>
  getDataset(ctx, caller, params.id),
);
