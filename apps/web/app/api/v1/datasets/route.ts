import { listDatasets } from "@/server/datasets/queries";
import { uploadDataset } from "@/server/datasets/upload";
import { json } from "@/server/http/respond";
import { route } from "@/server/http/route";

export const GET = route({ access: "user" }, ({ ctx, caller }) => listDatasets(ctx, caller));

export const POST = route({ access: "user" }, async ({ ctx, caller, request }) =>
  json(await uploadDataset(ctx, caller, request), 201),
);
