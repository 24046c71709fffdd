import { ENDPOINTS } from "@/server/http/endpoints";
import { route } from "@/server/http/route";
import { createInvitation, listInvitations } from "@/server/invitations/invitations";

export const GET = route(ENDPOINTS.listInvitations, ({ ctx }) => listInvitations(ctx));

export const POST = route(ENDPOINTS.createInvitation, ({ ctx, caller, request, body }) =>
  createInvitation(ctx, caller, body, ctx.config.publicOrigin ?? new URL(request.url).origin),
);
