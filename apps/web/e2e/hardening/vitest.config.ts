import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * The fault tests stop and restart PostgreSQL, Redis and the trainer; they run last, so that what a restart
 * leaves behind (once, a web that stalled for minutes on its next database reads) is not charged to the attack
 * tests that follow. The fault tests assert the recovery they can see themselves.
 */
class FaultsLast extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const isFaults = (file: TestSpecification) => file.moduleId.endsWith("faults.hardening.ts");
    return [...sorted.filter((file) => !isFaults(file)), ...sorted.filter(isFaults)];
  }
}

// Attacks and faults against the running stack (E2E_BASE_URL), after the e2e suite: one file at a time, because
// the fault tests stop and restart the stack's own PostgreSQL, Redis and trainer.
export default defineConfig({
  test: {
    name: "hardening",
    root: fileURLToPath(new URL(".", import.meta.url)),
    include: ["**/*.hardening.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    sequence: { sequencer: FaultsLast },
  },
});
