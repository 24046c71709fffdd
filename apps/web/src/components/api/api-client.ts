/** An error answered by `/api/v1` in its one shape `{ error: { code, message } }`, or a network failure. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Numbers or names the API adds to an error, e.g. `{ field }` for a form field a refusal is about. */
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

type TErrorBody = { error?: { code?: unknown; message?: unknown; details?: unknown } };

/** Turns a non-2xx response into an ApiError carrying the API's own message. */
export async function errorFromResponse(response: Response): Promise<ApiError> {
  const body = (await response.json().catch(() => null)) as TErrorBody | null;
  const code = typeof body?.error?.code === "string" ? body.error.code : `http_${response.status}`;
  const message =
    typeof body?.error?.message === "string" ? body.error.message : `The server answered ${response.status}.`;
  const details = body?.error?.details;
  return new ApiError(
    response.status,
    code,
    message,
    details && typeof details === "object" ? (details as Record<string, unknown>) : undefined,
  );
}

/** fetch for `/api/v1`: JSON in, JSON out, errors thrown as ApiError. */
export async function apiFetch<T>(path: string, init?: { method?: string; body?: unknown }): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`/api/v1${path}`, {
      method: init?.method ?? "GET",
      headers: init?.body === undefined ? undefined : { "content-type": "application/json" },
      body: init?.body === undefined ? undefined : JSON.stringify(init.body),
      credentials: "same-origin",
    });
  } catch {
    throw new ApiError(0, "network", "Could not reach the server. Check your connection and try again.");
  }
  if (!response.ok) throw await errorFromResponse(response);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}
