-- AlterTable
ALTER TABLE "Certificate" ADD COLUMN "revocationCode" INTEGER;

-- CreateTable
CREATE TABLE "RevocationList" (
    "issuerFingerprint" TEXT NOT NULL PRIMARY KEY,
    "number" INTEGER NOT NULL DEFAULT 0,
    "der" BLOB,
    "thisUpdate" DATETIME,
    "nextUpdate" DATETIME
);

-- CreateIndex
CREATE INDEX "Certificate_renewedFromSerial_idx" ON "Certificate"("renewedFromSerial");

-- CreateIndex
CREATE INDEX "Certificate_revokedAt_idx" ON "Certificate"("revokedAt");
