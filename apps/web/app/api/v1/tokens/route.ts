import { ENDPOINTS } from "@/server/http/endpoints";
import { json } from "@/server/http/respond";
import { route } from "@/server/http/route";
import { createToken } from "@/server/users/users";

export const POST = route(ENDPOINTS.createToken, async ({ ctx, caller, body }) =>
  json(await createToken(ctx, caller, body), 201),
);
