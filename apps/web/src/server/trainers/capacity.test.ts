import type { TTrainerHeartbeat } from "@dpsynth/contracts";
import { describe, expect, it } from "vitest";
import { capacityFor } from "./capacity.ts";

const beat = (overrides: Partial<TTrainerHeartbeat> = {}): TTrainerHeartbeat => ({
  schemaVersion: 1,
  id: "host:1",
  device: { kind: "cpu", count: 2, name: "cpu", memoryBytes: 8 * 2 ** 30 },
  hubReachable: false,
  localModels: ["tiny-gpt2", "tiny-llama", "smollm2-135m"],
  devicesPerJob: 1,
  concurrency: 1,
  currentJobs: [],
  startedAt: "2026-12-02T10:00:00.000Z",
  ts: "2026-12-02T10:00:05.000Z",
  ...overrides,
});
const gpu = { kind: "gpu", count: 1, name: "NVIDIA H200", memoryBytes: 141 * 2 ** 30 } as const;

describe("capacityFor", () => {
  it("warns, without blocking, when no trainer is online: the job would wait for one", () => {
    expect(capacityFor("smollm2-135m", [])).toEqual({
      verdict: "warn",
      reason: "no-trainer",
      message: "no trainer is online. The job would wait in the queue until one connects.",
      trainers: 0,
    });
  });

  it("runs a model that ships offline on an offline CPU trainer", () => {
    expect(capacityFor("smollm2-135m", [beat(), beat({ id: "host:2" })])).toMatchObject({ verdict: "ok", trainers: 2 });
  });

  it("blocks a GPU model where only CPU trainers are online", () => {
    expect(capacityFor("gpt2-medium", [beat({ hubReachable: true })])).toEqual({
      verdict: "blocked",
      reason: "needs-gpu",
      message: "gpt2-medium needs a GPU, and the one trainer online has none.",
      trainers: 0,
    });
  });

  it("blocks a model to download where no trainer reaches the hub or has it, and runs it where one has it", () => {
    expect(capacityFor("gpt2", [beat(), beat({ id: "host:2" })])).toMatchObject({
      verdict: "blocked",
      reason: "needs-hub",
      message: expect.stringContaining("none of the 2 trainers online can reach it or has the model locally"),
    });
    expect(capacityFor("gpt2", [beat(), beat({ id: "host:2", localModels: ["gpt2"] })])).toMatchObject({
      verdict: "ok",
      trainers: 1,
    });
    expect(capacityFor("gpt2", [beat({ hubReachable: true })])).toMatchObject({ verdict: "ok" });
  });

  it("asks both of a GPU model to download: a GPU trainer that reaches the hub", () => {
    expect(capacityFor("gpt2-large", [beat({ device: gpu }), beat({ id: "host:2", device: gpu })])).toMatchObject({
      verdict: "blocked",
      reason: "needs-hub",
      message: expect.stringContaining("none of the 2 trainers online with a GPU"),
    });
    expect(capacityFor("gpt2-medium", [beat(), beat({ id: "host:2" })]).message).toBe(
      "gpt2-medium needs a GPU, and none of the 2 trainers online has one.",
    );
    expect(capacityFor("gpt2-large", [beat({ device: gpu, hubReachable: true })])).toMatchObject({ verdict: "ok" });
  });

  it("takes any other id for a hub id, and a local directory for the trainer's to check", () => {
    expect(capacityFor("EleutherAI/pythia-160m", [beat()])).toMatchObject({ reason: "needs-hub" });
    expect(capacityFor("/srv/models/mine", [beat()])).toMatchObject({ verdict: "ok" });
  });

  it("counts only the trainers of the job's device count, and warns while none of them is online", () => {
    const single = beat({ device: gpu, hubReachable: true });
    const quad = beat({ id: "host:4", device: { ...gpu, count: 4 }, devicesPerJob: 4, hubReachable: true });
    expect(capacityFor("gpt2-medium", [single, quad], 4)).toMatchObject({ verdict: "ok", trainers: 1 });
    expect(capacityFor("gpt2-medium", [single, quad])).toMatchObject({ verdict: "ok", trainers: 1 });
    // A pool of 2-device trainers may be scaled to zero: the job waits for one, as it would for any trainer.
    expect(capacityFor("gpt2-medium", [single, quad], 2)).toEqual({
      verdict: "warn",
      reason: "needs-devices",
      message:
        "no trainer online trains a job on 2 devices (the 2 online train each job on 1 device or 4 devices). " +
        "The job would wait in the queue until one that does connects.",
      trainers: 0,
    });
    expect(capacityFor("smollm2-135m", [quad]).message).toBe(
      "no trainer online trains a job on 1 device (the one online trains each job on 4 devices). " +
        "The job would wait in the queue until one that does connects.",
    );
  });

  it("says which trainers it counted when those of other device counts are online too", () => {
    const quad = beat({ id: "host:4", device: { ...gpu, count: 4 }, devicesPerJob: 4 });
    expect(capacityFor("gpt2-medium", [beat(), quad]).message).toBe(
      "gpt2-medium needs a GPU, and the one trainer online that trains on 1 device has none.",
    );
  });
});
