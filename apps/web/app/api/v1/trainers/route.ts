import { ENDPOINTS } from "@/server/http/endpoints";
import { route } from "@/server/http/route";
import { listTrainers } from "@/server/trainers/registry";

export const GET = route(ENDPOINTS.listTrainers, ({ ctx, caller }) => listTrainers(ctx, caller));
