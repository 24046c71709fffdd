import { once } from "node:events";
import { Readable } from "node:stream";
import { describe, expect, it, vi } from "vitest";
import { prefixer, printLines } from "./lines.mjs";

describe("prefixer", () => {
  it("puts the aligned name before each line", () => {
    expect(prefixer("web", 7)("ready")).toBe("web     │ ready");
  });
});

describe("printLines", () => {
  it("prints every line of a stream through the prefix, the unterminated last one too", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const stream = Readable.from(["first\nsec", "ond\r\nlast"]);
    printLines(stream, prefixer("pytest", 6));
    await once(stream, "end");
    expect(log.mock.calls).toEqual([["pytest │ first"], ["pytest │ second"], ["pytest │ last"]]);
    log.mockRestore();
  });
});
