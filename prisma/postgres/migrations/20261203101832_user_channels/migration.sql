-- AlterTable
ALTER TABLE "Device" ADD COLUMN     "deviceChannelCertOnly" BOOLEAN;

-- CreateTable
CREATE TABLE "UserChannel" (
    "id" TEXT NOT NULL,
    "deviceId" TEXT NOT NULL,
    "userChannelId" TEXT NOT NULL,
    "userShortName" TEXT,
    "userLongName" TEXT,
    "pushToken" TEXT,
    "pushMagic" TEXT,
    "topic" TEXT,
    "authenticatedAt" TIMESTAMP(3),
    "lastSeenAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "UserChannel_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "UserChannel_deviceId_userChannelId_key" ON "UserChannel"("deviceId", "userChannelId");

-- AddForeignKey
ALTER TABLE "UserChannel" ADD CONSTRAINT "UserChannel_deviceId_fkey" FOREIGN KEY ("deviceId") REFERENCES "Device"("id") ON DELETE CASCADE ON UPDATE CASCADE;
