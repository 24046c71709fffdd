-- AlterTable
ALTER TABLE "Dataset" ADD COLUMN     "holdoutRowsOutsideLabels" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "labels" JSONB NOT NULL DEFAULT '[]',
ADD COLUMN     "subject" TEXT NOT NULL DEFAULT 'record',
ADD COLUMN     "syntheticColumns" JSONB NOT NULL DEFAULT '[]',
ADD COLUMN     "trainRowsOutsideLabels" INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "Job" ADD COLUMN     "rowsProduced" INTEGER,
ADD COLUMN     "rowsRequested" INTEGER,
ADD COLUMN     "warnings" JSONB NOT NULL DEFAULT '[]';

