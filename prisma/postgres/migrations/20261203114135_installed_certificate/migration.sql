-- CreateTable
CREATE TABLE "InstalledCertificate" (
    "id" TEXT NOT NULL,
    "deviceId" TEXT NOT NULL,
    "policyId" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "issuer" TEXT NOT NULL,
    "serial" TEXT NOT NULL,
    "notAfter" TIMESTAMP(3) NOT NULL,
    "nextRedistributionAt" TIMESTAMP(3) NOT NULL,
    "lastRedistributedAt" TIMESTAMP(3),
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "InstalledCertificate_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "InstalledCertificate_nextRedistributionAt_idx" ON "InstalledCertificate"("nextRedistributionAt");

-- CreateIndex
CREATE UNIQUE INDEX "InstalledCertificate_deviceId_policyId_key" ON "InstalledCertificate"("deviceId", "policyId");
