-- AlterTable
ALTER TABLE "Device" ADD COLUMN "deviceChannelCertOnly" BOOLEAN;

-- CreateTable
CREATE TABLE "UserChannel" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "deviceId" TEXT NOT NULL,
    "userChannelId" TEXT NOT NULL,
    "userShortName" TEXT,
    "userLongName" TEXT,
    "pushToken" TEXT,
    "pushMagic" TEXT,
    "topic" TEXT,
    "authenticatedAt" DATETIME,
    "lastSeenAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "UserChannel_deviceId_fkey" FOREIGN KEY ("deviceId") REFERENCES "Device" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE UNIQUE INDEX "UserChannel_deviceId_userChannelId_key" ON "UserChannel"("deviceId", "userChannelId");
