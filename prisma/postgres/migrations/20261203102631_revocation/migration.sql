-- AlterTable
ALTER TABLE "Certificate" ADD COLUMN     "revocationCode" INTEGER;

-- CreateTable
CREATE TABLE "RevocationList" (
    "issuerFingerprint" TEXT NOT NULL,
    "number" INTEGER NOT NULL DEFAULT 0,
    "der" BYTEA,
    "thisUpdate" TIMESTAMP(3),
    "nextUpdate" TIMESTAMP(3),

    CONSTRAINT "RevocationList_pkey" PRIMARY KEY ("issuerFingerprint")
);

-- CreateIndex
CREATE INDEX "Certificate_renewedFromSerial_idx" ON "Certificate"("renewedFromSerial");

-- CreateIndex
CREATE INDEX "Certificate_revokedAt_idx" ON "Certificate"("revokedAt");
