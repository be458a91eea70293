-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Device" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "identifier" TEXT NOT NULL,
    "udid" TEXT,
    "enrollmentId" TEXT,
    "serialNumber" TEXT,
    "model" TEXT,
    "modelName" TEXT,
    "productName" TEXT,
    "osVersion" TEXT,
    "buildVersion" TEXT,
    "deviceName" TEXT,
    "platform" TEXT,
    "enrollmentType" TEXT NOT NULL DEFAULT 'OTA',
    "status" TEXT NOT NULL DEFAULT 'PENDING',
    "groupId" TEXT,
    "tokenId" TEXT,
    "userId" TEXT,
    "pushToken" TEXT,
    "pushMagic" TEXT,
    "topic" TEXT,
    "unlockTokenEnc" TEXT,
    "bootstrapTokenEnc" TEXT,
    "certSerial" TEXT,
    "deviceChannelCertOnly" BOOLEAN,
    "info" TEXT,
    "installedProfiles" TEXT,
    "lastSeenAt" DATETIME,
    "lastPushedAt" DATETIME,
    "lastPushResult" TEXT,
    "pushesUnanswered" INTEGER NOT NULL DEFAULT 0,
    "pushUnreachableAt" DATETIME,
    "enrolledAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "Device_groupId_fkey" FOREIGN KEY ("groupId") REFERENCES "DeviceGroup" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "Device_tokenId_fkey" FOREIGN KEY ("tokenId") REFERENCES "EnrollmentToken" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "Device_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_Device" ("bootstrapTokenEnc", "buildVersion", "certSerial", "createdAt", "deviceChannelCertOnly", "deviceName", "enrolledAt", "enrollmentId", "enrollmentType", "groupId", "id", "identifier", "info", "installedProfiles", "lastSeenAt", "model", "modelName", "osVersion", "platform", "productName", "pushMagic", "pushToken", "serialNumber", "status", "tokenId", "topic", "udid", "unlockTokenEnc", "updatedAt", "userId") SELECT "bootstrapTokenEnc", "buildVersion", "certSerial", "createdAt", "deviceChannelCertOnly", "deviceName", "enrolledAt", "enrollmentId", "enrollmentType", "groupId", "id", "identifier", "info", "installedProfiles", "lastSeenAt", "model", "modelName", "osVersion", "platform", "productName", "pushMagic", "pushToken", "serialNumber", "status", "tokenId", "topic", "udid", "unlockTokenEnc", "updatedAt", "userId" FROM "Device";
DROP TABLE "Device";
ALTER TABLE "new_Device" RENAME TO "Device";
CREATE UNIQUE INDEX "Device_identifier_key" ON "Device"("identifier");
CREATE INDEX "Device_status_idx" ON "Device"("status");
CREATE INDEX "Device_groupId_idx" ON "Device"("groupId");
CREATE INDEX "Device_lastSeenAt_idx" ON "Device"("lastSeenAt");
CREATE INDEX "Device_serialNumber_idx" ON "Device"("serialNumber");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
