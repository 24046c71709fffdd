import { previewUpload } from "@/server/datasets/upload";
import { route } from "@/server/http/route";

export const POST = route({ access: "user" }, ({ ctx, request }) => previewUpload(ctx, request));
