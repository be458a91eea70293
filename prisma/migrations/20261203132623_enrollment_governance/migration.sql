-- AlterTable
ALTER TABLE "Device" ADD COLUMN "personEmail" TEXT;
ALTER TABLE "Device" ADD COLUMN "termsAcceptedAt" DATETIME;
ALTER TABLE "Device" ADD COLUMN "termsAcceptedBy" TEXT;
ALTER TABLE "Device" ADD COLUMN "termsHash" TEXT;

-- AlterTable
ALTER TABLE "User" ADD COLUMN "termsAcceptedAt" DATETIME;
ALTER TABLE "User" ADD COLUMN "termsHash" TEXT;

-- AlterTable
ALTER TABLE "AddeRoute" ADD COLUMN "deviceLimit" INTEGER;
ALTER TABLE "AddeRoute" ADD COLUMN "terms" TEXT;

-- CreateTable
CREATE TABLE "EnrollmentReservation" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "tokenId" TEXT NOT NULL,
    "secretHash" TEXT NOT NULL,
    "expiresAt" DATETIME NOT NULL,
    "spentAt" DATETIME,
    "releasedAt" DATETIME,
    "deviceId" TEXT,
    "termsHash" TEXT,
    "termsAcceptedAt" DATETIME,
    "acceptedBy" TEXT,
    "remoteAddr" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "EnrollmentReservation_tokenId_fkey" FOREIGN KEY ("tokenId") REFERENCES "EnrollmentToken" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- AlterTable (ADD COLUMN, not a table rebuild: other branches' migrations may add columns too)
ALTER TABLE "EnrollmentToken" ADD COLUMN "claimedCount" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "EnrollmentToken" ADD COLUMN "deviceLimit" INTEGER;
ALTER TABLE "EnrollmentToken" ADD COLUMN "personEmail" TEXT;
ALTER TABLE "EnrollmentToken" ADD COLUMN "terms" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "EnrollmentReservation_secretHash_key" ON "EnrollmentReservation"("secretHash");

-- CreateIndex
CREATE INDEX "EnrollmentReservation_tokenId_spentAt_releasedAt_idx" ON "EnrollmentReservation"("tokenId", "spentAt", "releasedAt");

-- Uses counted before reservations existed stay spent: claimed = spent + reserved.
UPDATE "EnrollmentToken" SET "claimedCount" = "useCount";
