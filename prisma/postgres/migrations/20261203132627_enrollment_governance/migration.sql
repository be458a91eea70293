-- AlterTable
ALTER TABLE "EnrollmentToken" ADD COLUMN     "claimedCount" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "deviceLimit" INTEGER,
ADD COLUMN     "personEmail" TEXT,
ADD COLUMN     "terms" TEXT;

-- AlterTable
ALTER TABLE "Device" ADD COLUMN     "personEmail" TEXT,
ADD COLUMN     "termsAcceptedAt" TIMESTAMP(3),
ADD COLUMN     "termsAcceptedBy" TEXT,
ADD COLUMN     "termsHash" TEXT;

-- AlterTable
ALTER TABLE "User" ADD COLUMN     "termsAcceptedAt" TIMESTAMP(3),
ADD COLUMN     "termsHash" TEXT;

-- AlterTable
ALTER TABLE "AddeRoute" ADD COLUMN     "deviceLimit" INTEGER,
ADD COLUMN     "terms" TEXT;

-- CreateTable
CREATE TABLE "EnrollmentReservation" (
    "id" TEXT NOT NULL,
    "tokenId" TEXT NOT NULL,
    "secretHash" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "spentAt" TIMESTAMP(3),
    "releasedAt" TIMESTAMP(3),
    "deviceId" TEXT,
    "termsHash" TEXT,
    "termsAcceptedAt" TIMESTAMP(3),
    "acceptedBy" TEXT,
    "remoteAddr" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "EnrollmentReservation_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "EnrollmentReservation_secretHash_key" ON "EnrollmentReservation"("secretHash");

-- CreateIndex
CREATE INDEX "EnrollmentReservation_tokenId_spentAt_releasedAt_idx" ON "EnrollmentReservation"("tokenId", "spentAt", "releasedAt");

-- AddForeignKey
ALTER TABLE "EnrollmentReservation" ADD CONSTRAINT "EnrollmentReservation_tokenId_fkey" FOREIGN KEY ("tokenId") REFERENCES "EnrollmentToken"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Uses counted before reservations existed stay spent: claimed = spent + reserved.
UPDATE "EnrollmentToken" SET "claimedCount" = "useCount";
