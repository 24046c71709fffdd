type Level = "debug" | "info" | "warn" | "error";

export type TLogger = Record<Level, (message: string, fields?: Record<string, unknown>) => void>;

/**
 * One JSON line per entry on stdout. Fields carry ids, counts and error codes only: control never sees a
 * record's content, and must not pass one on from an error message either.
 */
export function createLogger(component: string, minimum: Level = "info"): TLogger {
  const order: Level[] = ["debug", "info", "warn", "error"];
  const write =
    (level: Level) =>
    (message: string, fields: Record<string, unknown> = {}) => {
      if (order.indexOf(level) < order.indexOf(minimum)) return;
      process.stdout.write(
        `${JSON.stringify({ ts: new Date().toISOString(), level, component, message, ...fields })}\n`,
      );
    };
  return { debug: write("debug"), info: write("info"), warn: write("warn"), error: write("error") };
}

/**
 * An error for a log line. Control handles ids, numbers and the trainer's sanitised messages only, so an
 * error's message holds no record; it is cut short all the same.
 */
export function errorFields(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { error: String(error).slice(0, 300) };
  return { error: error.name, code: (error as { code?: unknown }).code, detail: error.message.slice(0, 300) };
}
