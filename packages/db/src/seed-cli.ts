import { dirname, join, resolve } from "node:path";
import { createBlobStore } from "@dpsynth/datasets";
import { z } from "zod";
import { createPrismaClient } from "./client.ts";
import { demoCsv } from "./demo-data.ts";
import { credentialsPath, seed } from "./seed.ts";

/** `npm run db:seed`: the seeded accounts and demo dataset (see seed.ts). Prints where the credentials are, not them. */
const repoRoot = resolve(dirname(new URL(import.meta.url).pathname), "../../..");

const ZEnv = z.object({
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, "must be a postgresql:// URL"),
  DPSYNTH_HOME: z.string().min(1).default(join(repoRoot, ".dpsynth")),
  BLOB_STORE_URL: z
    .string()
    .regex(/^(file|s3):\/\//, "must be a file:/// or s3:// URL")
    .optional(),
  NEXTAUTH_URL: z.string().optional(),
  DPSYNTH_DEFAULT_EPSILON_BUDGET: z.coerce.number().positive().default(10),
  DPSYNTH_DEFAULT_DELTA_BUDGET: z.coerce.number().positive().lt(1).default(1e-5),
});

const parsed = ZEnv.safeParse(Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== "")));
if (!parsed.success) {
  console.error(
    `Invalid seed configuration: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
  );
  process.exit(1);
}
const env = parsed.data;
const home = resolve(env.DPSYNTH_HOME);
const prisma = createPrismaClient({ url: env.DATABASE_URL });
try {
  const demo = demoCsv({ home });
  console.log(`Demo dataset: ${demo.description}.`);
  const credentials = await seed({
    prisma,
    blobs: createBlobStore(env.BLOB_STORE_URL ?? `file://${join(home, "blobs")}`),
    home,
    budget: { epsilon: env.DPSYNTH_DEFAULT_EPSILON_BUDGET, delta: env.DPSYNTH_DEFAULT_DELTA_BUDGET },
    url: env.NEXTAUTH_URL ?? null,
    demoCsv: demo.path,
  });
  console.log(
    `Seeded ${credentials.admin.email} and ${credentials.owner.email} with the demo dataset ${credentials.demoDatasetId}; ` +
      `credentials in ${credentialsPath(home)}.`,
  );
} catch (error) {
  console.error(`Seeding failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  await prisma.$disconnect();
}
