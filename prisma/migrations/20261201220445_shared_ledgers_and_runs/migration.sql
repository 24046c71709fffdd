-- Budgets move from the dataset to a ledger that every upload of the same file shares; charges carry their run.
-- Written by `npm run db:migration:new`, then given the data steps: each existing dataset gets a ledger of its
-- own (no file hash is known for it) holding its totals, and its entries move to that ledger.

-- CreateTable
CREATE TABLE "Ledger" (
    "id" TEXT NOT NULL,
    "contentSha256" TEXT,
    "epsilonTotal" DOUBLE PRECISION NOT NULL,
    "deltaTotal" DOUBLE PRECISION NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Ledger_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Ledger_contentSha256_key" ON "Ledger"("contentSha256");

-- Data: one ledger per existing dataset, with its totals.
INSERT INTO "Ledger" ("id", "epsilonTotal", "deltaTotal", "createdAt")
SELECT 'ledger_' || "id", "epsilonTotal", "deltaTotal", "createdAt" FROM "Dataset";

-- AlterTable
ALTER TABLE "Dataset" ADD COLUMN "ledgerId" TEXT;
UPDATE "Dataset" SET "ledgerId" = 'ledger_' || "id";
ALTER TABLE "Dataset" ALTER COLUMN "ledgerId" SET NOT NULL,
DROP COLUMN "deltaTotal",
DROP COLUMN "epsilonTotal";

-- DropForeignKey
ALTER TABLE "LedgerEntry" DROP CONSTRAINT "LedgerEntry_datasetId_fkey";

-- DropIndex
DROP INDEX "LedgerEntry_datasetId_idx";

-- AlterTable
ALTER TABLE "LedgerEntry" ADD COLUMN "ledgerId" TEXT,
ADD COLUMN     "runId" TEXT;
UPDATE "LedgerEntry" SET "ledgerId" = 'ledger_' || "datasetId";
ALTER TABLE "LedgerEntry" ALTER COLUMN "ledgerId" SET NOT NULL,
DROP COLUMN "datasetId";

-- AlterTable
ALTER TABLE "Job" ADD COLUMN     "decisionNote" TEXT;

-- CreateIndex
CREATE INDEX "Dataset_ledgerId_idx" ON "Dataset"("ledgerId");

-- CreateIndex
CREATE INDEX "LedgerEntry_ledgerId_idx" ON "LedgerEntry"("ledgerId");

-- AddForeignKey
ALTER TABLE "Dataset" ADD CONSTRAINT "Dataset_ledgerId_fkey" FOREIGN KEY ("ledgerId") REFERENCES "Ledger"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "LedgerEntry" ADD CONSTRAINT "LedgerEntry_ledgerId_fkey" FOREIGN KEY ("ledgerId") REFERENCES "Ledger"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
