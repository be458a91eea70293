-- AlterTable
ALTER TABLE "ScepChallenge" ADD COLUMN     "boundUdid" TEXT;

-- AlterTable
ALTER TABLE "Certificate" ADD COLUMN     "boundUdid" TEXT;

-- AlterTable
ALTER TABLE "EnrollmentToken" ADD COLUMN     "deviceBound" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "requireAttestation" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "Device" ADD COLUMN     "attestation" TEXT,
ADD COLUMN     "attestationNonce" TEXT,
ADD COLUMN     "attestationRequestedAt" TIMESTAMP(3),
ADD COLUMN     "attestationStatus" TEXT,
ADD COLUMN     "attestedAt" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "DeviceBinding" (
    "id" TEXT NOT NULL,
    "tokenId" TEXT NOT NULL,
    "challengeHash" TEXT NOT NULL,
    "reservationId" TEXT,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "usedAt" TIMESTAMP(3),
    "udid" TEXT,
    "serialNumber" TEXT,
    "product" TEXT,
    "version" TEXT,
    "deviceName" TEXT,
    "appleSigned" BOOLEAN,
    "identityKind" TEXT,
    "remoteAddr" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "DeviceBinding_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "DeviceBinding_challengeHash_key" ON "DeviceBinding"("challengeHash");

-- CreateIndex
CREATE INDEX "DeviceBinding_tokenId_createdAt_idx" ON "DeviceBinding"("tokenId", "createdAt");

-- CreateIndex
CREATE INDEX "DeviceBinding_udid_idx" ON "DeviceBinding"("udid");

-- AddForeignKey
ALTER TABLE "DeviceBinding" ADD CONSTRAINT "DeviceBinding_tokenId_fkey" FOREIGN KEY ("tokenId") REFERENCES "EnrollmentToken"("id") ON DELETE CASCADE ON UPDATE CASCADE;
