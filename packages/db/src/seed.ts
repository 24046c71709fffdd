import { randomBytes } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type BlobStore, datasetRow, ingestCsv } from "@dpsynth/datasets";
import { compare, hash } from "bcryptjs";
import { z } from "zod";
import { createApiToken, hashToken } from "./api-tokens.ts";
import type { PrismaClient } from "./generated/client.ts";
import { ledgerForContent } from "./ledger.ts";

/** The Rotten Tomatoes sample the trainer's tests use too: the demo dataset. */
export const DEMO_FIXTURE = new URL("../../../services/trainer/tests/fixtures/rotten_tomatoes_600.csv", import.meta.url)
  .pathname;
export const DEMO_DATASET_NAME = "Rotten Tomatoes (demo)";
/** A fixed split seed, so every fresh install has the same demo holdout. */
const DEMO_SPLIT_SEED = 20_240_601;
const BCRYPT_COST = 10;

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
  fixture?: string;
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
          data: { passwordHash: await hash(password, BCRYPT_COST) },
        })
    : await prisma.user.create({
        data: { ...spec, passwordHash: await hash(password, BCRYPT_COST) },
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

/** The demo dataset of the demo owner, ingested from the fixture once. */
async function seedDemoDataset(options: TSeedOptions, ownerId: string): Promise<string> {
  const existing = await options.prisma.dataset.findFirst({ where: { ownerId, name: DEMO_DATASET_NAME } });
  if (existing && (await options.blobs.size(existing.trainBlobKey)) !== null) return existing.id;
  const fixture = options.fixture ?? DEMO_FIXTURE;
  if (!existsSync(fixture)) {
    throw new Error(
      `The demo dataset's fixture is missing: ${fixture}. It ships with services/trainer/tests/fixtures.`,
    );
  }
  const result = await ingestCsv(() => createReadStream(fixture), {
    textColumn: "review",
    labelColumn: "label",
    holdoutFraction: 0.2,
    splitSeed: DEMO_SPLIT_SEED,
    store: options.blobs,
    keyPrefix: `datasets/demo-${randomBytes(6).toString("hex")}`,
  });
  // A row whose blobs were lost gets new ones; its ledger stays.
  const ledgerId =
    existing?.ledgerId ??
    (
      await ledgerForContent(options.prisma, {
        contentSha256: result.contentSha256,
        epsilonTotal: options.budget.epsilon,
        deltaTotal: options.budget.delta,
      })
    ).ledgerId;
  const data = datasetRow(result, { ownerId, name: DEMO_DATASET_NAME, ledgerId });
  const row = existing
    ? await options.prisma.dataset.update({ where: { id: existing.id }, data })
    : await options.prisma.dataset.create({ data });
  return row.id;
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
