import { serverContext } from "@/server/context";
import { ENDPOINTS } from "@/server/http/endpoints";
import { route } from "@/server/http/route";
import { lookupInvitation } from "@/server/invitations/invitations";

// Public: the invited person has no account yet. The link's secret token is the credential.
export const POST = route(ENDPOINTS.lookupInvitation, ({ body }) => lookupInvitation(serverContext(), body.token));
