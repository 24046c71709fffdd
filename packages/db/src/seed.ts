import { randomBytes } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type BlobStore, datasetRow, ingestCsv, scanCsv } from "@dpsynth/datasets";
import { compare } from "bcryptjs";
import { z } from "zod";
import { createApiToken, hashToken } from "./api-tokens.ts";
import { DEMO_FIXTURE } from "./demo-data.ts";
import type { PrismaClient } from "./generated/client.ts";
import { ledgerForContent } from "./ledger.ts";
import { hashPassword } from "./passwords.ts";

export const DEMO_DATASET_NAME = "Rotten Tomatoes (demo)";
/**
 * The demo dataset's public schema, as its owner would declare it: the corpus's two labels in words a language
 * model understands, and what one row is.
 */
export const DEMO_SCHEMA = {
  textColumn: "review",
  labelColumn: "label",
  labels: [
    { value: "fresh", description: "a positive review: the critic recommends the movie" },
    { value: "rotten", description: "a negative review: the critic does not recommend the movie" },
  ],
  subject: "movie review snippet",
};
/** A fixed split seed, so every fresh install has the same demo holdout. */
const DEMO_SPLIT_SEED = 20_240_601;

const ACCOUNTS = {
  admin: { email: "admin@dpsynth.local", name: "Admin", role: "ADMIN", epsilonAllowance: 10 },
  owner: { email: "owner@dpsynth.local", name: "Demo Owner", role: "OWNER", epsilonAllowance: 3 },
} as const;

const ZAccount = z.object({ email: z.string(), password: z.string(), apiToken: z.string(), role: z.string() });
const ZCredentials = z.object({
  url: z.string().nullable(),
  admin: ZAccount,
  owner: ZAccount,
  demoDatasetId: z.string(),
});
export type TCredentials = z.infer<typeof ZCredentials>;
type TAccount = z.infer<typeof ZAccount>;

export interface TSeedOptions {
  prisma: PrismaClient;
  blobs: BlobStore;
  /** DPSYNTH_HOME: credentials.json is written here. */
  home: string;
  budget: { epsilon: number; delta: number };
  /** NEXTAUTH_URL, recorded for scripts. */
  url?: string | null;
  /** The demo dataset's CSV (`review,label`); the checked-in 600-row fixture by default (see demo-data.ts). */
  demoCsv?: string;
}

export const credentialsPath = (home: string) => join(home, "credentials.json");

async function previousCredentials(home: string): Promise<TCredentials | null> {
  const text = await readFile(credentialsPath(home), "utf8").catch(() => null);
  if (text === null) return null;
  try {
    return ZCredentials.parse(JSON.parse(text));
  } catch {
    // An unreadable file is replaced: new passwords and tokens are written for the same accounts.
    return null;
  }
}

/** One seeded account: created once; its password and token kept while they still work. */
async function seedAccount(prisma: PrismaClient, spec: (typeof ACCOUNTS)[keyof typeof ACCOUNTS], previous?: TAccount) {
  const existing = await prisma.user.findUnique({ where: { email: spec.email } });
  const keep =
    previous?.password && existing?.passwordHash && (await compare(previous.password, existing.passwordHash));
  const password = keep ? (previous?.password as string) : randomBytes(12).toString("base64url");
  const user = existing
    ? keep
      ? existing
      : await prisma.user.update({
          where: { id: existing.id },
          data: { passwordHash: await hashPassword(password) },
        })
    : await prisma.user.create({
        data: { ...spec, passwordHash: await hashPassword(password) },
      });
  const liveToken =
    previous?.apiToken &&
    (await prisma.apiToken.findFirst({
      where: { userId: user.id, tokenHash: hashToken(previous.apiToken), revokedAt: null },
    }));
  const apiToken = liveToken
    ? (previous?.apiToken as string)
    : (await createApiToken(prisma, { userId: user.id, name: "seed" })).token;
  return { user, account: { email: user.email, password, apiToken, role: user.role } satisfies TAccount };
}

/**
 * The demo dataset of the demo owner, ingested once. One that already exists is kept (its ledger refers to its
 * rows) unless no job ever ran on it and the CSV now has another number of rows (the 600-row fixture replaced by
 * the 2,000-row demo), or its blobs were lost; a kept one gets the declared schema if it predates declared labels.
 */
async function seedDemoDataset(options: TSeedOptions, ownerId: string): Promise<string> {
  const { prisma, blobs } = options;
  const csv = options.demoCsv ?? DEMO_FIXTURE;
  if (!existsSync(csv)) {
    throw new Error(
      `The demo dataset's CSV is missing: ${csv}. The fixture ships with services/trainer/tests/fixtures.`,
    );
  }
  const open = () => createReadStream(csv);
  const existing = await prisma.dataset.findFirst({ where: { ownerId, name: DEMO_DATASET_NAME } });
  if (existing && (await blobs.size(existing.trainBlobKey)) !== null) {
    const used = (await prisma.job.count({ where: { datasetId: existing.id } })) > 0;
    if (used || existing.trainRows + existing.holdoutRows === (await scanCsv(open, { previewRows: 0 })).rows) {
      if ((existing.labels as unknown[]).length === 0) {
        await prisma.dataset.update({
          where: { id: existing.id },
          data: { labels: DEMO_SCHEMA.labels, subject: DEMO_SCHEMA.subject },
        });
      }
      return existing.id;
    }
  }
  const result = await ingestCsv(open, {
    ...DEMO_SCHEMA,
    holdoutFraction: 0.2,
    splitSeed: DEMO_SPLIT_SEED,
    store: blobs,
    keyPrefix: `datasets/demo-${randomBytes(6).toString("hex")}`,
  });
  // A row whose blobs were lost, or that never ran a job, gets new files; its ledger stays.
  const ledgerId =
    existing?.ledgerId ??
    (
      await ledgerForContent(prisma, {
        contentSha256: result.contentSha256,
        epsilonTotal: options.budget.epsilon,
        deltaTotal: options.budget.delta,
      })
    ).ledgerId;
  const data = datasetRow(result, { ownerId, name: DEMO_DATASET_NAME, subject: DEMO_SCHEMA.subject, ledgerId });
  if (!existing) return (await prisma.dataset.create({ data })).id;
  await prisma.dataset.update({ where: { id: existing.id }, data });
  await Promise.all(
    [existing.trainBlobKey, existing.holdoutBlobKey]
      .filter((key) => key !== result.train.key && key !== result.holdout.key)
      .map((key) => blobs.delete(key)),
  );
  return existing.id;
}

/**
 * Idempotently creates an admin, a demo owner (epsilon allowance 3), an API token for each, and the demo
 * dataset; writes their emails, passwords and tokens to `$DPSYNTH_HOME/credentials.json` (mode 600).
 * Passwords and tokens are generated once and kept by later runs.
 */
export async function seed(options: TSeedOptions): Promise<TCredentials> {
  const previous = await previousCredentials(options.home);
  const admin = await seedAccount(options.prisma, ACCOUNTS.admin, previous?.admin);
  const owner = await seedAccount(options.prisma, ACCOUNTS.owner, previous?.owner);
  const demoDatasetId = await seedDemoDataset(options, owner.user.id);
  const credentials: TCredentials = {
    url: options.url ?? null,
    admin: admin.account,
    owner: owner.account,
    demoDatasetId,
  };
  await mkdir(options.home, { recursive: true });
  await writeFile(credentialsPath(options.home), `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  await chmod(credentialsPath(options.home), 0o600);
  return credentials;
}
