-- CreateTable
CREATE TABLE "ReEnrollment" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "deviceId" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "newSerial" TEXT NOT NULL,
    "previousSerial" TEXT,
    "newTokenId" TEXT,
    "newUserId" TEXT,
    "previousTokenId" TEXT,
    "previousUserId" TEXT,
    "remoteAddr" TEXT,
    "authenticate" TEXT NOT NULL,
    "pushToken" TEXT,
    "pushMagic" TEXT,
    "topic" TEXT,
    "unlockTokenEnc" TEXT,
    "bootstrapTokenEnc" TEXT,
    "decidedBy" TEXT,
    "decidedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "ReEnrollment_deviceId_fkey" FOREIGN KEY ("deviceId") REFERENCES "Device" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE UNIQUE INDEX "ReEnrollment_newSerial_key" ON "ReEnrollment"("newSerial");

-- CreateIndex
CREATE INDEX "ReEnrollment_deviceId_createdAt_idx" ON "ReEnrollment"("deviceId", "createdAt");

-- CreateIndex
CREATE INDEX "ReEnrollment_status_createdAt_idx" ON "ReEnrollment"("status", "createdAt");
