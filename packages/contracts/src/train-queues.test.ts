import { describe, expect, it } from "vitest";
import { jsonSchemaFiles } from "./json-schemas.ts";
import { MAX_JOB_DEVICES, QUEUE, queueFor } from "./queue.ts";
import { jobDevices, TrainQueues } from "./train-queues.ts";

describe("queueFor", () => {
  it("is the train queue for one device and train-<N>gpu for N", () => {
    expect(queueFor(1)).toBe(QUEUE.train);
    expect([2, 4, 8, MAX_JOB_DEVICES].map(queueFor)).toEqual(["train-2gpu", "train-4gpu", "train-8gpu", "train-64gpu"]);
  });

  it("refuses a count no job may ask for", () => {
    for (const devices of [0, -1, 1.5, MAX_JOB_DEVICES + 1, Number.NaN])
      expect(() => queueFor(devices)).toThrow(RangeError);
  });

  it("is what the trainer reads from constants.json, for every count a job may ask for", () => {
    const { queue } = jsonSchemaFiles()["constants.json"] as { queue: { byDevices: Record<string, string> } };
    expect(Object.keys(queue.byDevices)).toHaveLength(MAX_JOB_DEVICES);
    for (const [devices, name] of Object.entries(queue.byDevices)) expect(name).toBe(queueFor(Number(devices)));
  });
});

describe("jobDevices", () => {
  it("reads training.devices off a spec, 1 where it says nothing", () => {
    expect(jobDevices({ training: { devices: 4 } })).toBe(4);
    expect(jobDevices({ training: {} })).toBe(1);
    expect(jobDevices({})).toBe(1);
  });

  it("throws on a count no valid spec holds, rather than guess a queue", () => {
    expect(() => jobDevices({ training: { devices: 0 } })).toThrow();
    expect(() => jobDevices({ training: { devices: "2" } })).toThrow();
  });
});

describe("TrainQueues", () => {
  it("opens each device count's queue once, on first use, and closes every one it opened", async () => {
    const opened: string[] = [];
    const closed: string[] = [];
    const queues = new TrainQueues((name) => {
      opened.push(name);
      return { name, close: async () => void closed.push(name) };
    });
    expect(queues.forSpec({ training: { devices: 2 } })).toBe(queues.for(2));
    expect(queues.for(1).name).toBe("train");
    expect(opened).toEqual(["train-2gpu", "train"]);
    expect(queues.entries().map(([devices, queue]) => [devices, queue.name])).toEqual([
      [1, "train"],
      [2, "train-2gpu"],
    ]);
    await queues.close();
    expect(closed.sort()).toEqual(["train", "train-2gpu"]);
    expect(queues.entries()).toEqual([]);
  });
});
