-- CreateEnum
CREATE TYPE "ReEnrollmentStatus" AS ENUM ('PENDING', 'APPLIED', 'DENIED');

-- CreateTable
CREATE TABLE "ReEnrollment" (
    "id" TEXT NOT NULL,
    "deviceId" TEXT NOT NULL,
    "status" "ReEnrollmentStatus" NOT NULL,
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
    "decidedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ReEnrollment_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "ReEnrollment_newSerial_key" ON "ReEnrollment"("newSerial");

-- CreateIndex
CREATE INDEX "ReEnrollment_deviceId_createdAt_idx" ON "ReEnrollment"("deviceId", "createdAt");

-- CreateIndex
CREATE INDEX "ReEnrollment_status_createdAt_idx" ON "ReEnrollment"("status", "createdAt");

-- AddForeignKey
ALTER TABLE "ReEnrollment" ADD CONSTRAINT "ReEnrollment_deviceId_fkey" FOREIGN KEY ("deviceId") REFERENCES "Device"("id") ON DELETE CASCADE ON UPDATE CASCADE;
