-- CreateTable
CREATE TABLE "InstalledCertificate" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "deviceId" TEXT NOT NULL,
    "policyId" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "issuer" TEXT NOT NULL,
    "serial" TEXT NOT NULL,
    "notAfter" DATETIME NOT NULL,
    "nextRedistributionAt" DATETIME NOT NULL,
    "lastRedistributedAt" DATETIME,
    "updatedAt" DATETIME NOT NULL
);

-- CreateIndex
CREATE INDEX "InstalledCertificate_nextRedistributionAt_idx" ON "InstalledCertificate"("nextRedistributionAt");

-- CreateIndex
CREATE UNIQUE INDEX "InstalledCertificate_deviceId_policyId_key" ON "InstalledCertificate"("deviceId", "policyId");
