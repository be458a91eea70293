-- AlterTable (ADD COLUMN, not a table rebuild: a rebuild would silently drop columns that
-- other migrations add to Device in parallel branches)
ALTER TABLE "Device" ADD COLUMN "lastPushedAt" DATETIME;
ALTER TABLE "Device" ADD COLUMN "lastPushResult" TEXT;
ALTER TABLE "Device" ADD COLUMN "pushesUnanswered" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "Device" ADD COLUMN "pushUnreachableAt" DATETIME;
