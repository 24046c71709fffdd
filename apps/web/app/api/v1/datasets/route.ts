import { listDatasets } from "@/server/datasets/queries";
import { uploadDataset } from "@/server/datasets/upload";
import { ENDPOINTS } from "@/server/http/endpoints";
import { route } from "@/server/http/route";

export const GET = route(ENDPOINTS.listDatasets, ({ ctx, caller }) => listDatasets(ctx, caller));

export const POST = route(ENDPOINTS.uploadDataset, ({ ctx, caller, request }) => uploadDataset(ctx, caller, request));
