import { serverContext } from "@/server/context";
import { ENDPOINTS } from "@/server/http/endpoints";
import { route } from "@/server/http/route";
import { acceptInvitation } from "@/server/invitations/invitations";

// Public: the invited person has no account yet. The link's secret token is the credential.
export const POST = route(ENDPOINTS.acceptInvitation, ({ body }) => acceptInvitation(serverContext(), body));
