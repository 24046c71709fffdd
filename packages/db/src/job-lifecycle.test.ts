import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobStatus } from "./generated/enums.ts";
import {
  CANCELLED_ERROR,
  canTransition,
  IN_FLIGHT_JOB_STATUSES,
  INITIAL_JOB_STATUSES,
  JOB_STATUSES,
  JOB_TRANSITIONS,
  markRunning,
  TERMINAL_JOB_STATUSES,
  transitionJob,
} from "./job-lifecycle.ts";
import { createLedger } from "./ledger.ts";
import { createTestDatabase, type TestDatabase } from "./testing.ts";

/** Every move the table allows, as "FROM→TO". */
const allowed = () =>
  JOB_STATUSES.flatMap((to) => JOB_STATUSES.filter((from) => canTransition(from, to)).map((from) => `${from}→${to}`));

describe("the job lifecycle table", () => {
  it("allows exactly the moves of the design, and nothing out of a terminal status", () => {
    expect(allowed().sort()).toEqual(
      [
        "PENDING_APPROVAL→QUEUED",
        "PENDING_APPROVAL→REJECTED",
        "PENDING_APPROVAL→CANCELLED",
        "QUEUED→RUNNING",
        "RUNNING→RUNNING",
        "QUEUED→SUCCEEDED",
        "RUNNING→SUCCEEDED",
        "QUEUED→FAILED",
        "RUNNING→FAILED",
        "QUEUED→CANCELLED",
        "RUNNING→CANCELLED",
      ].sort(),
    );
    for (const terminal of TERMINAL_JOB_STATUSES) {
      expect(JOB_STATUSES.filter((to) => canTransition(terminal, to))).toEqual([]);
    }
  });

  it("splits the statuses into waiting for approval, in flight and terminal, and is created in two of them", () => {
    const covered = ["PENDING_APPROVAL", ...IN_FLIGHT_JOB_STATUSES, ...TERMINAL_JOB_STATUSES];
    expect(covered.sort()).toEqual([...JOB_STATUSES].sort());
    expect(Object.keys(JOB_TRANSITIONS).sort()).toEqual([...JOB_STATUSES].sort());
    // Nothing moves a job into PENDING_APPROVAL: it is only ever created so.
    expect(JOB_TRANSITIONS.PENDING_APPROVAL).toEqual([]);
    expect(INITIAL_JOB_STATUSES).toEqual(["PENDING_APPROVAL", "QUEUED"]);
  });
});

describe("transitionJob", () => {
  let db: TestDatabase;
  let datasetId: string;
  let requesterId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    const owner = await db.prisma.user.create({ data: { email: "o@example.test", name: "O" } });
    requesterId = owner.id;
    const ledgerId = await createLedger(db.prisma, { epsilonTotal: 10, deltaTotal: 1e-3 });
    const dataset = await db.prisma.dataset.create({
      data: {
        ownerId: owner.id,
        name: "d",
        columns: [],
        textColumn: "text",
        labelColumn: "label",
        delimiter: ",",
        trainRows: 1,
        holdoutRows: 1,
        labelCounts: {},
        holdoutFraction: 0.5,
        splitSeed: 1,
        trainBlobKey: "t",
        holdoutBlobKey: "h",
        ledgerId,
      },
    });
    datasetId = dataset.id;
  });
  afterAll(() => db.drop());

  const jobIn = async (status: JobStatus) =>
    (await db.prisma.job.create({ data: { datasetId, requesterId, spec: {}, status, delta: 1e-5 } })).id;
  const read = (id: string) => db.prisma.job.findUniqueOrThrow({ where: { id } });

  it("moves a job only out of an allowed status, writing what the new status implies", async () => {
    const queued = await jobIn("QUEUED");
    expect(await transitionJob(db.prisma, queued, "CANCELLED")).toBe(true);
    const cancelled = await read(queued);
    expect([cancelled.status, cancelled.errorCode, cancelled.errorMessage]).toEqual([
      "CANCELLED",
      CANCELLED_ERROR.code,
      CANCELLED_ERROR.message,
    ]);
    expect(cancelled.finishedAt).toBeInstanceOf(Date);

    // A terminal job is never rewritten: the second writer to end it sees false and changes nothing.
    expect(await transitionJob(db.prisma, queued, "FAILED", { data: { errorCode: "internal" } })).toBe(false);
    expect(await transitionJob(db.prisma, queued, "RUNNING")).toBe(false);
    expect(await read(queued)).toEqual(cancelled);
  });

  it("narrows to the statuses the caller saw, and refuses a move the table does not allow before writing", async () => {
    const pending = await jobIn("PENDING_APPROVAL");
    expect(await transitionJob(db.prisma, pending, "CANCELLED", { from: ["QUEUED"] })).toBe(false);
    expect((await read(pending)).status).toBe("PENDING_APPROVAL");
    await expect(transitionJob(db.prisma, pending, "RUNNING", { from: ["PENDING_APPROVAL" as never] })).rejects.toThrow(
      /cannot move to RUNNING from PENDING_APPROVAL/,
    );
    await expect(transitionJob(db.prisma, pending, "PENDING_APPROVAL")).rejects.toThrow(/cannot move/);
    expect((await read(pending)).status).toBe("PENDING_APPROVAL");

    expect(await transitionJob(db.prisma, pending, "REJECTED", { data: { errorMessage: "not now" } })).toBe(true);
    expect(await read(pending)).toMatchObject({ status: "REJECTED", errorCode: "rejected", errorMessage: "not now" });
  });

  it("marks a job RUNNING on every attempt and stage, and keeps the first start time", async () => {
    const queued = await jobIn("QUEUED");
    const first = new Date("2026-01-01T00:00:00Z");
    expect(await markRunning(db.prisma, queued, { startedAt: first, data: { attempts: 1 } })).toBe(true);
    expect(await markRunning(db.prisma, queued, { startedAt: new Date(), data: { stage: "training" } })).toBe(true);
    expect(await read(queued)).toMatchObject({ status: "RUNNING", attempts: 1, stage: "training", startedAt: first });

    const done = await jobIn("SUCCEEDED");
    expect(await markRunning(db.prisma, done, { startedAt: first })).toBe(false);
    expect(await read(done)).toMatchObject({ status: "SUCCEEDED", startedAt: null });
  });
});
