import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it, vi } from "vitest";
import { RESTART, startProcess, stopLeftover } from "./supervisor.mjs";

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

describe("startProcess with restart", () => {
  const saved = { ...RESTART };
  afterEach(() => {
    Object.assign(RESTART, saved);
    vi.restoreAllMocks();
  });
  const quiet = () => {
    const lines: string[] = [];
    for (const method of ["log", "error"] as const) {
      vi.spyOn(console, method).mockImplementation((line: string) => {
        lines.push(line);
      });
    }
    return lines;
  };

  it("brings a killed process back under a new pid, and stop ends it for good", async () => {
    Object.assign(RESTART, { firstDelayMs: 50 });
    const lines = quiet();
    const dir = runDir();
    const app = await startProcess({
      name: "trainer",
      command: "sh",
      args: ["-c", "sleep 300"],
      cwd: tmpdir(),
      env: process.env,
      runDir: dir,
      width: 7,
      restart: true,
    });
    const first = app.pid;
    process.kill(first, "SIGKILL");
    for (let i = 0; i < 100 && (app.pid === first || app.restarts() === 0); i++) await sleep(50);
    expect(app.pid).not.toBe(first);
    expect(app.restarts()).toBe(1);
    expect(app.running()).toBe(true);
    expect(lines).toContain("trainer │ exited on SIGKILL");
    expect(lines).toContain("trainer │ restarting in 0.05 s");
    const second = app.pid;
    await app.stop();
    await sleep(200);
    expect(app.running()).toBe(false);
    expect(app.restarts()).toBe(1);
    expect(() => process.kill(second, 0)).toThrow();
  });

  it("backs off between restarts of a process that keeps dying, up to a ceiling", async () => {
    Object.assign(RESTART, { firstDelayMs: 20, maxDelayMs: 80 });
    const lines = quiet();
    const app = await startProcess({
      name: "control",
      command: "sh",
      args: ["-c", "exit 2"],
      cwd: tmpdir(),
      env: process.env,
      runDir: runDir(),
      width: 7,
      restart: true,
    });
    for (let i = 0; i < 100 && app.restarts() < 5; i++) await sleep(50);
    await app.stop();
    // stop() lands either in a pause (nothing running) or on a restarted `sh` before it exits (TERM).
    expect([null, "SIGTERM"]).toContain((await app.exited).signal);
    const restartsAtStop = app.restarts();
    await sleep(200);
    expect(app.restarts()).toBe(restartsAtStop);
    expect(lines.filter((line) => line.includes("restarting in")).slice(0, 5)).toEqual([
      "control │ restarting in 0.02 s",
      "control │ restarting in 0.04 s",
      "control │ restarting in 0.08 s",
      "control │ restarting in 0.08 s",
      "control │ restarting in 0.08 s",
    ]);
    expect(lines.filter((line) => line === "control │ exited with code 2").length).toBeGreaterThanOrEqual(5);
  });
});
