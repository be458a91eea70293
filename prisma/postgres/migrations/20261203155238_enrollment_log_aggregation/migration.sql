-- AlterTable
ALTER TABLE "EnrollmentLog" ADD COLUMN     "aggregateKey" TEXT,
ADD COLUMN     "aggregateWindow" TIMESTAMP(3),
ADD COLUMN     "count" INTEGER NOT NULL DEFAULT 1,
ADD COLUMN     "lastSeen" TIMESTAMP(3);

-- CreateIndex
CREATE UNIQUE INDEX "EnrollmentLog_aggregateKey_key" ON "EnrollmentLog"("aggregateKey");

-- CreateIndex
CREATE INDEX "EnrollmentLog_aggregateWindow_remoteAddr_idx" ON "EnrollmentLog"("aggregateWindow", "remoteAddr");
