import { ENDPOINTS } from "@/server/http/endpoints";
import { route } from "@/server/http/route";
import { revokeInvitation } from "@/server/invitations/invitations";

export const DELETE = route(ENDPOINTS.revokeInvitation, ({ ctx, caller, params }) =>
  revokeInvitation(ctx, caller, params.id),
);
