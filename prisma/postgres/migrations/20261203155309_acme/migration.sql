-- CreateTable
CREATE TABLE "AcmeNonce" (
    "value" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "AcmeNonce_pkey" PRIMARY KEY ("value")
);

-- CreateTable
CREATE TABLE "AcmeAccount" (
    "id" TEXT NOT NULL,
    "thumbprint" TEXT NOT NULL,
    "jwk" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'valid',
    "contact" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AcmeAccount_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AcmeOrder" (
    "id" TEXT NOT NULL,
    "accountId" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "identifiers" TEXT NOT NULL,
    "expires" TIMESTAMP(3) NOT NULL,
    "error" TEXT,
    "certSerial" TEXT,
    "enrollmentId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AcmeOrder_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AcmeAuthorization" (
    "id" TEXT NOT NULL,
    "orderId" TEXT NOT NULL,
    "accountId" TEXT NOT NULL,
    "identifierType" TEXT NOT NULL,
    "identifierValue" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "expires" TIMESTAMP(3) NOT NULL,
    "challengeType" TEXT NOT NULL,
    "challengeToken" TEXT NOT NULL,
    "challengeStatus" TEXT NOT NULL DEFAULT 'pending',
    "validatedAt" TIMESTAMP(3),
    "challengeError" TEXT,
    "attestedKey" BYTEA,
    "attestation" TEXT,

    CONSTRAINT "AcmeAuthorization_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AcmeEnrollment" (
    "id" TEXT NOT NULL,
    "clientIdentifier" TEXT NOT NULL,
    "udid" TEXT,
    "serialNumber" TEXT,
    "enrollmentRef" TEXT,
    "subject" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "usedAt" TIMESTAMP(3),
    "certSerial" TEXT,

    CONSTRAINT "AcmeEnrollment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AcmeRegisteredDevice" (
    "serialNumber" TEXT NOT NULL,
    "note" TEXT,
    "createdBy" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AcmeRegisteredDevice_pkey" PRIMARY KEY ("serialNumber")
);

-- CreateIndex
CREATE INDEX "AcmeNonce_expiresAt_idx" ON "AcmeNonce"("expiresAt");

-- CreateIndex
CREATE UNIQUE INDEX "AcmeAccount_thumbprint_key" ON "AcmeAccount"("thumbprint");

-- CreateIndex
CREATE INDEX "AcmeAccount_createdAt_idx" ON "AcmeAccount"("createdAt");

-- CreateIndex
CREATE INDEX "AcmeOrder_accountId_createdAt_idx" ON "AcmeOrder"("accountId", "createdAt");

-- CreateIndex
CREATE INDEX "AcmeOrder_certSerial_idx" ON "AcmeOrder"("certSerial");

-- CreateIndex
CREATE INDEX "AcmeAuthorization_orderId_idx" ON "AcmeAuthorization"("orderId");

-- CreateIndex
CREATE UNIQUE INDEX "AcmeEnrollment_clientIdentifier_key" ON "AcmeEnrollment"("clientIdentifier");

-- CreateIndex
CREATE INDEX "AcmeEnrollment_udid_idx" ON "AcmeEnrollment"("udid");

-- CreateIndex
CREATE INDEX "AcmeEnrollment_serialNumber_idx" ON "AcmeEnrollment"("serialNumber");
