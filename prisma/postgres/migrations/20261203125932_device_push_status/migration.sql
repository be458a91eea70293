-- AlterTable
ALTER TABLE "Device" ADD COLUMN     "lastPushResult" TEXT,
ADD COLUMN     "lastPushedAt" TIMESTAMP(3),
ADD COLUMN     "pushUnreachableAt" TIMESTAMP(3),
ADD COLUMN     "pushesUnanswered" INTEGER NOT NULL DEFAULT 0;
