import { previewUpload } from "@/server/datasets/upload";
import { ENDPOINTS } from "@/server/http/endpoints";
import { route } from "@/server/http/route";

export const POST = route(ENDPOINTS.previewDataset, ({ ctx, request }) => previewUpload(ctx, request));
