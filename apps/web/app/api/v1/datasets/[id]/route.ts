import { getDataset } from "@/server/datasets/queries";
import { ENDPOINTS } from "@/server/http/endpoints";
import { route } from "@/server/http/route";

export const GET = route(ENDPOINTS.getDataset, ({ ctx, caller, params }) => getDataset(ctx, caller, params.id));
