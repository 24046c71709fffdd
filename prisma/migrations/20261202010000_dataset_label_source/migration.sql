-- AlterTable: where a dataset's label set comes from (existing datasets declared theirs, or have none).
ALTER TABLE "Dataset" ADD COLUMN     "labelSource" TEXT NOT NULL DEFAULT 'declared';
