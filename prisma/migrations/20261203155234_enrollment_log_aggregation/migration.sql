-- Columns added in place (no table copy: the log may be large).
ALTER TABLE "EnrollmentLog" ADD COLUMN "count" INTEGER NOT NULL DEFAULT 1;
ALTER TABLE "EnrollmentLog" ADD COLUMN "lastSeen" DATETIME;
ALTER TABLE "EnrollmentLog" ADD COLUMN "aggregateKey" TEXT;
ALTER TABLE "EnrollmentLog" ADD COLUMN "aggregateWindow" DATETIME;

-- CreateIndex
CREATE UNIQUE INDEX "EnrollmentLog_aggregateKey_key" ON "EnrollmentLog"("aggregateKey");
CREATE INDEX "EnrollmentLog_aggregateWindow_remoteAddr_idx" ON "EnrollmentLog"("aggregateWindow", "remoteAddr");
