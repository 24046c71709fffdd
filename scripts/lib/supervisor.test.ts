import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { startProcess, stopLeftover } from "./supervisor.mjs";

const runDir = () => mkdtempSync(join(tmpdir(), "dpsynth-run-"));

describe("startProcess", () => {
  it("prefixes the output and reports the exit code of a process that dies", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const app = await startProcess({
      name: "control",
      command: "sh",
      args: ["-c", "echo hello; exit 3"],
      cwd: tmpdir(),
      env: process.env,
      runDir: runDir(),
      width: 7,
    });
    expect(await app.exited).toEqual({ code: 3, signal: null });
    expect(app.running()).toBe(false);
    expect(log).toHaveBeenCalledWith("control │ hello");
    expect(error).toHaveBeenCalledWith("control │ exited with code 3");
    log.mockRestore();
    error.mockRestore();
  });

  it("stops the whole process group, children included, and ends a leftover of a killed run", async () => {
    const dir = runDir();
    const options = {
      name: "trainer",
      command: "sh",
      args: ["-c", "sleep 300 & wait"],
      cwd: tmpdir(),
      env: process.env,
      runDir: dir,
      width: 7,
    };
    const leftover = await startProcess(options);
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    await stopLeftover(dir, "trainer");
    const next = await startProcess(options);
    expect(log).toHaveBeenCalledWith(`stopping trainer left over from an earlier run (pid ${leftover.pid})`);
    log.mockRestore();
    expect(leftover.running()).toBe(false);
    await next.stop();
    expect(next.running()).toBe(false);
    expect(() => process.kill(-next.pid, 0)).toThrow();
  });
});
