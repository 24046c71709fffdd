import { DatasetError } from "@dpsynth/datasets";
import { afterEach, describe, expect, it, vi } from "vitest";
import { AppError, ERROR_STATUS } from "./errors.ts";
import { errorResponse } from "./respond.ts";

afterEach(() => vi.restoreAllMocks());

describe("errorResponse", () => {
  it("answers every known error in the one shape with the status of the one map", async () => {
    const over = errorResponse(new AppError("over_budget", "Too much.", { remaining: 1 }));
    expect(over.status).toBe(409);
    expect(await over.json()).toEqual({
      error: { code: "over_budget", message: "Too much.", details: { remaining: 1 } },
    });
    const refused = errorResponse(new DatasetError("ragged_rows", "Line 3 has 3 fields."));
    expect(refused.status).toBe(ERROR_STATUS.ragged_rows);
    expect(await refused.json()).toEqual({ error: { code: "ragged_rows", message: "Line 3 has 3 fields." } });
  });

  it("never sends or logs an unknown error's message, which may quote a record", async () => {
    const logged: string[] = [];
    for (const method of ["error", "warn", "log", "info"] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        logged.push(args.map(String).join(" "));
      });
    }
    const response = errorResponse(new Error('invalid input syntax near "Villeneuve seems to realize intuitively"'));
    const body = await response.json();
    expect(response.status).toBe(500);
    expect(body.error.code).toBe("internal");
    expect(body.error.message).toMatch(/reference [0-9a-f]{8}/);
    expect(JSON.stringify(body)).not.toContain("Villeneuve");
    expect(logged.join("\n")).toContain("[api] internal error");
    expect(logged.join("\n")).not.toContain("Villeneuve");
    expect(body.error.message.match(/[0-9a-f]{8}/)?.[0] && logged.join("\n")).toContain(
      body.error.message.match(/[0-9a-f]{8}/)?.[0],
    );
  });
});
