import "server-only";
import type { z } from "zod";
import { authenticate, type TCaller } from "../auth/authenticate.ts";
import { serverContext, type TServerContext } from "../context.ts";
import { discardBody, hasNul, nulRefused, readJsonBody } from "./body.ts";
import { checkSameOrigin } from "./csrf.ts";
import { AppError } from "./errors.ts";
import { errorResponse, json } from "./respond.ts";

/** Who may call: anyone, any signed-in user (owner or admin), or admins only. */
export type TAccess = "public" | "user" | "admin";

export interface TRouteOptions<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  access: TAccess;
  params?: P;
  query?: Q;
  /** A JSON body; multipart routes read `request` themselves. */
  body?: B;
  /** The status of a successful answer (the endpoint's declared one, e.g. 201 for something created); 200 if none. */
  status?: number;
}

export interface THandlerInput<A extends TAccess, P, Q, B> {
  request: Request;
  caller: A extends "public" ? TCaller | null : TCaller;
  params: P;
  query: Q;
  body: B;
  /** The shared clients; public routes get none, so they answer even before the config is complete. */
  ctx: A extends "public" ? undefined : TServerContext;
}

/** What Next passes a route handler besides the request. */
export interface TNextRouteContext {
  params: Promise<Record<string, string | string[] | undefined>>;
}

function describeIssues(error: z.ZodError, where: string): string {
  const issues = error.issues.slice(0, 5).map((issue) => {
    const path = issue.path.join(".");
    return path ? `${path}: ${issue.message}` : issue.message;
  });
  return `Invalid ${where}: ${issues.join("; ")}.`;
}

function validate<T extends z.ZodType>(schema: T | undefined, value: unknown, where: string): z.output<T> {
  if (!schema) return undefined as z.output<T>;
  if (hasNul(value)) throw nulRefused(where);
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    // Issues name paths and rules; zod does not echo the input in its default messages.
    throw new AppError(where === "path" ? "not_found" : "validation_failed", describeIssues(parsed.error, where));
  }
  return parsed.data;
}

/**
 * The one wrapper of every `/api/v1` handler: refuses cross-site cookie requests that change things (CSRF),
 * authenticates (session cookie or API token), checks the role, validates path, query and body with zod (no NUL
 * anywhere, bodies size-capped), and maps every error to `{ error: { code, message } }`, after reading what is
 * left of a small body so the client gets that answer. A handler returns data (answered as JSON, with the
 * endpoint's declared `status` or 200) or a Response of its own.
 */
export function route<
  A extends TAccess,
  P extends z.ZodType = z.ZodUndefined,
  Q extends z.ZodType = z.ZodUndefined,
  B extends z.ZodType = z.ZodUndefined,
>(
  options: TRouteOptions<P, Q, B> & { access: A },
  handler: (input: THandlerInput<A, z.output<P>, z.output<Q>, z.output<B>>) => Promise<unknown>,
) {
  return async (request: Request, next?: TNextRouteContext): Promise<Response> => {
    try {
      let ctx: TServerContext | undefined;
      let caller: TCaller | null = null;
      if (options.access !== "public") {
        ctx = serverContext();
        checkSameOrigin(request, ctx.config.publicOrigin);
        caller = await authenticate(request, { prisma: ctx.prisma, secret: ctx.config.nextAuthSecret });
        if (options.access === "admin" && caller.role !== "ADMIN") {
          throw new AppError("forbidden", "Only an admin may do this.");
        }
      }
      const params = validate(options.params, (await next?.params) ?? {}, "path");
      const query = validate(options.query, Object.fromEntries(new URL(request.url).searchParams), "query");
      const body = validate(options.body, options.body ? await readJsonBody(request) : undefined, "body");
      type TInput = THandlerInput<A, never, never, never>;
      const result = await handler({
        request,
        caller: caller as TInput["caller"],
        params,
        query,
        body,
        ctx: ctx as TInput["ctx"],
      });
      return result instanceof Response ? result : json(result, options.status);
    } catch (error) {
      const response = errorResponse(error);
      if (!(await discardBody(request))) response.headers.set("connection", "close");
      return response;
    }
  };
}
